"""Renditions: how far a video's transcode is, so the buyer waiting on it can be shown

Revision ID: 0022_rendition_progress
Revises: 0021_renditions
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_rendition_progress"
down_revision = "0021_renditions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("progress_pct", sa.SmallInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_renditions_progress_pct_range"), "progress_pct BETWEEN 0 AND 100"
        )


def downgrade() -> None:
    with op.batch_alter_table("renditions", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_renditions_progress_pct_range"), type_="check")
        batch_op.drop_column("progress_pct")
