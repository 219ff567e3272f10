"""What the co-op's shared accounts saw per day: read from ``ledger_day_totals``.

A trigger on ``journal_lines`` keeps the table (migration 0015), so a period's revenue, refunds
and fees are a few thousand summed rows rather than every ledger line of the period. Only shared
accounts (no member) are summed; per-member balances still come from the lines.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount, LedgerDayTotal


@dataclass(frozen=True)
class CodeTotals:
    debits_cents: int
    credits_cents: int


def period_totals(
    session: Session,
    codes: Iterable[str],
    start: date,
    end: date,
    currency: str,
    *,
    exclude_kinds: Iterable[str] = (),
) -> dict[str, CodeTotals]:
    """Debits and credits of each shared account of ``codes`` over the UTC days from ``start``
    to ``end``, both included, in ``currency``, leaving out entries of ``exclude_kinds``;
    codes with nothing posted are absent. Exactly what summing the period's lines gives."""
    rows = session.execute(
        sa.select(
            LedgerAccount.code,
            sa.func.coalesce(sa.func.sum(LedgerDayTotal.debit_cents), 0),
            sa.func.coalesce(sa.func.sum(LedgerDayTotal.credit_cents), 0),
        )
        .join(LedgerAccount, LedgerAccount.id == LedgerDayTotal.account_id)
        .where(
            LedgerAccount.code.in_(sorted(set(codes))),
            LedgerAccount.member_id.is_(None),
            LedgerDayTotal.currency == currency,
            LedgerDayTotal.day.between(start, end),
            LedgerDayTotal.kind.not_in(sorted(set(exclude_kinds))),
        )
        .group_by(LedgerAccount.code)
    ).all()
    return {code: CodeTotals(int(debits), int(credits)) for code, debits, credits in rows}


def _day_of(posted_at: Any, dialect: str) -> sa.ColumnElement[Any]:
    if dialect == "postgresql":
        return sa.cast(sa.func.timezone("UTC", posted_at), sa.Date)
    # SQLite keeps UTC datetimes as text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
    return sa.func.substr(posted_at, 1, 10)


def rebuild_day_totals(connection: sa.Connection) -> int:
    """Recompute the whole table from the lines (for data written with the triggers off, such
    as a bulk load); how many rows it holds. The caller commits."""
    dialect = connection.dialect.name
    day = _day_of(JournalEntry.posted_at, dialect)
    sums = sa.select(
        day,
        JournalLine.account_id,
        JournalLine.currency,
        JournalEntry.kind,
        sa.literal(0),
        sa.func.sum(sa.case((JournalLine.side == "debit", JournalLine.amount_cents), else_=0)),
        sa.func.sum(sa.case((JournalLine.side == "credit", JournalLine.amount_cents), else_=0)),
    )
    sums = (
        sums.join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.member_id.is_(None))
        .group_by(day, JournalLine.account_id, JournalLine.currency, JournalEntry.kind)
    )
    table = LedgerDayTotal.__table__
    connection.execute(sa.delete(table))
    columns = ("day", "account_id", "currency", "kind", "shard", "debit_cents", "credit_cents")
    connection.execute(sa.insert(table).from_select(list(columns), sums))
    return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
