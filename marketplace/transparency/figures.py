"""The open books, read from the ledger: a few grouped queries per year, summed in the database.

Nothing here writes. The figures are defined in ``marketplace.transparency.core``; this module
only fetches the sums it needs (journal lines by month, account code and posting kind; the
reserves before the year; members and published works by month) and hands them over.
Queries bucket timestamps by UTC month with ``month_bucket``, which speaks each database's
dialect, so the same code runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import threading
import time as clock
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, aliased

from marketplace.assets.models import Asset
from marketplace.database import utcnow
from marketplace.ledger.core import RESERVES
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.membership.models import Member, MemberClass
from marketplace.transparency import core
from marketplace.transparency.core import Counts, Movement, OpenBooks


def month_bucket(session: Session, column: Any, *, timestamp: bool = True) -> Any:
    """``"YYYY-MM"`` of a date or UTC timestamp column, in the session's SQL dialect.

    SQLite keeps timestamps as UTC text, which ``strftime`` reads; PostgreSQL keeps
    ``timestamptz``, which is turned to UTC first so the session's time zone cannot move an
    entry posted at 23:30 on the last day into the next month.
    """
    if session.get_bind().dialect.name == "postgresql":
        value = sa.func.timezone("UTC", column) if timestamp else column
        return sa.func.to_char(value, "YYYY-MM")
    return sa.func.strftime("%Y-%m", column)


def _start_of_year(year: int) -> datetime:
    return datetime.combine(date(year, 1, 1), time.min, tzinfo=UTC)


def _side_sum(side_column: Any, amount_column: Any, side: str) -> Any:
    return sa.func.coalesce(sa.func.sum(sa.case((side_column == side, amount_column), else_=0)), 0)


def movements(session: Session, year: int, currency: str) -> list[Movement]:
    """The year's lines on the accounts the open books read, summed by month, code and posting
    kind (a reversal counts as the kind it reverses; see ``core``)."""
    original = aliased(JournalEntry)
    key = sa.func.coalesce(original.idempotency_key, JournalEntry.idempotency_key)
    lines = (
        sa.select(
            month_bucket(session, JournalEntry.posted_at).label("month"),
            LedgerAccount.code.label("code"),
            sa.case(
                (key.like(f"{core.KIND_REDEMPTION_PAYMENT}:%"), core.KIND_REDEMPTION_PAYMENT),
                else_=sa.func.coalesce(original.kind, JournalEntry.kind),
            ).label("kind"),
            JournalLine.side.label("side"),
            JournalLine.amount_cents.label("amount_cents"),
        )
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .outerjoin(original, original.id == JournalEntry.reverses_entry_id)
        .where(
            JournalLine.currency == currency,
            LedgerAccount.code.in_(core.CODES),
            JournalEntry.posted_at >= _start_of_year(year),
            JournalEntry.posted_at < _start_of_year(year + 1),
        )
        .subquery()
    )
    # Grouped outside the subquery: PostgreSQL will not match a GROUP BY expression holding
    # bound parameters (the LIKE pattern, the date format) to the same one in the SELECT.
    rows = session.execute(
        sa.select(
            lines.c.month,
            lines.c.code,
            lines.c.kind,
            _side_sum(lines.c.side, lines.c.amount_cents, "debit"),
            _side_sum(lines.c.side, lines.c.amount_cents, "credit"),
        ).group_by(lines.c.month, lines.c.code, lines.c.kind)
    ).all()
    return [
        Movement(int(month[5:7]), code, kind, int(debits), int(credits))
        for month, code, kind, debits, credits in rows
    ]


def reserves_before(session: Session, year: int, currency: str) -> int:
    """The reserves account's (credit-normal) balance before the year began."""
    debits, credits = session.execute(
        sa.select(
            _side_sum(JournalLine.side, JournalLine.amount_cents, "debit"),
            _side_sum(JournalLine.side, JournalLine.amount_cents, "credit"),
        )
        .select_from(JournalLine)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            LedgerAccount.code == RESERVES,
            JournalLine.currency == currency,
            JournalEntry.posted_at < _start_of_year(year),
        )
    ).one()
    return int(credits) - int(debits)


