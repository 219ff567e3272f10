"""Patronage dividends, the pure rules: surplus, policy, allocation, cash and retained parts.

No Flask, SQLAlchemy, Celery or stripe (the money core is pure). Money is integer cents; every
split is ``largest_remainder_split`` from the ledger, so parts add up to the whole to the cent.
Percentages (reserve, cash, class shares, redemptions) are taken as numbers of percent with at
most two decimals (``12.5``, ``"12.50"``, ``Decimal("5")``) and held as integer basis points.

The order of a run: ``compute_surplus`` -> ``allocate_pool`` -> ``split_cash`` per member
(``plan_dividend_run`` does all three), then on approval ``dividend_run_entries``; payments,
redemptions and royalty payouts have their own drafts below.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Literal, cast, get_args

from marketplace.ledger.core import (
    BANK,
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    OPERATING_COSTS,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    RETAINED_SURPLUS,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    collapse,
    credit,
    debit,
    format_cents,
    idempotency_key,
    largest_remainder_split,
    transfer_entry,
)

Basis = Literal["equal", "service_years", "patronage"]
BASES: tuple[Basis, ...] = get_args(Basis)
Percent = int | str | Decimal | float

WHOLE_BPS = 10_000
MIN_CASH_BPS = 2_000
PATR_THRESHOLD_CENTS = 1_000


KIND_OPERATING_COSTS = "operating_costs"
KIND_CLOSING = "dividend_closing"
KIND_RESERVE = "dividend_reserve"
KIND_ALLOCATION = "dividend_allocation"
KIND_PAYMENT = "dividend_payment"
KIND_REDEMPTION = "dividend_redemption"
KIND_ROYALTY_PAYOUT = "royalty_payout"


class DividendError(ValueError):
    """Input a dividend run refuses; the message is written for the admin who gave it."""


class CashShareTooLow(DividendError):
    """A cash share under the 20 % Subchapter T floor."""


class RedemptionOrderError(DividendError):
    """A redemption that would skip older retained allocations still outstanding."""


def _cents(value: object, name: str, *, signed: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DividendError(f"{name} is a whole number of cents, not {value!r}")
    if not signed and value < 0:
        raise DividendError(f"{name} cannot be negative")
    return value


def percent_bps(value: Percent, name: str = "percentage") -> int:
    """``12.5`` -> ``1250``: a percentage from 0 to 100 with at most two decimals, exactly."""
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise DividendError(f"{name} must be a number of percent, not {value!r}")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise DividendError(f"{name} must be a number of percent, not {value!r}") from None
    if not number.is_finite() or not 0 <= number <= 100:
        raise DividendError(f"{name} must be between 0 and 100, not {value}")
    bps = number * 100
    if bps != bps.to_integral_value():
        raise DividendError(f"{name} has at most two decimals, not {value}")
    return int(bps)


def bps_pct(bps: int) -> Decimal:
    """``1250`` -> ``Decimal("12.5")``, ``2000`` -> ``Decimal("20")``: for showing a share."""
    pct = Decimal(bps).scaleb(-2)
    return pct.quantize(Decimal(1)) if pct == pct.to_integral_value() else pct.normalize()


@dataclass(frozen=True)
class SurplusInputs:
    """The period's figures from the ledger (and the admin's operating costs), all >= 0.

    This ledger books licence revenue net of royalties (a sale credits the member's royalty
    straight to royalties payable), so ``royalties_cents`` is 0 for figures read from it.
    """

    revenue_cents: int
    refunds_cents: int
    fees_cents: int
    royalties_cents: int
    operating_costs_cents: int

    def __post_init__(self) -> None:
        for name in (
            "revenue_cents",
            "refunds_cents",
            "fees_cents",
            "royalties_cents",
            "operating_costs_cents",
        ):
            _cents(getattr(self, name), name)

    @property
    def surplus_cents(self) -> int:
        return (
            self.revenue_cents
            - self.refunds_cents
            - self.fees_cents
            - self.royalties_cents
            - self.operating_costs_cents
        )


@dataclass(frozen=True)
class Surplus:
    surplus_cents: int
    reserve_bps: int
    reserve_cents: int
    pool_cents: int
    reason_if_none: str | None


def compute_surplus(inputs: SurplusInputs, reserve_pct: Percent, currency: str = "USD") -> Surplus:
    """The period's surplus, its reserve share and the dividend pool (surplus − reserve).

    The reserve is rounded down, so a fraction of a cent stays with the members' pool rather
    than being kept by the co-op; 0 % and 100 % are exact either way. No surplus, no pool: the
    reason says so in words an admin can act on.
    """
    reserve_bps = percent_bps(reserve_pct, "The reserve share")
    surplus = inputs.surplus_cents
    if surplus < 0:
        loss = format_cents(-surplus, currency)
        return Surplus(
            surplus, reserve_bps, 0, 0, f"The period made a loss of {loss}: no dividend pool."
        )
    if surplus == 0:
        return Surplus(
            0, reserve_bps, 0, 0, "The period broke even: no surplus, so no dividend pool."
        )
    reserve = surplus * reserve_bps // WHOLE_BPS
    pool = surplus - reserve
    reason = None
    if pool == 0:
        reason = (
            f"The whole surplus of {format_cents(surplus, currency)} goes to reserves: "
            "no dividend pool."
        )
    return Surplus(surplus, reserve_bps, reserve, pool, reason)


@dataclass(frozen=True)
class ClassPolicy:
    """One member class's share of the pool (basis points, > 0) and how it is shared."""

    code: str
    share_bps: int
    basis: Basis

    def __post_init__(self) -> None:
        if not isinstance(self.code, str) or not self.code.strip() or len(self.code) > 32:
            raise DividendError(f"a member class code is 1 to 32 characters, not {self.code!r}")
        if isinstance(self.share_bps, bool) or not isinstance(self.share_bps, int):
            raise DividendError(f"class {self.code}: the share is basis points")
        if not 0 < self.share_bps <= WHOLE_BPS:
            raise DividendError(f"class {self.code}: the share must be above 0 % and at most 100 %")
        if self.basis not in BASES:
            raise DividendError(
                f"class {self.code}: the basis is one of {', '.join(BASES)}, not {self.basis!r}"
            )

    @classmethod
    def from_pct(cls, code: str, share_pct: Percent, basis: str) -> ClassPolicy:
        return cls(code, percent_bps(share_pct, f"The share of {code}"), cast(Basis, basis))

    @property
    def share_pct(self) -> Decimal:
        return bps_pct(self.share_bps)


