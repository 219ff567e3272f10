"""Which period a dividend run covers: the one the admin page proposes, the rule that a run
covers a period that has ended (API.md, "Patronage dividends"), and the moments it covers.

A run covers the moments from ``starts_at`` (included) to ``books_closed_at`` (excluded). A
period that ends today closes at the moment the admin drafts it with ``close_books_now``;
later sales, refunds and costs belong to the next run, which starts at that very moment (not
at the next date), so nothing falls between two runs. The run's year-end entries are dated at
the last moment it covers, so the books of that year show them.

The co-op's fiscal year is the calendar year, as everywhere in the dividends package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.dividends.models import DividendRun
from marketplace.errors import InvalidInput
from marketplace.ledger.day_totals import CodeTotals, period_totals
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order

ONE_TICK = timedelta(microseconds=1)


def today_utc() -> date:
    """The ledger's dates are UTC days, so "today" is too."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class SuggestedPeriod:
    """The period the draft form starts with, and one sentence on why."""

    start: date
    end: date
    close_books_now: bool
    reason: str


def _years_with_paid_orders(session: Session) -> list[int]:
    year = sa.extract("year", Order.paid_at)
    rows = session.execute(
        sa.select(year).where(Order.paid_at.is_not(None)).group_by(year).order_by(year.desc())
    ).scalars()
    return [int(value) for value in rows]


def start_of(day: date) -> datetime:
    """Midnight UTC at the start of ``day``: the ledger's days are UTC days."""
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodBounds:
    """The moments a run covers: from ``starts_at`` (included) to ``closes_at`` (excluded)."""

    starts_at: datetime
    closes_at: datetime

    @classmethod
    def whole_days(cls, start: date, end: date) -> PeriodBounds:
        """From the start of ``start`` to the end of ``end``, both days included."""
        return cls(start_of(start), start_of(end + timedelta(days=1)))

    @property
    def last_moment(self) -> datetime:
        """When the run's year-end entries are dated: the last moment of its period."""
        return self.closes_at - ONE_TICK

    def overlaps(self, other: PeriodBounds) -> bool:
        return self.starts_at < other.closes_at and other.starts_at < self.closes_at


def run_bounds(run: DividendRun) -> PeriodBounds:
    """The moments ``run`` covers (whole days for a run stored without them)."""
    days = PeriodBounds.whole_days(run.period_start, run.period_end)
    return PeriodBounds(run.starts_at or days.starts_at, run.books_closed_at or days.closes_at)


def draft_bounds(
    session: Session,
    start: date,
    end: date,
    close_books_now: bool,
    now: datetime | None = None,
) -> PeriodBounds:
    """The moments a new run of ``start`` to ``end`` covers.

    It closes now when it ends today with ``close_books_now`` (``refuse_open_period`` has
    refused the other ways to end today), else at the end of ``end``. It starts where a run
    closed during the day ``start`` (that run's books were closed then), else at the start of
    ``start``. A period that has not ended is refused here too (``refuse_open_period``), so
    that no caller of the service, API, page or other, drafts one.
    """
    now = now or utcnow()
    refuse_open_period(end, close_books_now, now.date())
    days = PeriodBounds.whole_days(start, end)
    closes_at = now if close_books_now and end == now.date() else days.closes_at
    closed_that_day = session.execute(
        sa.select(sa.func.max(DividendRun.books_closed_at)).where(
            DividendRun.books_closed_at > days.starts_at,
            DividendRun.books_closed_at < start_of(start + timedelta(days=1)),
        )
    ).scalar_one_or_none()
    starts_at = days.starts_at
    if closed_that_day is not None:
        starts_at = closed_that_day.replace(tzinfo=closed_that_day.tzinfo or UTC)
    if starts_at >= closes_at:
        raise InvalidInput(
            gettext(
                "The books were closed at %(moment)s: this period has no moment left to cover. "
                "Choose a period that ends later.",
                moment=starts_at.isoformat(timespec="seconds"),
            ),
            code="period_not_ended",
            fields={"period_end": gettext("Nothing left to cover.")},
        )
    return PeriodBounds(starts_at, closes_at)


