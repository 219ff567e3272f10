"""Which period a dividend run covers: the one the admin page proposes, and the rule that a
run covers a period that has ended (API.md, "Patronage dividends").

The co-op's fiscal year is the calendar year, as everywhere in the dividends package.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.dividends.models import DividendRun
from marketplace.errors import InvalidInput
from marketplace.orders.models import Order


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


def _covered(session: Session, start: date, end: date) -> bool:
    return (
        session.execute(
            sa.select(DividendRun.id)
            .where(DividendRun.period_start <= end, DividendRun.period_end >= start)
            .limit(1)
        ).scalar_one_or_none()
        is not None
    )


def suggest_period(session: Session, today: date | None = None) -> SuggestedPeriod:
    """The latest fiscal year that has paid orders and no run yet, preferring one that has ended.

    When the only such year is the current one, the proposal is that year to today with the
    books closed now (a run may not end in the future). With no paid order at all, the
    previous year: a draft of it says there is no surplus, which is then true.
    """
    today = today or today_utc()
    open_years = [
        year
        for year in _years_with_paid_orders(session)
        if year <= today.year and not _covered(session, date(year, 1, 1), date(year, 12, 31))
    ]
    ended = [year for year in open_years if year < today.year]
    if ended:
        year = ended[0]
        return SuggestedPeriod(
            date(year, 1, 1),
            date(year, 12, 31),
            False,
            f"The fiscal year {year}: the latest ended year with sales and no run yet.",
        )
    if open_years:
        return SuggestedPeriod(
            date(today.year, 1, 1),
            today,
            True,
            f"Every earlier year with sales has its run; {today.year} has not ended, so this "
            "drafts it to today with the books closed now.",
        )
    last_year = today.year - 1
    return SuggestedPeriod(
        date(last_year, 1, 1),
        date(last_year, 12, 31),
        False,
        "No order has been paid yet: the last fiscal year is shown.",
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
            "'close_books_now' must be true or false.",
            fields={"close_books_now": "true or false."},
        )
    today = today or today_utc()
    yesterday = today - timedelta(days=1)
    if period_end > today:
        raise InvalidInput(
            f"The period ends on {period_end.isoformat()}, which is in the future: a dividend "
            f"run shares the surplus of a period that has ended. End it on "
            f"{yesterday.isoformat()} or earlier, or today closing the books now.",
            code="period_not_ended",
            fields={"period_end": "In the future."},
        )
    if period_end == today and close_books_now is not True:
        raise InvalidInput(
            "The period ends today, which has not ended yet: close the books now "
            "(close_books_now: true; later sales belong to the next period) or end it yesterday.",
            code="period_not_ended",
            fields={"period_end": "Today: close the books now, or end it yesterday."},
        )
