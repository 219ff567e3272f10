"""Lost disputes of taxed orders: Stripe Tax's reversal of what the bank took back

* ``disputes.item_ids``: the items a lost dispute took back (the reversal names their lines);
* ``disputes.tax_transaction_id``: Stripe Tax's reversal transaction, once recorded.

Revision ID: 0039_dispute_tax_reversals
Revises: 0038_dividend_refund_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0039_dispute_tax_reversals"
down_revision = "0038_dividend_refund_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: no rebuild of a table rows point at (see 0035).
    op.add_column("disputes", sa.Column("item_ids", sa.JSON(), nullable=True))
    op.add_column("disputes", sa.Column("tax_transaction_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    op.drop_column("disputes", "tax_transaction_id")
    op.drop_column("disputes", "item_ids")
