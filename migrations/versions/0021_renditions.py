"""Renditions: the file delivered for each size of an asset, made once and shared by buyers

Revision ID: 0021_renditions
Revises: 0020_upload_cleanup
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_renditions"
down_revision = "0020_upload_cleanup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "renditions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("size", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("key", sa.String(255), nullable=True),
        sa.Column("mime", sa.String(64), nullable=True),
        sa.Column("bytes", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("insert_at", sa.Integer(), nullable=True),
        sa.Column("creator", sa.String(500), nullable=True),
        sa.Column("copyright", sa.String(500), nullable=True),
        sa.Column("credit", sa.String(500), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('preparing', 'ready', 'failed')", name=op.f("ck_renditions_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_renditions_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renditions")),
        sa.UniqueConstraint("asset_id", "size", name="uq_renditions_asset_size"),
    )


def downgrade() -> None:
    op.drop_table("renditions")
