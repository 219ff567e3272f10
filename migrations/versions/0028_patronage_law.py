"""Patronage as the law defines it: placeholder for issue 17

Revision ID: 0028_patronage_law
Revises: 0027_admin_list_speed
"""

revision = "0028_patronage_law"
down_revision = "0027_admin_list_speed"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
