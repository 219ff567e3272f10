"""The ledger's tables: accounts, journal entries and their lines (migration 0007).

Entries and lines are append-only: nothing here updates or deletes them, and on PostgreSQL
triggers refuse it and check at commit that every entry balances per currency.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.ledger.core import ACCOUNT_TYPES
from marketplace.ledger.kinds import kind_check_sql
from marketplace.membership.models import Member

SIDES = ("debit", "credit")


class LedgerAccount(db.Model):  # type: ignore[name-defined]
    """An account of the chart; per-member accounts (royalties payable…) name their member."""

    __tablename__ = "ledger_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    type: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    member_id: Mapped[int | None] = mapped_column(sa.ForeignKey("members.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    member: Mapped[Member | None] = relationship(Member, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint(f"type IN {ACCOUNT_TYPES}", name="type_known"),
        sa.UniqueConstraint("code", "member_id", name="uq_ledger_accounts_code_member"),
        # NULLs never collide in a unique constraint: shared accounts need their own index.
        sa.Index(
            "uq_ledger_accounts_code_shared",
            "code",
            unique=True,
            sqlite_where=sa.text("member_id IS NULL"),
            postgresql_where=sa.text("member_id IS NULL"),
        ),
    )

    @property
    def label(self) -> str:
        if self.member is None:
            return self.name
        return f"{self.name}: member {self.member.member_number} ({self.member.display_name})"


class JournalEntry(db.Model):  # type: ignore[name-defined]
    """One balanced movement of money, posted once (its idempotency key is unique)."""

    __tablename__ = "journal_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False, index=True)
    description: Mapped[str] = mapped_column(sa.String(500), nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.Integer, index=True)
    reverses_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journal_entries.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    posted_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )

    lines: Mapped[list[JournalLine]] = relationship(
        "JournalLine", back_populates="entry", order_by="JournalLine.id"
    )

    __table_args__ = (
        sa.CheckConstraint("length(idempotency_key) > 0", name="idempotency_key_not_blank"),
        sa.CheckConstraint("length(kind) > 0", name="kind_not_blank"),
        sa.CheckConstraint(kind_check_sql(), name="kind_known"),
        sa.CheckConstraint("length(currency) = 3", name="currency_is_a_code"),
    )


class JournalLine(db.Model):  # type: ignore[name-defined]
    """One side of one account in an entry, with a positive amount."""

    __tablename__ = "journal_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        sa.ForeignKey("journal_entries.id"), nullable=False, index=True
    )
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("ledger_accounts.id"), nullable=False, index=True
    )
    side: Mapped[str] = mapped_column(sa.String(6), nullable=False)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)

    entry: Mapped[JournalEntry] = relationship(JournalEntry, back_populates="lines")
    account: Mapped[LedgerAccount] = relationship(LedgerAccount, lazy="joined")

    __table_args__ = (
        sa.CheckConstraint("amount_cents > 0", name="amount_positive"),
        sa.CheckConstraint(f"side IN {SIDES}", name="side_known"),
        sa.CheckConstraint("length(currency) = 3", name="currency_is_a_code"),
    )

    @property
    def debit_cents(self) -> int:
        return self.amount_cents if self.side == "debit" else 0

    @property
    def credit_cents(self) -> int:
        return self.amount_cents if self.side == "credit" else 0


class LedgerDayTotal(db.Model):  # type: ignore[name-defined]
    """What one shared account saw in one UTC day, currency and entry kind (migration 0015).

    Kept by a trigger on ``journal_lines``, never written by the app; on PostgreSQL split into
    ``shard`` rows (the posting backend's pid modulo 8) so concurrent postings seldom wait on
    one row: always sum over the shards. Per-member accounts are not summed here.
    """

    __tablename__ = "ledger_day_totals"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("ledger_accounts.id"), primary_key=True)
    currency: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    shard: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True)
    debit_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    credit_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)


class LedgerUncheckedEntry(db.Model):  # type: ignore[name-defined]
    """An entry touched by the open transaction, waiting for PostgreSQL's balance check at
    commit (migration 0015): empty outside a transaction, and always empty on SQLite."""

    __tablename__ = "ledger_unchecked_entries"

    entry_id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
