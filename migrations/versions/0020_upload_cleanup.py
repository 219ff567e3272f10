"""Failed and abandoned uploads: their originals removed (placeholder)

Revision ID: 0020_upload_cleanup
Revises: 0019_server_sessions
"""

revision = "0020_upload_cleanup"
down_revision = "0019_server_sessions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    return None


def downgrade() -> None:
    return None
