"""Admin lists: placeholder for issue 15 (indexes for admin list pages)

Revision ID: 0027_admin_list_speed
Revises: 0026_related_works
"""

revision = "0027_admin_list_speed"
down_revision = "0026_related_works"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
