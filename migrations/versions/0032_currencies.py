"""Currencies: prices per presentment currency, settlement and exchange difference (placeholder, issue 19)

Revision ID: 0032_currencies
Revises: 0031_languages
"""

revision = "0032_currencies"
down_revision = "0031_languages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
