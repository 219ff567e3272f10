"""Catalogue: related works (similar images, more from the artist) made by a worker, not per view

Revision ID: 0026_related_works
Revises: 0025_entry_kinds
"""

import sqlalchemy as sa
from alembic import op

revision = "0026_related_works"
down_revision = "0025_entry_kinds"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "related_works",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("similar_ids", sa.JSON(), nullable=False),
        sa.Column("artist_ids", sa.JSON(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"],
            ["assets.id"],
            name=op.f("fk_related_works_asset_id_assets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("asset_id", name=op.f("pk_related_works")),
    )


def downgrade() -> None:
    op.drop_table("related_works")
