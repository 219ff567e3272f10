"""Currencies: prices per presentment currency, settlement and exchange difference (issue 19)

* ``sale_currencies``: the currencies buyers may pay in (USD, EUR, GBP, CAD to begin with), in
  the switcher's order; ``currency_prices``: each one's table (a price per size and a surcharge
  per licence kind), seeded with rounded prices of each market. The settlement currency's prices
  stay where they were (the size table in ``marketplace.pricing`` and the licence terms).
* ``users.currency``: the currency an account chose with the switcher (none: from its language).
* ``orders``: ``settled_cents``, ``settled_currency`` and ``exchange_rate``, what Stripe's
  balance transaction says the co-op received for an order paid in another currency;
  ``refunds.settled_cents``, what a refund of such an order cost in the settlement currency.

No entry kind is added: a sale or refund in another currency is still a ``sale`` or a
``refund`` entry, with lines in both currencies.

Revision ID: 0032_currencies
Revises: 0031_languages
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0032_currencies"
down_revision = "0031_languages"
branch_labels = None
depends_on = None

# Copied from marketplace.currencies.core.DEFAULT_TABLES as they were when this ran.
DEFAULT_TABLES = {
    "EUR": (
        {"S": 1400, "M": 4200, "L": 8900, "XL": 11900, "HD": 7400, "4K": 18900},
        {"standard": 0, "extended": 9500},
    ),
    "GBP": (
        {"S": 1200, "M": 3600, "L": 7500, "XL": 9900, "HD": 6500, "4K": 15900},
        {"standard": 0, "extended": 7900},
    ),
    "CAD": (
        {"S": 1900, "M": 5900, "L": 12900, "XL": 16900, "HD": 10900, "4K": 26900},
        {"standard": 0, "extended": 13500},
    ),
}
ON_SALE = ("USD", "EUR", "GBP", "CAD")


def upgrade() -> None:
    currencies = op.create_table(
        "sale_currencies",
        sa.Column("code", sa.String(length=3), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(code) = 3", name=op.f("ck_sale_currencies_code_is_a_code")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_sale_currencies")),
    )
    prices = op.create_table(
        "currency_prices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("item", sa.String(length=8), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "amount_cents >= 0", name=op.f("ck_currency_prices_amount_not_negative")
        ),
        sa.CheckConstraint(
            "item IN ('size', 'licence')", name=op.f("ck_currency_prices_item_known")
        ),
        sa.ForeignKeyConstraint(
            ["currency"],
            ["sale_currencies.code"],
            name=op.f("fk_currency_prices_currency_sale_currencies"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_currency_prices")),
        sa.UniqueConstraint("currency", "item", "code", name="uq_currency_prices_item"),
    )
    op.create_index(
        op.f("ix_currency_prices_currency"), "currency_prices", ["currency"], unique=False
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        currencies,
        [{"code": code, "position": i, "created_at": now} for i, code in enumerate(ON_SALE)],
    )
    rows = [
        {"currency": code, "item": item, "code": name, "amount_cents": cents, "updated_at": now}
        for code, (sizes, surcharges) in DEFAULT_TABLES.items()
        for item, table in (("size", sizes), ("licence", surcharges))
        for name, cents in table.items()
    ]
    op.bulk_insert(prices, rows)

    op.add_column("users", sa.Column("currency", sa.String(length=3), nullable=True))
    op.add_column("orders", sa.Column("settled_cents", sa.BigInteger(), nullable=True))
    op.add_column("orders", sa.Column("settled_currency", sa.String(length=3), nullable=True))
    op.add_column("orders", sa.Column("exchange_rate", sa.String(length=32), nullable=True))
    op.add_column("refunds", sa.Column("settled_cents", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.drop_column("refunds", "settled_cents")
    op.drop_column("orders", "exchange_rate")
    op.drop_column("orders", "settled_currency")
    op.drop_column("orders", "settled_cents")
    op.drop_column("users", "currency")
    op.drop_index(op.f("ix_currency_prices_currency"), table_name="currency_prices")
    op.drop_table("currency_prices")
    op.drop_table("sale_currencies")
