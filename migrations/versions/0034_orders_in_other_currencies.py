"""Orders paid in another currency than they settled in: a partial index for dividend drafts

Revision ID: 0034_orders_in_other_currencies
Revises: 0033_search_languages
"""

import sqlalchemy as sa
from alembic import op

revision = "0034_orders_in_other_currencies"
down_revision = "0033_search_languages"
branch_labels = None
depends_on = None

PREDICATE = "settled_currency IS NOT NULL AND currency <> settled_currency"


def upgrade() -> None:
    op.create_index(
        "ix_orders_in_other_currencies",
        "orders",
        ["paid_at"],
        postgresql_where=sa.text(PREDICATE),
        sqlite_where=sa.text(PREDICATE),
    )


def downgrade() -> None:
    op.drop_index("ix_orders_in_other_currencies", table_name="orders")
