"""The currencies on sale and their price tables (migration 0032)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

PRICE_ITEMS = ("size", "licence")


class SaleCurrency(db.Model):  # type: ignore[name-defined]
    """A currency buyers may pay in, in the switcher's order. The settlement currency is on
    sale whether listed or not; its prices are the size table and the licence terms."""

    __tablename__ = "sale_currencies"

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # Whether this currency's prices include the tax ("inclusive", as buyers of euros and
    # pounds expect) or have it added at checkout ("exclusive"), chosen by admins (0035).
    tax_behavior: Mapped[str] = mapped_column(
        sa.String(9), nullable=False, default="exclusive", server_default="exclusive"
    )

    __table_args__ = (
        sa.CheckConstraint("length(code) = 3", name="code_is_a_code"),
        sa.CheckConstraint("tax_behavior IN ('exclusive', 'inclusive')", name="tax_behavior_known"),
    )


class CurrencyPrice(db.Model):  # type: ignore[name-defined]
    """One price of a currency's table: a size's price or a licence kind's surcharge."""

    __tablename__ = "currency_prices"

    id: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(
        sa.ForeignKey("sale_currencies.code"), nullable=False, index=True
    )
    item: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    __table_args__ = (
        sa.UniqueConstraint("currency", "item", "code", name="uq_currency_prices_item"),
        sa.CheckConstraint(f"item IN {PRICE_ITEMS}", name="item_known"),
        sa.CheckConstraint("amount_cents >= 0", name="amount_not_negative"),
    )
