"""Carts and orders: what a buyer chose, at the price and terms the server fixed."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "refunded",
    "partially_refunded",
    "disputed",
    "cancelled",
)
ITEM_STATUSES = ("active", "refunded")
TAX_BEHAVIORS = ("exclusive", "inclusive")


class CartItem(db.Model):  # type: ignore[name-defined]
    """One asset in a signed-in buyer's cart, with the licence and size they picked."""

    __tablename__ = "cart_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False)
    licence: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    size: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    asset: Mapped[Asset] = relationship(Asset, lazy="joined")

    __table_args__ = (
        # One line per asset: choosing another licence or size replaces the line.
        sa.UniqueConstraint("user_id", "asset_id", name="uq_cart_items_user_asset"),
    )


# The predicate of ``ix_orders_in_other_currencies``; a query states it word for word so that
# both engines' planners match the partial index.
_PAID_IN_ANOTHER_CURRENCY = "settled_currency IS NOT NULL AND currency <> settled_currency"


class Order(db.Model):  # type: ignore[name-defined]
    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    status: Mapped[str] = mapped_column(sa.String(24), nullable=False, default="pending_payment")
    # Indexed for the few orders in another currency than a dividend run's (migration 0038).
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False, index=True)
    # What the buyer pays: ``subtotal_cents`` (the items net of tax) plus ``tax_cents``
    # (migration 0035; an order before it has no tax and its subtotal is its total).
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    subtotal_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    tax_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    # Whether the currency's prices included the tax when the order was made.
    tax_behavior: Mapped[str] = mapped_column(
        sa.String(9), nullable=False, default="exclusive", server_default="exclusive"
    )
    # The buyer's place as they gave it at checkout (ISO 3166 country, 3166-2 subdivision
    # without the country: "ON", "WA"), and their tax id; ``billing_is_business``: the tax id
    # was a valid VAT number, which made the sale a business one (reverse charge in the EU).
    billing_country: Mapped[str | None] = mapped_column(sa.String(2))
    billing_region: Mapped[str | None] = mapped_column(sa.String(8))
    billing_postal_code: Mapped[str | None] = mapped_column(sa.String(16))
    billing_tax_id: Mapped[str | None] = mapped_column(sa.String(32))
    billing_is_business: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )
    # Stripe Tax: the calculation made at checkout, the transaction recorded once paid.
    tax_calculation_id: Mapped[str | None] = mapped_column(sa.String(255))
    tax_transaction_id: Mapped[str | None] = mapped_column(sa.String(255))
    # The paying card's country (evidence of the buyer's place), recorded when paid.
    card_country: Mapped[str | None] = mapped_column(sa.String(2))
    # Each payment attempt gets its own Stripe idempotency key: order id, this random token
    # (so that a database restored from a backup never reuses a key Stripe still remembers)
    # and the attempt number.
    payment_attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    idempotency_token: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, default=lambda: uuid.uuid4().hex
    )
    payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    payment_status: Mapped[str | None] = mapped_column(sa.String(32))
    payment_error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    charge_id: Mapped[str | None] = mapped_column(sa.String(255), index=True)
    fee_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    # Paid in another currency than the settlement one: what Stripe's balance transaction
    # says the co-op received (before its fee), in which currency, at which rate (migration 0032).
    settled_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    settled_currency: Mapped[str | None] = mapped_column(sa.String(3))
    exchange_rate: Mapped[str | None] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    payment_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Idempotency-Key the buyer's client sent with the request that made the order: the
    # same key again answers with this order instead of making another.
    request_key: Mapped[str | None] = mapped_column(sa.String(255))
    # Made by checking the cart out: checking an emptied cart out again (a double click, a
    # second tab, a retry) answers with the newest such order still waiting for payment.
    from_cart: Mapped[bool] = mapped_column(
        sa.Boolean, nullable=False, default=False, server_default=sa.false()
    )

    buyer: Mapped[User] = relationship(User)
    items: Mapped[list[OrderItem]] = relationship(
        "OrderItem", back_populates="order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    tax_lines: Mapped[list[OrderTaxLine]] = relationship(
        "OrderTaxLine", order_by="OrderTaxLine.id", cascade="all, delete-orphan"
    )

    @property
    def card_country_mismatch(self) -> bool:
        """The card was issued in another country than the billing one: for an admin to look
        at (evidence of where the buyer is), never a reason to refuse the payment."""
        return bool(
            self.card_country and self.billing_country and self.card_country != self.billing_country
        )

    def payment_key(self, suffix: str = "") -> str:
        """The Stripe idempotency key of the current payment attempt."""
        return f"order-{self.id}-{self.idempotency_token}-attempt-{self.payment_attempts}{suffix}"

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ORDER_STATUSES}", name="status_known"),
        sa.CheckConstraint("total_cents >= 0", name="total_not_negative"),
        sa.CheckConstraint(f"tax_behavior IN {TAX_BEHAVIORS}", name="tax_behavior_known"),
        sa.CheckConstraint("tax_cents >= 0", name="tax_not_negative"),
        sa.CheckConstraint(
            "total_cents = subtotal_cents + tax_cents", name="total_is_subtotal_and_tax"
        ),
        # Keys are the buyer's own: two buyers' clients may well pick the same one.
        sa.Index("uq_orders_buyer_request_key", "buyer_id", "request_key", unique=True),
        # The few orders paid in another currency than they settled in: a dividend draft reads
        # them apart (dividends.foreign_sales) without scanning every order (migration 0034).
        sa.Index(
            "ix_orders_in_other_currencies",
            "paid_at",
            postgresql_where=sa.text(_PAID_IN_ANOTHER_CURRENCY),
            sqlite_where=sa.text(_PAID_IN_ANOTHER_CURRENCY),
        ),
    )


