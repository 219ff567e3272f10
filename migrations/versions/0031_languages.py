"""Languages: each account's chosen language (placeholder, issue 19)

Revision ID: 0031_languages
Revises: 0030_members_leaving
"""

revision = "0031_languages"
down_revision = "0030_members_leaving"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
