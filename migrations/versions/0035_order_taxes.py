"""Sales tax and VAT on orders (issue 20, the buyers' side)

* ``orders``: the buyer's billing place (``billing_country``, ``billing_region``,
  ``billing_postal_code``), their tax id and whether it made them a business
  (``billing_tax_id``, ``billing_is_business``), how the prices were taxed (``tax_behavior``),
  ``subtotal_cents`` (net of tax) and ``tax_cents`` beside ``total_cents`` (what the buyer pays),
  Stripe Tax's calculation and transaction ids, and the card's country once paid (evidence of
  the buyer's place: a mismatch is flagged, never refused). Earlier orders had no tax: their
  subtotal is their total.
* ``order_items.tax_cents``: the tax of the line; ``price_cents`` stays the price net of tax,
  which royalties and patronage are computed on.
* ``order_tax_lines``: each tax of each line (jurisdiction, type, rate in thousandths of a
  percent, taxable amount, tax, reverse charge), in the order's currency.
* ``refunds.tax_cents`` and ``refunds.tax_transaction_id``: the tax a refund gave back and
  Stripe Tax's reversal transaction.
* ``sale_currencies.tax_behavior``: whether a currency's prices include the tax (EUR and GBP,
  as buyers there expect) or exclude it (USD, CAD), chosen by admins.

No entry kind is added: tax is lines of ``sale`` and ``refund`` entries (account 2300).

Revision ID: 0035_order_taxes
Revises: 0034_orders_in_other_currencies
"""

import sqlalchemy as sa
from alembic import op

revision = "0035_order_taxes"
down_revision = "0034_orders_in_other_currencies"
branch_labels = None
depends_on = None

BEHAVIORS = "tax_behavior IN ('exclusive', 'inclusive')"


def _add_column(table: str, column: sa.Column) -> None:  # type: ignore[type-arg]
    # Plain ALTER TABLE ADD COLUMN: a batch operation would rebuild the table on SQLite, and
    # dropping ``orders`` (or ``sale_currencies``) with rows that point at it trips their
    # foreign keys, as 0029 found with journal entries.
    op.add_column(table, column)


def _check(name: str, table: str, condition: str) -> None:
    # SQLite cannot add a CHECK constraint to a table without rebuilding it; the demo's
    # database goes without, PostgreSQL (production) holds it.
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f(f"ck_{table}_{name}"), table, condition)


def upgrade() -> None:
    for column in (
        sa.Column("billing_country", sa.String(length=2), nullable=True),
        sa.Column("billing_region", sa.String(length=8), nullable=True),
        sa.Column("billing_postal_code", sa.String(length=16), nullable=True),
        sa.Column("billing_tax_id", sa.String(length=32), nullable=True),
        sa.Column("billing_is_business", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("tax_behavior", sa.String(length=9), nullable=False, server_default="exclusive"),
        sa.Column("subtotal_cents", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("tax_calculation_id", sa.String(length=255), nullable=True),
        sa.Column("tax_transaction_id", sa.String(length=255), nullable=True),
        sa.Column("card_country", sa.String(length=2), nullable=True),
    ):
        _add_column("orders", column)
    op.execute("UPDATE orders SET subtotal_cents = total_cents")
    _check("tax_behavior_known", "orders", BEHAVIORS)
    _check("tax_not_negative", "orders", "tax_cents >= 0")
    _check("total_is_subtotal_and_tax", "orders", "total_cents = subtotal_cents + tax_cents")
    op.add_column(
        "order_items",
        sa.Column("tax_cents", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "order_tax_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_item_id", sa.Integer(), nullable=True),
        sa.Column("line_ref", sa.String(length=64), nullable=False),
        sa.Column("jurisdiction", sa.String(length=8), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("tax_type", sa.String(length=16), nullable=False),
        sa.Column("rate_pcm", sa.Integer(), nullable=False),
        sa.Column("taxable_cents", sa.BigInteger(), nullable=False),
        sa.Column("tax_cents", sa.BigInteger(), nullable=False),
        sa.Column("reverse_charge", sa.Boolean(), nullable=False),
        sa.Column("taxability_reason", sa.String(length=32), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("rate_pcm >= 0", name=op.f("ck_order_tax_lines_rate_not_negative")),
        sa.CheckConstraint(
            "taxable_cents >= 0", name=op.f("ck_order_tax_lines_taxable_not_negative")
        ),
        sa.CheckConstraint("tax_cents >= 0", name=op.f("ck_order_tax_lines_tax_not_negative")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_order_tax_lines_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["order_item_id"],
            ["order_items.id"],
            name=op.f("fk_order_tax_lines_order_item_id_order_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_tax_lines")),
        sa.UniqueConstraint(
            "order_id", "line_ref", "jurisdiction", "tax_type", name="uq_order_tax_lines_line"
        ),
    )
    op.create_index(
        op.f("ix_order_tax_lines_order_id"), "order_tax_lines", ["order_id"], unique=False
    )
    op.create_index(
        op.f("ix_order_tax_lines_order_item_id"),
        "order_tax_lines",
        ["order_item_id"],
        unique=False,
    )
    op.add_column(
        "refunds", sa.Column("tax_cents", sa.BigInteger(), nullable=False, server_default="0")
    )
    op.add_column("refunds", sa.Column("tax_transaction_id", sa.String(length=255), nullable=True))
    _add_column(
        "sale_currencies",
        sa.Column("tax_behavior", sa.String(length=9), nullable=False, server_default="exclusive"),
    )
    op.execute("UPDATE sale_currencies SET tax_behavior = 'inclusive' WHERE code IN ('EUR', 'GBP')")
    _check("tax_behavior_known", "sale_currencies", BEHAVIORS)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f("ck_sale_currencies_tax_behavior_known"), "sale_currencies")
        for name in ("total_is_subtotal_and_tax", "tax_not_negative", "tax_behavior_known"):
            op.drop_constraint(op.f(f"ck_orders_{name}"), "orders")
    op.drop_column("sale_currencies", "tax_behavior")
    op.drop_column("refunds", "tax_transaction_id")
    op.drop_column("refunds", "tax_cents")
    op.drop_index(op.f("ix_order_tax_lines_order_item_id"), table_name="order_tax_lines")
    op.drop_index(op.f("ix_order_tax_lines_order_id"), table_name="order_tax_lines")
    op.drop_table("order_tax_lines")
    op.drop_column("order_items", "tax_cents")
    for column in (
        "card_country",
        "tax_transaction_id",
        "tax_calculation_id",
        "tax_cents",
        "subtotal_cents",
        "tax_behavior",
        "billing_is_business",
        "billing_tax_id",
        "billing_postal_code",
        "billing_region",
        "billing_country",
    ):
        op.drop_column("orders", column)
