"""Stripe's payouts of the platform balance to the co-op's bank, and the bank statement's lines
(migration 0029): what the bank reconciliation page compares."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db

PAYOUT_STATUSES = ("pending", "in_transit", "paid", "failed", "canceled")


class BankPayout(db.Model):  # type: ignore[name-defined]
    """One Stripe payout (``po_…``), as Stripe last described it, and its ledger entries: Bank
    <- Stripe clearing when paid, and the money coming back when a paid payout fails."""

    __tablename__ = "bank_payouts"

    id: Mapped[int] = mapped_column(primary_key=True)
    stripe_payout_id: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    status: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    arrival_date: Mapped[date | None] = mapped_column(sa.Date)
    balance_transaction_id: Mapped[str | None] = mapped_column(sa.String(255))
    failure_message: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    return_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )

    statement_lines: Mapped[list[BankStatementLine]] = relationship(
        "BankStatementLine", back_populates="payout"
    )

    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(f"status IN {PAYOUT_STATUSES}", name="status_known"),
    )


class BankStatementLine(db.Model):  # type: ignore[name-defined]
    """One line of the bank's statement, imported by an admin; ``payout_id`` once matched."""

    __tablename__ = "bank_statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    booked_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    # Money in is positive, money out negative.
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    description: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    # The same line imported twice (two overlapping statements) is one line.
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    payout_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bank_payouts.id"))
    imported_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    payout: Mapped[BankPayout | None] = relationship(BankPayout, back_populates="statement_lines")

    __table_args__ = (sa.CheckConstraint("amount_cents <> 0", name="amount_not_zero"),)
