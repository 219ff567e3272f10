"""Sign-in sessions kept on the server, so sign-out ends them (placeholder)

Revision ID: 0019_server_sessions
Revises: 0018_standing_licences
"""

revision = "0019_server_sessions"
down_revision = "0018_standing_licences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    return None


def downgrade() -> None:
    return None