class OrderItem(db.Model):  # type: ignore[name-defined]
    """One licence bought: the price, royalty rate and terms are copied from the server's table."""

    __tablename__ = "order_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    asset_id: Mapped[int] = mapped_column(sa.ForeignKey("assets.id"), nullable=False)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    licence: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    terms_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    size: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    # The price net of tax (royalties and patronage are computed on it) and the line's tax.
    price_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    tax_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    royalty_bps: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="active")
    licence_id: Mapped[int | None] = mapped_column(sa.Integer)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[Order] = relationship(Order, back_populates="items")
    asset: Mapped[Asset] = relationship(Asset, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ITEM_STATUSES}", name="status_known"),
        sa.CheckConstraint("price_cents > 0", name="price_positive"),
        sa.UniqueConstraint("order_id", "asset_id", name="uq_order_items_order_asset"),
    )


class OrderTaxLine(db.Model):  # type: ignore[name-defined]
    """One tax of one line of an order, as Stripe Tax's calculation gave it (migration 0035).

    ``rate_pcm`` is in thousandths of a percent (20 % is 20,000, Quebec's QST 9,975); amounts
    are in the order's currency. A reverse-charged line has a zero rate and tax."""

    __tablename__ = "order_tax_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    order_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_items.id"), index=True)
    # The calculation's line reference ("item-<order item id>").
    line_ref: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    jurisdiction: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    country: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    region: Mapped[str | None] = mapped_column(sa.String(8))
    tax_type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    rate_pcm: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    taxable_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    tax_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reverse_charge: Mapped[bool] = mapped_column(sa.Boolean, nullable=False)
    taxability_reason: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)

    __table_args__ = (
        sa.CheckConstraint("rate_pcm >= 0", name="rate_not_negative"),
        sa.CheckConstraint("taxable_cents >= 0", name="taxable_not_negative"),
        sa.CheckConstraint("tax_cents >= 0", name="tax_not_negative"),
        sa.UniqueConstraint(
            "order_id", "line_ref", "jurisdiction", "tax_type", name="uq_order_tax_lines_line"
        ),
    )