def validate_policy(classes: Iterable[ClassPolicy]) -> tuple[ClassPolicy, ...]:
    """The classes, in order, when their codes are unique and their shares make 100 %."""
    policy = tuple(classes)
    if not policy:
        raise DividendError("an allocation policy needs at least one member class")
    codes = [c.code for c in policy]
    if len(set(codes)) != len(codes):
        raise DividendError("each member class appears once in the policy")
    total = sum(c.share_bps for c in policy)
    if total != WHOLE_BPS:
        raise DividendError(f"the class shares must add up to 100 %, not {bps_pct(total)} %")
    return policy


def policy_from_data(rows: Iterable[Mapping[str, object]]) -> tuple[ClassPolicy, ...]:
    """A policy stored as data: ``[{"code", "share_pct", "basis"}, …]``."""
    classes = []
    for row in rows:
        code, share, basis = row.get("code"), row.get("share_pct"), row.get("basis")
        if not isinstance(code, str) or not isinstance(basis, str):
            raise DividendError(f"a policy class needs a code and a basis: {dict(row)!r}")
        classes.append(ClassPolicy.from_pct(code, cast(Percent, share), basis))
    return validate_policy(classes)


DEFAULT_POLICY: tuple[ClassPolicy, ...] = validate_policy(
    (
        ClassPolicy("founders", 500, "equal"),
        ClassPolicy("staff", 500, "service_years"),
        ClassPolicy("artists", 9_000, "patronage"),
    )
)


@dataclass(frozen=True)
class MemberFacts:
    """What the allocation needs to know of one member for the period.

    ``patronage_cents``: net licence sales of their own work in the period (sales minus
    refunds and lost disputes); may be negative, which counts as none.
    """

    member_id: int
    member_number: int
    class_code: str
    joined_on: date
    patronage_cents: int

    def __post_init__(self) -> None:
        _cents(self.member_id, "a member id")
        _cents(self.member_number, "a member number")
        _cents(self.patronage_cents, "patronage", signed=True)
        if not isinstance(self.joined_on, date):
            raise DividendError(f"member {self.member_number}: joined_on must be a date")


