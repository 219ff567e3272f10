"""Payout accounts (Stripe Connect) and royalty payout runs with their lines (migration 0011)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.membership.models import Member

RUN_STATUSES = ("pending", "running", "done")
LINE_STATUSES = ("pending", "sent", "held", "failed")


class PayoutAccount(db.Model):  # type: ignore[name-defined]
    """A member's connected account at Stripe, as Stripe last described it."""

    __tablename__ = "payout_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), unique=True, nullable=False)
    stripe_account_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # Sent with the account's creation; random so a database reset never reuses one.
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    details_submitted: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    payouts_enabled: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    transfers_active: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    requirements_due: Mapped[list[str]] = mapped_column(sa.JSON, nullable=False, default=list)
    disabled_reason: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    member: Mapped[Member] = relationship(Member)

    @property
    def ready(self) -> bool:
        """Stripe accepts transfers to it and pays them out to the member's bank."""
        return bool(self.stripe_account_id and self.payouts_enabled and self.transfers_active)


class PayoutRun(db.Model):  # type: ignore[name-defined]
    """One "pay royalties" run: every member whose royalties due reached the threshold."""

    __tablename__ = "payout_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    # 1 while the run is pending or running, NULL once done: the unique constraint lets only
    # one run be open at a time, even when two admins (or an admin and the beat) start one.
    open_slot: Mapped[int | None] = mapped_column(sa.Integer, unique=True)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    threshold_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When payment tasks were last queued for it (marketplace/stalled_payments.py).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User | None] = relationship(User)
    lines: Mapped[list[PayoutLine]] = relationship(
        "PayoutLine", back_populates="run", order_by="PayoutLine.id"
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {RUN_STATUSES}", name="status_known"),
        sa.CheckConstraint("threshold_cents > 0", name="threshold_positive"),
    )


class PayoutLine(db.Model):  # type: ignore[name-defined]
    """One member's payout in a run: one Stripe transfer, keyed by ``idempotency_key``."""

    __tablename__ = "payout_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("payout_runs.id"), nullable=False, index=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    stripe_transfer_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    failure_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # A new key for each attempt Stripe refused (it keeps a refusal under its key); the same
    # key again when Stripe's answer was lost, so that a retry can never pay twice.
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    key_refused: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    attempts: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    reversed_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    # Tax withheld (migration 0036): the rate, decided before the first transfer and kept for
    # every retry, and the cents kept from ``amount_cents`` (the gross); the transfer pays
    # ``amount_cents - withheld_cents``.
    withholding_bps: Mapped[int | None] = mapped_column(sa.Integer)
    withheld_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def net_cents(self) -> int:
        return self.amount_cents - self.withheld_cents

    run: Mapped[PayoutRun] = relationship(PayoutRun, back_populates="lines")
    member: Mapped[Member] = relationship(Member)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {LINE_STATUSES}", name="status_known"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.UniqueConstraint("run_id", "member_id", name="uq_payout_lines_run_member"),
    )
