"""Open books, the pure rules: which ledger movements are sales, royalties, dividends, reserves.

No Flask or SQLAlchemy here: ``figures.py`` sums journal lines in SQL, grouped by month, account
code and *posting kind*, and hands the sums to ``build_year``. The posting kind is the entry's
kind, except that a reversal (``reverses_entry_id``) counts as the kind of the entry it reverses,
so a reversed sale takes its own figures back, and a redemption paid out through a
``dividend_payment`` entry is told apart by its key (``dividend_redemption_payment:...``).

The figures of a period, all integer cents of the co-op's currency:

* ``coop_revenue_cents``: the co-op's share of licence sales, licence revenue (4000) credited less
  debited, less the refunds and chargebacks account (4900) debited net of credits; the
  ``dividend_closing`` entries that empty these accounts at a run's approval are left out.
* ``royalties_cents``: the artists' share of the same sales: royalties payable (2100) credited by
  ``sale`` entries less debited by ``refund`` and ``chargeback`` entries. Royalty payouts move
  money already owed and are not counted again.
* ``sales_cents``: what buyers paid for licences, net of refunds and chargebacks:
  ``coop_revenue_cents + royalties_cents`` (both shares; the ledger books revenue net of royalties).
* ``refunds_cents``: the part of those sales refunded or lost to disputes (both shares), already
  taken off ``sales_cents``; shown on its own for clarity.
* ``dividends_cash_cents``: patronage dividends paid out in cash: dividends payable (2200) debited
  by ``dividend_payment`` entries (redemptions of retained capital are not dividends of the year).
* ``dividends_retained_cents``: the retained part of the patronage dividends allocated: member
  capital (3100) credited by ``dividend_allocation`` entries.
* ``dividends_cents``: ``dividends_cash_cents + dividends_retained_cents``, what members received,
  in cash or as capital in their name.
* ``reserves_cents``: the balance of the reserves account (3200) at the end of the period;
  ``reserves_added_cents`` is its movement within the period.
* ``members_by_class``: members who joined by the end of the period and have not resigned since
  (the register keeps no resignation date, so a resigned member drops out of every period).
* ``assets_published``: works published by the end of the period and not withdrawn by then.

A year's flows are the sums of its months; its balances and counts are those of its last month.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from marketplace.ledger import kinds
from marketplace.ledger.entries import (
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    ROYALTIES_PAYABLE,
)

KIND_SALE = kinds.SALE
REVERSAL_KINDS = kinds.SALE_REVERSAL_KINDS
KIND_CLOSING = kinds.DIVIDEND_CLOSING
KIND_DIVIDEND_PAYMENT = kinds.DIVIDEND_PAYMENT
KIND_ALLOCATION = kinds.DIVIDEND_ALLOCATION
KIND_REDEMPTION_PAYMENT = kinds.REDEMPTION_PAYMENT_KEY
# The only accounts the open books read; the SQL leaves every other line out.
CODES: tuple[str, ...] = (
    LICENCE_REVENUE,
    REFUNDS_AND_CHARGEBACKS,
    ROYALTIES_PAYABLE,
    DIVIDENDS_PAYABLE,
    MEMBER_CAPITAL,
    RESERVES,
)
FIRST_YEAR = 1900
FLOW_FIELDS = (
    "sales_cents",
    "royalties_cents",
    "coop_revenue_cents",
    "refunds_cents",
    "dividends_cents",
    "dividends_cash_cents",
    "dividends_retained_cents",
    "reserves_added_cents",
)


class BadYear(ValueError):
    """A year the open books cannot show; the message says why, for the person who asked."""


@dataclass(frozen=True)
class Movement:
    """The sums of the lines of one account code, posting kind and month (1 to 12)."""

    month: int
    code: str
    kind: str
    debits_cents: int
    credits_cents: int

    @property
    def net_credit_cents(self) -> int:
        return self.credits_cents - self.debits_cents


@dataclass(frozen=True)
class Flows:
    """What moved in one period (see the module's docstring for each figure)."""

    coop_revenue_cents: int = 0
    royalties_cents: int = 0
    refunds_cents: int = 0
    dividends_cash_cents: int = 0
    dividends_retained_cents: int = 0
    reserves_added_cents: int = 0

    @property
    def sales_cents(self) -> int:
        return self.coop_revenue_cents + self.royalties_cents

    @property
    def dividends_cents(self) -> int:
        return self.dividends_cash_cents + self.dividends_retained_cents

    def __add__(self, other: Flows) -> Flows:
        return Flows(
            self.coop_revenue_cents + other.coop_revenue_cents,
            self.royalties_cents + other.royalties_cents,
            self.refunds_cents + other.refunds_cents,
            self.dividends_cash_cents + other.dividends_cash_cents,
            self.dividends_retained_cents + other.dividends_retained_cents,
            self.reserves_added_cents + other.reserves_added_cents,
        )


def flows_of(movement: Movement) -> Flows:
    """The figures one grouped sum contributes to; nothing for the lines the books ignore."""
    code, kind, net_credit = movement.code, movement.kind, movement.net_credit_cents
    if code in (LICENCE_REVENUE, REFUNDS_AND_CHARGEBACKS) and kind != KIND_CLOSING:
        refunded = -net_credit if code == REFUNDS_AND_CHARGEBACKS else 0
        return Flows(coop_revenue_cents=net_credit, refunds_cents=refunded)
    if code == ROYALTIES_PAYABLE and kind == KIND_SALE:
        return Flows(royalties_cents=net_credit)
    if code == ROYALTIES_PAYABLE and kind in REVERSAL_KINDS:
        return Flows(royalties_cents=net_credit, refunds_cents=-net_credit)
    if code == DIVIDENDS_PAYABLE and kind == KIND_DIVIDEND_PAYMENT:
        return Flows(dividends_cash_cents=-net_credit)
    if code == MEMBER_CAPITAL and kind == KIND_ALLOCATION:
        return Flows(dividends_retained_cents=net_credit)
    if code == RESERVES:
        return Flows(reserves_added_cents=net_credit)
    return Flows()


@dataclass(frozen=True)
class Period:
    """One month (``label`` ``"YYYY-MM"``) or a whole year (``label`` ``"YYYY"``)."""

    label: str
    flows: Flows
    reserves_cents: int
    members_by_class: dict[str, int]
    assets_published: int

    @property
    def members_total(self) -> int:
        return sum(self.members_by_class.values())

    def figure(self, name: str) -> int:
        if name == "reserves_cents":
            return self.reserves_cents
        value: int = getattr(self.flows, name)
        return value

    def as_json(self, key: str) -> dict[str, Any]:
        return {
            key: self.label,
            **{name: self.figure(name) for name in FLOW_FIELDS},
            "reserves_cents": self.reserves_cents,
            "members_by_class": dict(self.members_by_class),
            "members_total": self.members_total,
            "assets_published": self.assets_published,
        }


@dataclass(frozen=True)
class OpenBooks:
    year: int
    currency: str
    computed_at: datetime
    total: Period
    months: tuple[Period, ...]
    years: tuple[int, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        """The API's answer: the year's figures at the top level, then each month's."""
        year = self.total.as_json("year")
        year["year"] = self.year
        return {
            **year,
            "currency": self.currency,
            "computed_at": self.computed_at.isoformat().replace("+00:00", "Z"),
            "months": [month.as_json("month") for month in self.months],
            "years": list(self.years),
        }


@dataclass(frozen=True)
class Counts:
    """A running count from its value before the year and its changes per month of the year."""

    opening: int = 0
    changes: Mapping[int, int] = field(default_factory=dict)

    def at_end_of(self, month: int) -> int:
        return self.opening + sum(n for m, n in self.changes.items() if m <= month)


def months_shown(year: int, today: date) -> int:
    """How many months of ``year`` have begun: 12 for a past year, up to today's month for this
    one. Refuses a year that has not begun or that no ledger can hold."""
    if isinstance(year, bool) or not isinstance(year, int):
        raise BadYear("The year is a number such as 2026.")
    if year < FIRST_YEAR:
        raise BadYear(f"The books start after {FIRST_YEAR}; {year} is too early.")
    if year > today.year:
        raise BadYear(f"{year} has not begun yet: there are no books for it.")
    return today.month if year == today.year else 12


def parse_year(raw: str | None, default: int, today: date) -> int:
    """A ``?year=`` argument (``default`` when absent or blank), checked by ``months_shown``."""
    text = (raw or "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise BadYear("The year is four digits, such as 2026.")
    year = int(text)
    months_shown(year, today)
    return year


def build_year(
    year: int,
    currency: str,
    computed_at: datetime,
    months: int,
    movements: Iterable[Movement],
    reserves_opening_cents: int,
    members: Mapping[str, Counts],
    assets: Counts,
    years: Sequence[int] = (),
) -> OpenBooks:
    """Each month's figures and the year's: flows summed, balances and counts carried over."""
    by_month: dict[int, Flows] = {}
    for movement in movements:
        if 1 <= movement.month <= months:
            by_month[movement.month] = by_month.get(movement.month, Flows()) + flows_of(movement)
    periods = []
    reserves = reserves_opening_cents
    total = Flows()
    for month in range(1, months + 1):
        flows = by_month.get(month, Flows())
        total += flows
        reserves += flows.reserves_added_cents
        periods.append(
            Period(
                label=f"{year:04d}-{month:02d}",
                flows=flows,
                reserves_cents=reserves,
                members_by_class={code: c.at_end_of(month) for code, c in members.items()},
                assets_published=assets.at_end_of(month),
            )
        )
    last = periods[-1]
    return OpenBooks(
        year=year,
        currency=currency,
        computed_at=computed_at,
        total=Period(
            f"{year:04d}", total, last.reserves_cents, last.members_by_class, last.assets_published
        ),
        months=tuple(periods),
        years=tuple(years),
    )


def counts_from_buckets(year: int, buckets: Iterable[tuple[str, int]]) -> Counts:
    """``("YYYY-MM", n)`` pairs (a month and how many things it added, or took away when
    negative) as a running count: months before ``year`` make the opening value, later ones
    are ignored."""
    opening = 0
    changes: dict[int, int] = {}
    for bucket, count in buckets:
        bucket_year, bucket_month = int(bucket[:4]), int(bucket[5:7])
        if bucket_year < year:
            opening += count
        elif bucket_year == year:
            changes[bucket_month] = changes.get(bucket_month, 0) + count
    return Counts(opening, changes)
