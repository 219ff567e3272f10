"""Assets: the author and licence of a work the co-op shows by permission (demo photographs)

Revision ID: 0024_demo_credits
Revises: 0023_asset_drafts
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_demo_credits"
down_revision = "0023_asset_drafts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credit_author", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("credit_licence", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("credit_url", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("credit_url")
        batch_op.drop_column("credit_licence")
        batch_op.drop_column("credit_author")
