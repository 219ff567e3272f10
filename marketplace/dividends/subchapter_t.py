"""Patronage dividends after the run, pure: 1099-PATR figures, revolving-fund redemptions and
the Subchapter T payment deadline.

No Flask, SQLAlchemy, Celery or stripe (the money core is pure); money is integer cents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from marketplace.dividends.allocation import (
    WHOLE_BPS,
    Basis,
    DividendError,
    MemberDividend,
    Percent,
    percent_bps,
    whole_cents,
)
from marketplace.i18n.markers import N_
from marketplace.ledger.core import largest_remainder_split

PATR_THRESHOLD_CENTS = 1_000


class RedemptionOrderError(DividendError):
    """A redemption that would skip older retained allocations still outstanding."""


@dataclass(frozen=True)
class Distribution:
    """What an allocation of one basis is in law, and whether Form 1099-PATR box 1 counts it."""

    kind: str
    name: str
    source: str
    patronage_dividend: bool


# IRC §1388(a): a patronage dividend is paid (1) on the basis of the quantity or value of
# business done with or for the patron, (2) under an obligation that existed before the
# co-op received the amount, (3) determined by reference to the net earnings from business
# done with or for its patrons. Only the `patronage` basis meets (1) and (3); the others are
# another kind of payment, reported apart and never in box 1.
DISTRIBUTIONS: dict[Basis, Distribution] = {
    "patronage": Distribution(
        "patronage_dividend",
        N_("Patronage dividend"),
        N_(
            "IRC §1388(a): allocated by the member's business with the co-op (net licence sales "
            "of their own work)"
        ),
        True,
    ),
    "equal": Distribution(
        "non_patronage_member_distribution",
        N_("Non-patronage member distribution"),
        N_(
            "IRC §1388(a)(1) and (3): equal shares are not allocated by business done with the "
            "co-op, so they are not a patronage dividend (a distribution of earnings to members)"
        ),
        False,
    ),
    "service_years": Distribution(
        "staff_compensation",
        N_("Staff compensation"),
        N_(
            "IRC §1388(a)(1) and (3): shares by years of service pay for work, not for business "
            "done with the co-op: compensation reported as wages or non-employee pay"
        ),
        False,
    ),
}


def distribution(basis: str) -> Distribution:
    """The kind of payment an allocation of ``basis`` is (``DividendError`` when unknown)."""
    if basis not in DISTRIBUTIONS:
        raise DividendError(f"no distribution is defined for the basis {basis!r}")
    return DISTRIBUTIONS[basis]


def needs_1099_patr(total_patronage_dividends_cents: int) -> bool:
    """A 1099-PATR is due for a member paid $10 or more of patronage dividends in the year."""
    return whole_cents(total_patronage_dividends_cents, "a total") >= PATR_THRESHOLD_CENTS


@dataclass(frozen=True)
class Form1099PatrFigures:
    """One member's calendar-year figures.

    Box 1 "Patronage dividends" is the cash actually paid of patronage dividends plus the
    stated value of their qualified written notices of allocation. A notice is qualified
    (IRC §1388(c)) only when the member consented, at least 20 % was paid in cash, and it was
    paid within the payment period (§1388(c)(1), §1382(d): 8½ months after the year) or an admin
    recorded why not. Cash still held is not paid, so not in box 1; the notice of an allocation
    whose cash is held waits with it. Nonqualified notices are not income when issued: their
    redemption is, in box 5. Non-patronage distributions (equal shares, staff shares) are
    reported apart and never in box 1.
    """

    member_id: int
    tax_year: int
    cash_cents: int
    qualified_notice_cents: int
    nonqualified_notice_cents: int = 0
    held_cash_cents: int = 0
    held_notice_cents: int = 0
    non_patronage_cents: int = 0
    nonqualified_redemptions_cents: int = 0

    @property
    def box1_patronage_dividends_cents(self) -> int:
        return self.cash_cents + self.qualified_notice_cents

    @property
    def box5_nonqualified_redemptions_cents(self) -> int:
        return self.nonqualified_redemptions_cents

    @property
    def required(self) -> bool:
        return needs_1099_patr(
            self.box1_patronage_dividends_cents + self.box5_nonqualified_redemptions_cents
        )


def form_1099_patr(
    member_id: int,
    tax_year: int,
    paid: Iterable[MemberDividend],
    nonqualified_redemptions_cents: int = 0,
) -> Form1099PatrFigures:
    """Sum the member's dividends of ``tax_year`` (the caller picks the runs) by what they are:
    only patronage dividends go to box 1, their cash when paid and their retained part when
    its notice is qualified; ``nonqualified_redemptions_cents`` (box 5) is what the member's
    nonqualified notices were redeemed for in the year."""
    mine = [d for d in paid if d.member_id == member_id]
    patronage = [d for d in mine if distribution(d.basis).patronage_dividend]
    cash_paid = [d for d in patronage if d.cash_paid]
    return Form1099PatrFigures(
        member_id,
        tax_year,
        sum(d.cash_cents for d in cash_paid),
        sum(d.retained_cents for d in cash_paid if d.qualified),
        sum(d.retained_cents for d in patronage if not d.qualified),
        sum(d.cash_cents for d in patronage if not d.cash_paid),
        sum(d.retained_cents for d in patronage if d.qualified and not d.cash_paid),
        sum(d.allocation_cents for d in mine if not distribution(d.basis).patronage_dividend),
        whole_cents(nonqualified_redemptions_cents, "nonqualified redemptions"),
    )


@dataclass(frozen=True)
class RetainedAllocation:
    """What is still retained of one allocation (its retained part less earlier redemptions)."""

    member_id: int
    year: int
    amount_cents: int
    allocation_id: int | None = None

    def __post_init__(self) -> None:
        whole_cents(self.amount_cents, "a retained amount")


@dataclass(frozen=True)
class Redemption:
    member_id: int
    year: int
    amount_cents: int
    remaining_cents: int
    allocation_id: int | None = None


def redeem(
    retained: Iterable[RetainedAllocation],
    year: int,
    pct: Percent | None = None,
    *,
    allow_out_of_order: bool = False,
) -> list[Redemption]:
    """Redeem the retained allocations of ``year``: all of them, or ``pct`` of their total.

    A revolving fund pays back the oldest years first, so an older year still outstanding is
    refused unless ``allow_out_of_order`` (e.g. a member's estate). A percentage takes that
    share of the year's total, rounded down, split by largest remainder over the amounts: no
    allocation is ever redeemed beyond what it retains. Result: oldest first, then by member.
    """
    rows = sorted(retained, key=lambda r: (r.year, r.member_id, r.allocation_id or 0))
    older = sorted({r.year for r in rows if r.year < year and r.amount_cents > 0})
    if older and not allow_out_of_order:
        raise RedemptionOrderError(
            N_(
                "Retained allocations of %(years)s are still outstanding: the revolving fund "
                "redeems the oldest years first, before %(year)s."
            ),
            years=", ".join(str(y) for y in older),
            year=year,
        )
    chosen = [r for r in rows if r.year == year and r.amount_cents > 0]
    if not chosen:
        return []
    amounts = [r.amount_cents for r in chosen]
    if pct is None:
        parts = amounts
    else:
        total = sum(amounts) * percent_bps(pct, N_("The redemption share")) // WHOLE_BPS
        parts = largest_remainder_split(total, amounts)
    return [
        Redemption(r.member_id, r.year, part, r.amount_cents - part, r.allocation_id)
        for r, part in zip(chosen, parts, strict=True)
        if part > 0
    ]


def payment_deadline(fiscal_year_end: date) -> date:
    """The 15th day of the 9th month after the month the fiscal year ends (IRC §1382(d)'s
    8½ months): FY ending 31 Dec 2025 -> 15 Sep 2026; ending 30 Jun -> 15 Mar."""
    month_index = fiscal_year_end.month - 1 + 9
    return date(fiscal_year_end.year + month_index // 12, month_index % 12 + 1, 15)


def deadline_warning_words(
    today: date, fiscal_year_end: date, paid: bool, warn_days: int = 30
) -> tuple[str, dict[str, object]] | None:
    """The warning of ``deadline_warning`` as its English template (marked for translation)
    and the values that fill it, so the service can say it in the reader's language."""
    if paid:
        return None
    deadline = payment_deadline(fiscal_year_end)
    days_left = (deadline - today).days
    values: dict[str, object] = {
        "year_end": fiscal_year_end.isoformat(),
        "deadline": deadline.isoformat(),
        "days": abs(days_left),
    }
    if days_left < 0:
        template = N_(
            "The payment deadline for the fiscal year ending %(year_end)s was %(deadline)s, "
            "%(days)s days ago: allocations paid or notified later do not count for that year "
            "under Subchapter T. Ask the co-op's accountant."
        )
        return template, values
    if days_left > warn_days:
        return None
    if days_left == 0:
        template = N_(
            "Patronage dividends for the fiscal year ending %(year_end)s must be paid and "
            "notified by %(deadline)s (today)."
        )
    else:
        template = N_(
            "Patronage dividends for the fiscal year ending %(year_end)s must be paid and "
            "notified by %(deadline)s (in %(days)s days)."
        )
    return template, values


def deadline_warning(
    today: date, fiscal_year_end: date, paid: bool, warn_days: int = 30
) -> str | None:
    """A warning for an unpaid run within ``warn_days`` of its deadline or past it."""
    words = deadline_warning_words(today, fiscal_year_end, paid, warn_days)
    if words is None:
        return None
    template, values = words
    return template % values