def service_years(joined_on: date, period_end: date) -> int:
    """Completed years between joining and the period's end, plus one (the year begun)."""
    completed = period_end.year - joined_on.year
    if (period_end.month, period_end.day) < (joined_on.month, joined_on.day):
        completed -= 1
    return max(completed, 0) + 1


def basis_weight(basis: Basis, member: MemberFacts, period_end: date) -> int:
    """The member's weight within a class of that basis; 0 means not eligible."""
    if member.joined_on > period_end:
        return 0
    if basis == "equal":
        return 1
    if basis == "service_years":
        return service_years(member.joined_on, period_end)
    return max(member.patronage_cents, 0)


@dataclass(frozen=True)
class MemberAllocation:
    member_id: int
    member_number: int
    class_code: str
    patronage_cents: int
    weight: int
    allocation_cents: int


@dataclass(frozen=True)
class ClassAllocation:
    code: str
    share_bps: int
    basis: Basis
    pool_cents: int
    eligible_count: int

    @property
    def share_pct(self) -> Decimal:
        return bps_pct(self.share_bps)


@dataclass(frozen=True)
class PoolAllocation:
    """``members`` lists every member given, by member number; ``unallocated_cents`` is the
    pool nobody was eligible for, which the caller leaves in retained surplus."""

    pool_cents: int
    classes: tuple[ClassAllocation, ...]
    members: tuple[MemberAllocation, ...]
    unallocated_cents: int
    reason_if_unallocated: str | None

    @property
    def allocated_cents(self) -> int:
        return sum(m.allocation_cents for m in self.members)


def allocate_pool(
    pool_cents: int,
    policy: Sequence[ClassPolicy],
    members: Iterable[MemberFacts],
    period_end: date,
    currency: str = "USD",
) -> PoolAllocation:
    """Share the pool among classes, then among each class's eligible members.

    Classes with an eligible member split the pool by largest remainder over their shares (so a
    class with none gets 0 and its share goes to the others in proportion); each class's part
    is split by largest remainder over its members' basis weights. Ties go to the earlier class
    in the policy and the lower member number. When any member is eligible the allocations add
    up to the pool exactly; when none is, nothing is allocated and the reason says so.
    """
    pool_cents = _cents(pool_cents, "the pool")
    policy = validate_policy(policy)
    ordered = sorted(members, key=lambda m: (m.member_number, m.member_id))
    if len({m.member_id for m in ordered}) != len(ordered):
        raise DividendError("a member is listed twice")
    weights = {m.member_id: 0 for m in ordered}
    eligible: dict[str, list[MemberFacts]] = {}
    for cls in policy:
        for member in ordered:
            if member.class_code == cls.code:
                weight = basis_weight(cls.basis, member, period_end)
                if weight > 0:
                    weights[member.member_id] = weight
                    eligible.setdefault(cls.code, []).append(member)
    sharing = [cls for cls in policy if cls.code in eligible]
    class_pools = dict.fromkeys((c.code for c in policy), 0)
    if sharing:
        split = largest_remainder_split(pool_cents, [c.share_bps for c in sharing])
        class_pools.update(zip((c.code for c in sharing), split, strict=True))
    amounts = {m.member_id: 0 for m in ordered}
    for code, group in eligible.items():
        parts = largest_remainder_split(class_pools[code], [weights[m.member_id] for m in group])
        amounts.update(zip((m.member_id for m in group), parts, strict=True))
    unallocated = 0 if sharing else pool_cents
    reason = None
    if unallocated:
        reason = (
            "No member is eligible in this period (no member of a class in the policy, and no "
            f"artist with sales): the pool of {format_cents(unallocated, currency)} stays in "
            "retained surplus."
        )
    return PoolAllocation(
        pool_cents=pool_cents,
        classes=tuple(
            ClassAllocation(
                c.code, c.share_bps, c.basis, class_pools[c.code], len(eligible.get(c.code, []))
            )
            for c in policy
        ),
        members=tuple(
            MemberAllocation(
                m.member_id,
                m.member_number,
                m.class_code,
                m.patronage_cents,
                weights[m.member_id],
                amounts[m.member_id],
            )
            for m in ordered
        ),
        unallocated_cents=unallocated,
        reason_if_unallocated=reason,
    )


