"""What Stripe told us, and what we asked of it: webhook events, refunds, disputes, mismatches."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

EVENT_STATUSES = ("pending", "processed", "failed", "ignored")
REFUND_STATUSES = ("requested", "pending", "succeeded", "failed")


class StripeEvent(db.Model):  # type: ignore[name-defined]
    """A verified webhook delivery. The Stripe event id is the key: a redelivery is a no-op."""

    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON, nullable=False)
    status: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="pending", index=True
    )
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    last_error: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (sa.CheckConstraint(f"status IN {EVENT_STATUSES}", name="status_known"),)


class Refund(db.Model):  # type: ignore[name-defined]
    """A refund an admin asked for, of some items of an order; Stripe's answer confirms it."""

    __tablename__ = "refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    item_ids: Mapped[list[int]] = mapped_column(sa.JSON, nullable=False)
    idempotency_token: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, default=lambda: uuid.uuid4().hex
    )
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="requested")
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    failure_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # For an order paid in another currency: what the refund cost in the settlement currency,
    # from its balance transaction (migration 0032).
    settled_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    # The tax this refund gave back (part of ``amount_cents``) and Stripe Tax's reversal
    # transaction of it (migration 0035).
    tax_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    tax_transaction_id: Mapped[str | None] = mapped_column(sa.String(255))
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {REFUND_STATUSES}", name="status_known"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    @property
    def idempotency_key(self) -> str:
        return f"refund-{self.id}-{self.idempotency_token}"


class Dispute(db.Model):  # type: ignore[name-defined]
    """A chargeback the buyer's bank opened; licences are suspended until it is won."""

    __tablename__ = "disputes"

    id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)  # Stripe's dp_...
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    status: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Lost: the items the bank took back, and Stripe Tax's reversal of their tax (0039).
    item_ids: Mapped[list[int] | None] = mapped_column(sa.JSON)
    tax_transaction_id: Mapped[str | None] = mapped_column(sa.String(255))


class ReconciliationIssue(db.Model):  # type: ignore[name-defined]
    """A difference between Stripe's records and ours, for an admin to look at."""

    __tablename__ = "reconciliation_issues"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[str] = mapped_column(sa.String(10), nullable=False, index=True)  # YYYY-MM-DD
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    reference: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    detail: Mapped[str] = mapped_column(sa.Text, nullable=False)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        sa.UniqueConstraint("day", "kind", "reference", name="uq_reconciliation_issues_found"),
    )