def covering_run(session: Session, bounds: PeriodBounds) -> DividendRun | None:
    """A run (draft or approved) that covers some moment of ``bounds``, if any."""
    candidates = session.execute(
        sa.select(DividendRun)
        .where(
            DividendRun.period_start <= bounds.closes_at.date(),
            DividendRun.period_end >= bounds.starts_at.date(),
        )
        .order_by(DividendRun.id)
    ).scalars()
    return next((run for run in candidates if run_bounds(run).overlaps(bounds)), None)


def run_covering(session: Session, moment: datetime) -> DividendRun | None:
    """The run whose books hold ``moment``, if any: costs dated there are refused."""
    return covering_run(session, PeriodBounds(moment, moment + ONE_TICK))


def _partial_ranges(bounds: PeriodBounds) -> tuple[tuple[date, date] | None, list[PeriodBounds]]:
    """``bounds`` as whole UTC days (first, last; None when there is none) and the pieces of
    days at either end."""
    first = bounds.starts_at.date()
    if bounds.starts_at != start_of(first):
        first += timedelta(days=1)
    last = bounds.closes_at.date() - timedelta(days=1)
    if first > last:
        return None, [bounds]
    pieces = [
        PeriodBounds(bounds.starts_at, start_of(first)),
        PeriodBounds(start_of(last + timedelta(days=1)), bounds.closes_at),
    ]
    return (first, last), [piece for piece in pieces if piece.starts_at < piece.closes_at]


def ledger_totals(
    session: Session,
    codes: Iterable[str],
    bounds: PeriodBounds,
    currency: str,
    *,
    exclude_kinds: Iterable[str] = (),
) -> dict[str, CodeTotals]:
    """Debits and credits of each shared account of ``codes`` posted within ``bounds``: whole
    days from the day totals, the pieces of days at either end (a run that closed or started
    at a moment of the day) from the lines themselves."""
    codes, exclude_kinds = sorted(set(codes)), sorted(set(exclude_kinds))
    days, pieces = _partial_ranges(bounds)
    totals = dict(
        period_totals(session, codes, *days, currency, exclude_kinds=exclude_kinds) if days else {}
    )
    side_sum = {
        side: sa.func.coalesce(
            sa.func.sum(sa.case((JournalLine.side == side, JournalLine.amount_cents), else_=0)),
            0,
        )
        for side in ("debit", "credit")
    }
    for piece in pieces:
        rows = session.execute(
            sa.select(LedgerAccount.code, side_sum["debit"], side_sum["credit"])
            .select_from(JournalLine)
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(
                LedgerAccount.code.in_(codes),
                LedgerAccount.member_id.is_(None),
                JournalLine.currency == currency,
                JournalEntry.kind.not_in(exclude_kinds),
                JournalEntry.posted_at >= piece.starts_at,
                JournalEntry.posted_at < piece.closes_at,
            )
            .group_by(LedgerAccount.code)
        ).all()
        for code, debits, credits in rows:
            before = totals.get(code, CodeTotals(0, 0))
            totals[code] = CodeTotals(
                before.debits_cents + int(debits), before.credits_cents + int(credits)
            )
    return totals


def _covered(session: Session, start: date, end: date) -> bool:
    return covering_run(session, PeriodBounds.whole_days(start, end)) is not None


def _closed_during(session: Session, year: int) -> datetime | None:
    """The latest moment a run closed the books inside ``year`` (not at its end), if any."""
    closed = session.execute(
        sa.select(sa.func.max(DividendRun.books_closed_at)).where(
            DividendRun.books_closed_at > start_of(date(year, 1, 1)),
            DividendRun.books_closed_at < start_of(date(year + 1, 1, 1)),
        )
    ).scalar_one_or_none()
    return None if closed is None else closed.replace(tzinfo=closed.tzinfo or UTC)