def cash_bps(cash_pct: Percent) -> int:
    """The cash share in basis points; under 20 % is refused (``CashShareTooLow``)."""
    bps = percent_bps(cash_pct, "The cash share")
    if bps < MIN_CASH_BPS:
        raise CashShareTooLow(
            f"The cash share must be at least 20 % of each allocation (the US Subchapter T "
            f"minimum for a qualified written notice of allocation); {bps_pct(bps)} % is too low."
        )
    return bps


def split_cash(allocation_cents: int, cash_pct: Percent) -> tuple[int, int]:
    """(cash, retained) of one allocation; they add up to it exactly.

    Cash is rounded up, so it is never below the chosen share, and so never below the 20 %
    floor, even by a fraction of a cent; the retained part is the rest.
    """
    return _split_cash_bps(allocation_cents, cash_bps(cash_pct))


def _split_cash_bps(allocation_cents: int, bps: int) -> tuple[int, int]:
    allocation_cents = _cents(allocation_cents, "an allocation")
    cash = -(-allocation_cents * bps // WHOLE_BPS)
    return cash, allocation_cents - cash


@dataclass(frozen=True)
class MemberDividend:
    member_id: int
    member_number: int
    class_code: str
    patronage_cents: int
    allocation_cents: int
    cash_cents: int
    retained_cents: int


@dataclass(frozen=True)
class DividendPlan:
    """A draft run's figures: what the API shows and what approval posts."""

    surplus: Surplus
    cash_bps: int
    allocation: PoolAllocation
    dividends: tuple[MemberDividend, ...]

    @property
    def reason(self) -> str | None:
        return self.surplus.reason_if_none or self.allocation.reason_if_unallocated


def plan_dividend_run(
    inputs: SurplusInputs,
    reserve_pct: Percent,
    cash_pct: Percent,
    members: Iterable[MemberFacts],
    period_end: date,
    policy: Sequence[ClassPolicy] = DEFAULT_POLICY,
    currency: str = "USD",
) -> DividendPlan:
    """Surplus, allocation and cash/retained parts in one go; refuses a cash share under 20 %
    even when there is no pool, so the admin learns it when drafting."""
    bps = cash_bps(cash_pct)
    surplus = compute_surplus(inputs, reserve_pct, currency)
    allocation = allocate_pool(surplus.pool_cents, policy, members, period_end, currency)
    dividends = []
    for m in allocation.members:
        cash, retained = _split_cash_bps(m.allocation_cents, bps)
        dividends.append(
            MemberDividend(
                m.member_id,
                m.member_number,
                m.class_code,
                m.patronage_cents,
                m.allocation_cents,
                cash,
                retained,
            )
        )
    return DividendPlan(surplus, bps, allocation, tuple(dividends))


def needs_1099_patr(total_patronage_dividends_cents: int) -> bool:
    """A 1099-PATR is due for a member paid $10 or more of patronage dividends in the year."""
    return _cents(total_patronage_dividends_cents, "a total") >= PATR_THRESHOLD_CENTS


@dataclass(frozen=True)
class Form1099PatrFigures:
    """One member's calendar-year figures.

    Box 1 "Patronage dividends" is the cash plus the stated value of qualified written notices
    of allocation (our retained parts, issued with at least 20 % in cash), counted in the
    year they are paid and notified. Later redemptions of qualified notices are not reported
    again (box 5 is for nonqualified notices, which this app does not issue). Whether the equal
    and service-years shares count as patronage dividends is for the co-op's accountant.
    """

    member_id: int
    tax_year: int
    cash_cents: int
    qualified_notice_cents: int

    @property
    def box1_patronage_dividends_cents(self) -> int:
        return self.cash_cents + self.qualified_notice_cents

    @property
    def required(self) -> bool:
        return needs_1099_patr(self.box1_patronage_dividends_cents)


def form_1099_patr(
    member_id: int, tax_year: int, paid: Iterable[MemberDividend]
) -> Form1099PatrFigures:
    """Sum the member's dividends paid in ``tax_year`` (the caller picks the runs)."""
    mine = [d for d in paid if d.member_id == member_id]
    return Form1099PatrFigures(
        member_id,
        tax_year,
        sum(d.cash_cents for d in mine),
        sum(d.retained_cents for d in mine),
    )


@dataclass(frozen=True)
class RetainedAllocation:
    """What is still retained of one allocation (its retained part less earlier redemptions)."""

    member_id: int
    year: int
    amount_cents: int
    allocation_id: int | None = None

    def __post_init__(self) -> None:
        _cents(self.amount_cents, "a retained amount")


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
        years = ", ".join(str(y) for y in older)
        raise RedemptionOrderError(
            f"Retained allocations of {years} are still outstanding: the revolving fund "
            f"redeems the oldest years first, before {year}."
        )
    chosen = [r for r in rows if r.year == year and r.amount_cents > 0]
    if not chosen:
        return []
    amounts = [r.amount_cents for r in chosen]
    if pct is None:
        parts = amounts
    else:
        total = sum(amounts) * percent_bps(pct, "The redemption share") // WHOLE_BPS
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


def deadline_warning(
    today: date, fiscal_year_end: date, paid: bool, warn_days: int = 30
) -> str | None:
    """A warning for an unpaid run within ``warn_days`` of its deadline or past it."""
    if paid:
        return None
    deadline = payment_deadline(fiscal_year_end)
    days_left = (deadline - today).days
    if days_left < 0:
        return (
            f"The payment deadline for the fiscal year ending {fiscal_year_end.isoformat()} was "
            f"{deadline.isoformat()}, {-days_left} days ago: allocations paid or notified later "
            "do not count for that year under Subchapter T. Ask the co-op's accountant."
        )
    if days_left > warn_days:
        return None
    when = "today" if days_left == 0 else f"in {days_left} days"
    return (
        f"Patronage dividends for the fiscal year ending {fiscal_year_end.isoformat()} must be "
        f"paid and notified by {deadline.isoformat()} ({when})."
    )


def _positive(amount_cents: int, what: str) -> int:
    if _cents(amount_cents, what) == 0:
        raise DividendError(f"{what} must be more than zero")
    return amount_cents


def operating_costs_entry(
    key: str, currency: str, amount_cents: int, note: str, paid_from: AccountRef | None = None
) -> EntryDraft:
    """Dr operating costs (5200), Cr bank (1000): costs the admin records, paid from the co-op's
    bank account (or ``paid_from``), with the admin's note as the description."""
    return transfer_entry(
        key,
        f"Operating costs: {note}"[:500],
        currency,
        AccountRef(OPERATING_COSTS),
        paid_from or AccountRef(BANK),
        _positive(amount_cents, "operating costs"),
        KIND_OPERATING_COSTS,
    )


def closing_entry(
    key: str, currency: str, inputs: SurplusInputs, description: str
) -> EntryDraft | None:
    """Close the period's income and expenses into retained surplus (3300).

    Dr licence revenue (4000); Cr refunds and chargebacks (4900), processing fees (5100) and
    operating costs (5200); the net result Cr 3300 (a surplus) or Dr 3300 (a loss). Afterwards
    the income statement accounts hold nothing of the period and 3300 holds its result, as an
    accountant's trial balance after closing shows. ``None`` when there is nothing to close.
    Reports of a period's income must leave out entries of kind ``dividend_closing``.
    """
    if inputs.royalties_cents:
        raise DividendError(
            "this ledger books revenue net of royalties: there is no royalty expense to close"
        )
    result = inputs.surplus_cents
    lines = collapse(
        [
            debit(AccountRef(LICENCE_REVENUE), inputs.revenue_cents),
            credit(AccountRef(REFUNDS_AND_CHARGEBACKS), inputs.refunds_cents),
            credit(AccountRef(PAYMENT_FEES), inputs.fees_cents),
            credit(AccountRef(OPERATING_COSTS), inputs.operating_costs_cents),
            credit(AccountRef(RETAINED_SURPLUS), max(result, 0)),
            debit(AccountRef(RETAINED_SURPLUS), max(-result, 0)),
        ]
    )
    if not lines:
        return None
    return EntryDraft(key, description, currency, lines, KIND_CLOSING).validate()


def allocation_entry(
    key: str, currency: str, dividends: Iterable[MemberDividend], description: str
) -> EntryDraft | None:
    """Dr retained surplus (3300) the allocated pool; per member Cr dividends payable (2200) the
    cash part and Cr member capital (3100) the retained part. ``None`` when nothing is allocated."""
    members = [d for d in dividends if d.allocation_cents > 0]
    if not members:
        return None
    lines = [debit(AccountRef(RETAINED_SURPLUS), sum(d.allocation_cents for d in members))]
    for d in members:
        lines.append(credit(AccountRef(DIVIDENDS_PAYABLE, d.member_id), d.cash_cents))
        lines.append(credit(AccountRef(MEMBER_CAPITAL, d.member_id), d.retained_cents))
    return EntryDraft(key, description, currency, collapse(lines), KIND_ALLOCATION).validate()


def dividend_run_entries(
    run_id: int | str,
    currency: str,
    inputs: SurplusInputs,
    plan: DividendPlan,
    period_label: str,
    operating_costs_note: str = "",
) -> list[EntryDraft]:
    """What approving a run posts, in order, each balanced, keyed ``<kind>:<run_id>``:

    1. operating costs: Dr 5200, Cr 1000 (when the admin entered any);
    2. closing: the period's income and expenses into 3300 (see ``closing_entry``);
    3. reserve: Dr 3300, Cr reserves (3200);
    4. allocation: Dr 3300, Cr 2200[member] cash, Cr 3100[member] retained.

    Afterwards 3300 has gained exactly the pool nobody was eligible for (or lost the period's
    loss). The dividend payments follow, one ``dividend_payment_entry`` per member.
    """
    if plan.surplus.surplus_cents != inputs.surplus_cents:
        raise DividendError("the plan was made from other figures than these")
    label = f"{period_label} (dividend run {run_id})"
    drafts: list[EntryDraft | None] = []
    if inputs.operating_costs_cents:
        drafts.append(
            operating_costs_entry(
                idempotency_key(KIND_OPERATING_COSTS, run_id),
                currency,
                inputs.operating_costs_cents,
                f"{period_label}: {operating_costs_note}" if operating_costs_note else period_label,
            )
        )
    drafts.append(
        closing_entry(idempotency_key(KIND_CLOSING, run_id), currency, inputs, f"Closing {label}")
    )
    if plan.surplus.reserve_cents:
        drafts.append(
            transfer_entry(
                idempotency_key(KIND_RESERVE, run_id),
                f"Transfer to reserves, {label}",
                currency,
                AccountRef(RETAINED_SURPLUS),
                AccountRef(RESERVES),
                plan.surplus.reserve_cents,
                KIND_RESERVE,
            )
        )
    drafts.append(
        allocation_entry(
            idempotency_key(KIND_ALLOCATION, run_id),
            currency,
            plan.dividends,
            f"Patronage dividends allocated, {label}",
        )
    )
    return [draft for draft in drafts if draft is not None]


def dividend_payment_entry(
    key: str, currency: str, member_id: int, amount_cents: int, description: str
) -> EntryDraft:
    """Dr dividends payable[member] (2200), Cr Stripe clearing (1100): the app pays by a Stripe
    transfer from the platform balance, which is what Stripe clearing holds."""
    return transfer_entry(
        key,
        description,
        currency,
        AccountRef(DIVIDENDS_PAYABLE, member_id),
        AccountRef(STRIPE_CLEARING),
        _positive(amount_cents, "a dividend payment"),
        KIND_PAYMENT,
    )


def redemption_entry(
    key: str, currency: str, redemption: Redemption, description: str
) -> EntryDraft:
    """Dr member capital[member] (3100), Cr dividends payable[member] (2200): the redeemed amount
    becomes owed in cash and is then paid like a dividend (``dividend_payment_entry``), so a
    failed transfer leaves a visible debt instead of a silent gap."""
    return transfer_entry(
        key,
        description,
        currency,
        AccountRef(MEMBER_CAPITAL, redemption.member_id),
        AccountRef(DIVIDENDS_PAYABLE, redemption.member_id),
        _positive(redemption.amount_cents, "a redemption"),
        KIND_REDEMPTION,
    )


def royalty_payout_entry(
    key: str, currency: str, member_id: int, amount_cents: int, description: str
) -> EntryDraft:
    """Dr royalties payable[member] (2100), Cr Stripe clearing (1100): a Stripe transfer of the
    member's royalties out of the platform balance."""
    return transfer_entry(
        key,
        description,
        currency,
        AccountRef(ROYALTIES_PAYABLE, member_id),
        AccountRef(STRIPE_CLEARING),
        _positive(amount_cents, "a royalty payout"),
        KIND_ROYALTY_PAYOUT,
    )
