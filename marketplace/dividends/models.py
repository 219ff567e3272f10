"""Dividend runs and their allocations (migration 0010).

A run keeps the figures it was drafted from and a snapshot of the allocation policy, so that a
later edit of the member classes or a late refund does not change a run an admin approved.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.dividends.patronage import BusinessSplit, split_business
from marketplace.extensions import db
from marketplace.membership.models import Member
from marketplace.orders.models import OrderItem

RUN_STATUSES = ("draft", "approved", "paying", "paid", "partially_paid")
ALLOCATION_STATUSES = ("pending", "paid", "held", "failed")


class DividendRun(db.Model):  # type: ignore[name-defined]
    """One year-end run: the period's surplus, the reserve, the pool and who approved it."""

    __tablename__ = "dividend_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft")
    revenue_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    refunds_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    fees_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    operating_costs_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    operating_costs_note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    surplus_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reserve_bps: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    reserve_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    pool_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    cash_bps: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # The moments the run covers (migration 0029): from ``starts_at`` (included) to
    # ``books_closed_at`` (excluded); the moment the admin closed the books with
    # ``close_books_now``, else the end of ``period_end``. See ``periods.run_bounds``.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    books_closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    unallocated_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    # Net sales of the period made while the seller was a member, and not (migration 0030,
    # ``member_business``): only the first is patronage.
    member_business_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    non_member_business_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    # Why there is no pool, or why nobody received it; empty when the pool was shared.
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    # The policy used ([{code, share_pct, basis}]) and each class's part ([{…, pool_cents}]).
    policy: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    classes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False)
    drafted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pay_started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    pay_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When payment tasks were last queued for it (marketplace/stalled_payments.py).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0028. A loss brought from earlier runs and netted here, what this run carries
    # forward or charged to reserves, and the board's loss policy it applied.
    loss_brought_forward_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    loss_carried_forward_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    loss_charged_to_reserves_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    loss_policy: Mapped[str] = mapped_column(
        sa.String(16), nullable=False, default="carry_forward", server_default="carry_forward"
    )
    # Approved or paid after the payment period (IRC §1382(d), 8½ months): the day it first
    # was, and the admin's reason; without a reason its written notices are nonqualified.
    past_deadline_on: Mapped[date | None] = mapped_column(sa.Date)
    late_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="", server_default="")

    drafted_by: Mapped[User] = relationship(User, foreign_keys=[drafted_by_id])
    approved_by: Mapped[User | None] = relationship(User, foreign_keys=[approved_by_id])
    allocations: Mapped[list[DividendAllocation]] = relationship(
        "DividendAllocation",
        back_populates="run",
        order_by="DividendAllocation.member_number",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {RUN_STATUSES}", name="status_known"),
        sa.CheckConstraint("period_start <= period_end", name="period_ordered"),
        sa.CheckConstraint("pool_cents >= 0 AND reserve_cents >= 0", name="pool_not_negative"),
        sa.CheckConstraint("cash_bps >= 2000 AND cash_bps <= 10000", name="cash_share_allowed"),
        sa.CheckConstraint(
            "loss_policy IN ('carry_forward', 'charge_reserves')", name="loss_policy_known"
        ),
    )

    @property
    def business_split(self) -> BusinessSplit:
        """The surplus shared between member and non-member business (``patronage``)."""
        return split_business(
            self.surplus_cents, self.member_business_cents, self.non_member_business_cents
        )


