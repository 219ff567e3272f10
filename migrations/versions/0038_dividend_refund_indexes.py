"""Refunds of a dividend run's period read from their covering index alone

Revision ID: 0038_dividend_refund_indexes
Revises: 0037_invoices

``ix_order_items_refunded_at`` (migration 0013) goes: the partial, covering
``ix_order_items_refunds`` (migration 0015) serves every query on when items were taken back,
and while both existed PostgreSQL's planner preferred the narrower one and read 20,000 item rows
at random for a run's refunds. ``ix_orders_currency`` finds the few orders in another currency
than a run's, which the run's refunds leave out (``dividends.period_books``).
"""

from alembic import op

revision = "0038_dividend_refund_indexes"
down_revision = "0037_invoices"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_order_items_refunded_at", table_name="order_items")
    op.create_index("ix_orders_currency", "orders", ["currency"])


def downgrade() -> None:
    op.drop_index("ix_orders_currency", table_name="orders")
    op.create_index("ix_order_items_refunded_at", "order_items", ["refunded_at"])
