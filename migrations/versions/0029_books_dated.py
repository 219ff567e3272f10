"""Books dated right: placeholder for issue 17

Revision ID: 0029_books_dated
Revises: 0028_patronage_law
"""

revision = "0029_books_dated"
down_revision = "0028_patronage_law"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