class PaidByTransfer:
    """The columns of a line paid to a member by one Stripe transfer (dividend allocations,
    redemption lines): pending, then paid, held or failed with the reason."""

    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="pending")
    stripe_transfer_id: Mapped[str | None] = mapped_column(sa.String(255))
    # Bumped when Stripe refuses a transfer: it keeps a refusal under its key, so a retry
    # needs a new one (any other failure retries under the same key).
    transfer_attempt: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)
    # In the Stripe idempotency key: a database restored from a backup never reuses a key.
    transfer_token: Mapped[str] = mapped_column(
        sa.String(32), nullable=False, default=lambda: uuid.uuid4().hex
    )
    failure_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class DividendAllocation(PaidByTransfer, db.Model):  # type: ignore[name-defined]
    """One member's part of a run: what they were allocated, paid in cash and retained."""

    __tablename__ = "dividend_allocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("dividend_runs.id"), nullable=False)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    member_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    class_code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    basis: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    weight: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    patronage_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    allocation_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    cash_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    retained_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # Cash held (no payout account) and then paid by other means (a cheque, a bank transfer
    # outside Stripe): the admin's reference, and who recorded it (migration 0028).
    paid_by_other_means: Mapped[str] = mapped_column(
        sa.Text, nullable=False, default="", server_default=""
    )
    paid_by_other_means_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Cash kept against what the member owes the co-op (migration 0030): the transfer pays
    # ``cash_cents - kept_cents``.
    kept_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )
    # Tax withheld from the cash paid (migration 0036): the rate, decided before the first
    # transfer, and the cents kept; the transfer pays ``cash_cents - kept_cents -
    # withheld_cents``.
    withholding_bps: Mapped[int | None] = mapped_column(sa.Integer)
    withheld_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )

    run: Mapped[DividendRun] = relationship(DividendRun, back_populates="allocations")
    member: Mapped[Member] = relationship(Member)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ALLOCATION_STATUSES}", name="status_known"),
        sa.CheckConstraint(
            "allocation_cents > 0 AND cash_cents > 0 AND retained_cents >= 0 "
            "AND cash_cents + retained_cents = allocation_cents",
            name="parts_add_up",
        ),
        # One allocation per member and class: a founder who sells also has one in the
        # patronage class (migration 0028).
        sa.UniqueConstraint(
            "run_id", "member_id", "class_code", name="uq_dividend_allocations_run_member_class"
        ),
        sa.Index("ix_dividend_allocations_run_status", "run_id", "status"),
    )


REDEMPTION_STATUSES = ("draft", "approved", "paying", "paid", "partially_paid")


class RedemptionRun(db.Model):  # type: ignore[name-defined]
    """Revolving redemption of one year's retained allocations (all, or ``pct_bps`` of them).

    What is still retained is tracked per allocation: its ``retained_cents`` less the lines of
    redemption runs past the draft (those posted their entry). Drafts take nothing until paid.
    """

    __tablename__ = "redemption_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    # None: every retained allocation of the year in full.
    pct_bps: Mapped[int | None] = mapped_column(sa.Integer)
    allow_out_of_order: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False, default="draft")
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    pay_started_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    pay_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When payment tasks were last queued for it (marketplace/stalled_payments.py).
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Migration 0030: one member's capital (e.g. on leaving) rather than a whole year's, and
    # the second admin who approved it before it could be paid.
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    created_by: Mapped[User] = relationship(User, foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(User, foreign_keys=[approved_by_id])
    member: Mapped[Member | None] = relationship(Member)
    lines: Mapped[list[RedemptionLine]] = relationship(
        "RedemptionLine",
        back_populates="run",
        order_by="RedemptionLine.id",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.CheckConstraint(f"status IN {REDEMPTION_STATUSES}", name="status_known"),
        sa.CheckConstraint(
            "pct_bps IS NULL OR (pct_bps > 0 AND pct_bps <= 10000)", name="pct_allowed"
        ),
    )


class RedemptionLine(PaidByTransfer, db.Model):  # type: ignore[name-defined]
    """What one allocation gives back in a redemption run, paid by its own transfer."""

    __tablename__ = "redemption_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("redemption_runs.id"), nullable=False)
    allocation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("dividend_allocations.id"), nullable=False, index=True
    )
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    member_number: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    year: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    # Kept against what the member owes the co-op when it was posted (migration 0030): the
    # transfer pays ``amount_cents - kept_cents``.
    kept_cents: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, default=0, server_default="0"
    )

    run: Mapped[RedemptionRun] = relationship(RedemptionRun, back_populates="lines")
    member: Mapped[Member] = relationship(Member)

    __table_args__ = (
        sa.CheckConstraint(f"status IN {ALLOCATION_STATUSES}", name="status_known"),
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.UniqueConstraint("run_id", "allocation_id", name="uq_redemption_lines_run_allocation"),
    )


# The dividends feature's index on order items (migration 0015): refunded items only, holding
# what ``period_books.patronage_by_member`` reads of them, so taking back a period's refunds never
# reads the items' rows. Declared here, beside its only reader; it belongs to ``order_items``.
sa.Index(
    "ix_order_items_refunds",
    OrderItem.refunded_at,
    OrderItem.member_id,
    OrderItem.price_cents,
    OrderItem.order_id,
    postgresql_where=OrderItem.refunded_at.is_not(None),
    sqlite_where=OrderItem.refunded_at.is_not(None),
)
