"""Failed and abandoned uploads: when an asset's original was removed from storage

A failed upload's original is kept for MARKETPLACE_FAILED_UPLOAD_RETENTION_DAYS (so the member
can read why and an admin can look at the file), then removed by beat; the row stays, with the
time of the removal.

Revision ID: 0020_upload_cleanup
Revises: 0019_server_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_upload_cleanup"
down_revision = "0019_server_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("original_removed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.drop_column("original_removed_at")
