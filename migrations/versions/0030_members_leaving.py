"""Members joining and leaving: placeholder for issue 17

Revision ID: 0030_members_leaving
Revises: 0029_books_dated
"""

revision = "0030_members_leaving"
down_revision = "0029_books_dated"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
