"""Search per language: each work's language and per-language text search (placeholder, issue 19)

Revision ID: 0033_search_languages
Revises: 0032_currencies
"""

revision = "0033_search_languages"
down_revision = "0032_currencies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
