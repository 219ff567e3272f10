"""Dividend runs at a million sales: an index on order items' refund time

``dividends.services.patronage_by_member`` takes back the items refunded or lost to a dispute
within the period (``order_items.refunded_at``). Without an index that is a scan of every order
item ever sold: measured by ``bench/dividends.py`` on 1,000,000 sales (SQLite), 4.9 s of the
draft's 12 s, as long as the whole GROUP BY of the period's sales; with it, 0.16 s. Only
refunded items have a refund time, so the index stays small.

Revision ID: 0013_dividend_indexes
Revises: 0012_redemptions_tax
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0013_dividend_indexes'
down_revision = '0012_redemptions_tax'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.create_index('ix_order_items_refunded_at', ['refunded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('order_items', schema=None) as batch_op:
        batch_op.drop_index('ix_order_items_refunded_at')