def _bucket_counts(session: Session, bucketed: sa.Select[Any]) -> list[tuple[Any, ...]]:
    """``bucketed``'s rows counted by all of its columns (the last column of each result).

    Grouped outside a subquery, for the reason given in ``movements``."""
    inner = bucketed.subquery()
    columns = list(inner.c)
    return [
        tuple(row)
        for row in session.execute(sa.select(*columns, sa.func.count()).group_by(*columns)).all()
    ]


def member_counts(session: Session, year: int) -> dict[str, Counts]:
    """Per class (every class, even an empty one), members by month of joining, resigned ones
    left out (the register keeps no date of resignation)."""
    counts: dict[str, list[tuple[str, int]]] = {
        code: [] for code in session.execute(sa.select(MemberClass.code)).scalars()
    }
    joined = (
        sa.select(
            MemberClass.code.label("code"),
            month_bucket(session, Member.joined_on, timestamp=False).label("month"),
        )
        .join(MemberClass, MemberClass.id == Member.member_class_id)
        .where(Member.status != "resigned", Member.joined_on < date(year + 1, 1, 1))
    )
    for code, month, number in _bucket_counts(session, joined):
        counts.setdefault(str(code), []).append((str(month), int(number)))
    return {
        code: core.counts_from_buckets(year, buckets) for code, buckets in sorted(counts.items())
    }


def asset_counts(session: Session, year: int) -> Counts:
    """Works on sale at each month's end: published by then, less those withdrawn by then."""
    end = _start_of_year(year + 1)
    published = sa.select(month_bucket(session, Asset.published_at).label("month")).where(
        Asset.status == "published", Asset.published_at < end
    )
    withdrawn = sa.select(month_bucket(session, Asset.withdrawn_at).label("month")).where(
        Asset.status == "published", Asset.published_at < end, Asset.withdrawn_at < end
    )
    buckets = [(str(m), int(n)) for m, n in _bucket_counts(session, published)]
    buckets += [(str(m), -int(n)) for m, n in _bucket_counts(session, withdrawn)]
    return core.counts_from_buckets(year, buckets)


def years_with_activity(session: Session, currency: str) -> list[int]:
    """From the year of the first entry in ``currency`` to the year of the last, newest first.

    Two index lookups (min and max of ``posted_at``) instead of a scan of the whole journal: a
    quiet year between two busy ones is listed too, and shows its zeros.
    """
    first, last = session.execute(
        sa.select(sa.func.min(JournalEntry.posted_at), sa.func.max(JournalEntry.posted_at)).where(
            JournalEntry.currency == currency
        )
    ).one()
    if first is None or last is None:
        return []
    return list(range(last.astimezone(UTC).year, first.astimezone(UTC).year - 1, -1))


def open_books(
    session: Session, currency: str, year: int | None = None, *, now: datetime | None = None
) -> OpenBooks:
    """The year's figures from the ledger (the latest year with entries when ``year`` is None,
    or this year when there are none); raises ``core.BadYear`` for a year not yet begun."""
    now = now or utcnow()
    years = years_with_activity(session, currency)
    if year is None:
        year = years[0] if years else now.year
    months = core.months_shown(year, now.date())
    return core.build_year(
        year,
        currency,
        now,
        months,
        movements(session, year, currency),
        reserves_before(session, year, currency),
        member_counts(session, year),
        asset_counts(session, year),
        years,
    )


DEFAULT_CACHE_SECONDS = 60
_cached: dict[tuple[str, str, int | None], tuple[float, OpenBooks]] = {}
_cache_lock = threading.Lock()


def cache_seconds() -> int:
    """How long a process reuses a year's open books: ``OPEN_BOOKS_CACHE_SECONDS``, else 60."""
    return int(current_app.config.get("OPEN_BOOKS_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


def cached_open_books(
    session: Session, currency: str, year: int | None, max_age_seconds: int
) -> OpenBooks:
    """``open_books``, reused for ``max_age_seconds`` (0: always computed afresh).

    The page is public and summing a busy year's lines takes seconds on a big ledger, so each
    process keeps each year's figures for a short while; the page says when they were computed.
    Keyed by database too, so two apps in one process (tests) never share figures.
    """
    if max_age_seconds <= 0:
        return open_books(session, currency, year)
    key = (str(session.get_bind().engine.url), currency, year)
    now = clock.monotonic()
    with _cache_lock:
        hit = _cached.get(key)
    if hit is not None and now - hit[0] < max_age_seconds:
        return hit[1]
    books = open_books(session, currency, year)
    with _cache_lock:
        _cached[key] = (now, books)
    return books