def _open_from(session: Session, year: int) -> datetime | None:
    """Where ``year`` starts to have no run: after the books were last closed inside it, or
    its first day; None when runs cover it to its end."""
    end_of_year = start_of(date(year + 1, 1, 1))
    starts_at = _closed_during(session, year) or start_of(date(year, 1, 1))
    if covering_run(session, PeriodBounds(starts_at, end_of_year)) is not None:
        return None
    return starts_at


def suggest_period(session: Session, today: date | None = None) -> SuggestedPeriod:
    """The latest fiscal year that has paid orders and no run yet, preferring one that has ended.

    When the only such year is the current one, the proposal is that year to today with the
    books closed now (a run may not end in the future). A year whose books were closed during
    it is proposed from that day (the run starts at that moment). With no paid order at all,
    the previous year: a draft of it says there is no surplus, which is then true.
    """
    today = today or today_utc()
    open_years: list[tuple[int, datetime]] = []
    for year in _years_with_paid_orders(session):
        starts_at = _open_from(session, year) if year <= today.year else None
        if starts_at is not None:
            open_years.append((year, starts_at))
    ended = [(year, starts_at) for year, starts_at in open_years if year < today.year]
    if ended:
        year, starts_at = ended[0]
        return SuggestedPeriod(
            starts_at.date(),
            date(year, 12, 31),
            False,
            gettext(
                "The fiscal year %(year)s: the latest ended year with sales and no run "
                "yet%(since)s",
                year=year,
                since=_since(starts_at),
            ),
        )
    if open_years:
        starts_at = open_years[0][1]
        return SuggestedPeriod(
            starts_at.date(),
            today,
            True,
            gettext(
                "Every earlier year with sales has its run; %(year)s has not ended, so this "
                "drafts it to today with the books closed now%(since)s",
                year=today.year,
                since=_since(starts_at),
            ),
        )
    last_year = today.year - 1
    return SuggestedPeriod(
        date(last_year, 1, 1),
        date(last_year, 12, 31),
        False,
        gettext("No order has been paid yet: the last fiscal year is shown."),
    )


def _since(starts_at: datetime) -> str:
    if starts_at == start_of(starts_at.date()) and starts_at.timetuple().tm_yday == 1:
        return "."
    return gettext(
        ", from %(moment)s UTC, when the books of the previous run were closed.",
        moment=starts_at.strftime("%Y-%m-%d %H:%M:%S"),
    )


def refuse_open_period(
    period_end: date, close_books_now: object, today: date | None = None
) -> None:
    """Raise InvalidInput (422) unless the period has ended.

    A period ending in the future is always refused; one ending today only with
    ``close_books_now`` true (the books close at that moment). ``close_books_now`` must be a
    boolean when given.
    """
    if close_books_now is not None and not isinstance(close_books_now, bool):
        raise InvalidInput(
            gettext("'close_books_now' must be true or false."),
            fields={"close_books_now": gettext("true or false.")},
        )
    today = today or today_utc()
    yesterday = today - timedelta(days=1)
    if period_end > today:
        raise InvalidInput(
            gettext(
                "The period ends on %(end)s, which is in the future: a dividend run shares the "
                "surplus of a period that has ended. End it on %(yesterday)s or earlier, or "
                "today closing the books now.",
                end=period_end.isoformat(),
                yesterday=yesterday.isoformat(),
            ),
            code="period_not_ended",
            fields={"period_end": gettext("In the future.")},
        )
    if period_end == today and close_books_now is not True:
        raise InvalidInput(
            gettext(
                "The period ends today, which has not ended yet: close the books now "
                "(close_books_now: true; later sales belong to the next period) or end it "
                "yesterday."
            ),
            code="period_not_ended",
            fields={"period_end": gettext("Today: close the books now, or end it yesterday.")},
        )
