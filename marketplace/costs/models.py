"""Recorded operating costs (migration 0029): one row per cost, beside its ledger entries.

The entries are the books; the row keeps what the admin entered, who did it, and when an
accrued cost was paid or a mistaken one reversed (with the reason). Nothing is deleted.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class RecordedCost(db.Model):  # type: ignore[name-defined]
    """One operating cost: its date, description, amount, expense account and how it was paid."""

    __tablename__ = "recorded_costs"

    id: Mapped[int] = mapped_column(primary_key=True)
    incurred_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    description: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    expense_code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    paid_from: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    entry_id: Mapped[int] = mapped_column(sa.ForeignKey("journal_entries.id"), nullable=False)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # An accrued cost, once paid from the bank.
    paid_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    # A mistaken cost, undone by a reversing entry.
    reversal_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    reversal_reason: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    reversed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    recorded_by: Mapped[User] = relationship(User, foreign_keys=[recorded_by_id])
    reversed_by: Mapped[User | None] = relationship(User, foreign_keys=[reversed_by_id])

    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint("paid_from IN ('bank', 'payable')", name="paid_from_known"),
    )

    @property
    def status(self) -> str:
        if self.reversal_entry_id is not None:
            return "reversed"
        if self.paid_from == "payable" and self.paid_entry_id is None:
            return "owed"
        return "booked"
