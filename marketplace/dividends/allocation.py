"""Patronage dividends, the allocation rules: surplus, policy, allocation, cash and retained parts.

No Flask, SQLAlchemy, Celery or stripe (the money core is pure). Money is integer cents; every
split is ``largest_remainder_split`` from the ledger, so parts add up to the whole to the cent.
Percentages (reserve, cash, class shares, redemptions) are taken as numbers of percent with at
most two decimals (``12.5``, ``"12.50"``, ``Decimal("5")``) and held as integer basis points.

The order of a run: ``compute_surplus`` -> ``allocate_pool`` -> ``split_cash`` per member
(``plan_dividend_run`` does all three), then on approval ``dividend_run_entries``; payments,
redemptions have their own drafts. The drafts live in ``postings`` and the 1099-PATR figures,
revolving redemptions and Subchapter T deadline in ``subchapter_t``; both build on this module
and ``core`` names all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal, cast, get_args

from marketplace.dividends.amounts import CashShareTooLow as CashShareTooLow
from marketplace.dividends.amounts import DividendError as DividendError
from marketplace.dividends.amounts import Percent as Percent
from marketplace.dividends.amounts import bps_pct as bps_pct
from marketplace.dividends.amounts import percent_bps as percent_bps
from marketplace.dividends.amounts import whole_cents as whole_cents
from marketplace.i18n.markers import N_
from marketplace.ledger.core import format_cents, largest_remainder_split

Basis = Literal["equal", "service_years", "patronage"]
BASES: tuple[Basis, ...] = get_args(Basis)

WHOLE_BPS = 10_000
MIN_CASH_BPS = 2_000


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
            whole_cents(getattr(self, name), name)

    @property
    def surplus_cents(self) -> int:
        return (
            self.revenue_cents
            - self.refunds_cents
            - self.fees_cents
            - self.royalties_cents
            - self.operating_costs_cents
        )


# What the board's policy does with a period's loss (as data: the setting
# DIVIDEND_LOSS_POLICY): carry it forward and net it against later surpluses before any
# patronage is shared, or charge it to the reserves at once.
LOSS_POLICIES = ("carry_forward", "charge_reserves")


@dataclass(frozen=True)
class Surplus:
    surplus_cents: int
    reserve_bps: int
    reserve_cents: int
    pool_cents: int
    reason_if_none: str | None
    loss_brought_forward_cents: int = 0
    loss_carried_forward_cents: int = 0
    loss_charged_to_reserves_cents: int = 0


def compute_surplus(
    inputs: SurplusInputs,
    reserve_pct: Percent,
    currency: str = "USD",
    loss_brought_forward_cents: int = 0,
    loss_policy: str = "carry_forward",
) -> Surplus:
    """The period's surplus, its reserve share and the dividend pool (surplus − reserve).

    The reserve is rounded down, so a fraction of a cent stays with the members' pool rather
    than being kept by the co-op; 0 % and 100 % are exact either way. No surplus, no pool: the
    reason says so in words an admin can act on. A loss brought forward is netted first (the
    reserve and the pool come from what is left); a loss, with what was brought forward, is
    carried forward, or charged to the reserves when ``loss_policy`` is ``charge_reserves``.
    """
    reserve_bps = percent_bps(reserve_pct, N_("The reserve share"))
    if loss_policy not in LOSS_POLICIES:
        raise DividendError(f"the loss policy is one of {', '.join(LOSS_POLICIES)}")
    brought = whole_cents(loss_brought_forward_cents, "the loss brought forward")
    surplus = inputs.surplus_cents
    net = surplus - brought
    if net <= 0:
        loss = -net
        if surplus < 0:
            reason = f"The period made a loss of {format_cents(-surplus, currency)}"
        elif surplus == 0 and not brought:
            return Surplus(
                0, reserve_bps, 0, 0, "The period broke even: no surplus, so no dividend pool."
            )
        elif surplus == 0:
            reason = "The period broke even"
        else:
            reason = f"The surplus of {format_cents(surplus, currency)} only reduces"
        if brought and surplus > 0:
            reason += f" the loss of {format_cents(brought, currency)} brought forward"
        elif brought:
            reason += f", with {format_cents(brought, currency)} brought forward"
        if loss == 0:
            reason += ": no dividend pool."
            return Surplus(surplus, reserve_bps, 0, 0, reason, brought)
        if loss_policy == "charge_reserves":
            reason += f": {format_cents(loss, currency)} is charged to reserves; no dividend pool."
            return Surplus(surplus, reserve_bps, 0, 0, reason, brought, 0, loss)
        reason += (
            f": {format_cents(loss, currency)} is carried forward against later surpluses; "
            "no dividend pool."
        )
        return Surplus(surplus, reserve_bps, 0, 0, reason, brought, loss)
    reserve = net * reserve_bps // WHOLE_BPS
    pool = net - reserve
    all_kept = (
        f"The whole surplus of {format_cents(net, currency)} goes to reserves: no dividend pool."
    )
    return Surplus(surplus, reserve_bps, reserve, pool, None if pool else all_kept, brought)


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
        whole_cents(self.member_id, "a member id")
        whole_cents(self.member_number, "a member number")
        whole_cents(self.patronage_cents, "patronage", signed=True)
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

    Patronage is business done with the co-op whoever does it (IRC §1388(a)): a member of a
    class shared otherwise (a founder, staff) who sold their own work in the period also shares
    in the first patronage class of the policy, by that patronage, as a second allocation.
    ``members`` then lists such a member twice, once per class, by member number.
    """
    pool_cents = whole_cents(pool_cents, "the pool")
    policy = validate_policy(policy)
    ordered = sorted(members, key=lambda m: (m.member_number, m.member_id))
    if len({m.member_id for m in ordered}) != len(ordered):
        raise DividendError("a member is listed twice")
    own_basis = {c.code: c.basis for c in policy}
    # The class that shares patronage for members whose own class is shared otherwise.
    home = next((c.code for c in policy if c.basis == "patronage"), None)
    weights: dict[tuple[int, str], int] = {}
    eligible: dict[str, list[MemberFacts]] = {}
    for cls in policy:
        for member in ordered:
            joins_as_artist = (
                cls.code == home
                and member.class_code in own_basis
                and own_basis[member.class_code] != "patronage"
            )
            if member.class_code != cls.code and not joins_as_artist:
                continue
            weight = basis_weight(cls.basis, member, period_end)
            if weight > 0:
                weights[(member.member_id, cls.code)] = weight
                eligible.setdefault(cls.code, []).append(member)
    sharing = [cls for cls in policy if cls.code in eligible]
    class_pools = dict.fromkeys((c.code for c in policy), 0)
    if sharing:
        split = largest_remainder_split(pool_cents, [c.share_bps for c in sharing])
        class_pools.update(zip((c.code for c in sharing), split, strict=True))
    amounts: dict[tuple[int, str], int] = {}
    for code, group in eligible.items():
        keys = [(m.member_id, code) for m in group]
        parts = largest_remainder_split(class_pools[code], [weights[k] for k in keys])
        amounts.update(zip(keys, parts, strict=True))
    unallocated = 0 if sharing else pool_cents
    reason = None
    if unallocated:
        reason = (
            "No member is eligible in this period (no member of a class in the policy, and no "
            f"artist with sales): the pool of {format_cents(unallocated, currency)} stays in "
            "retained surplus."
        )
    # Each member's weighted classes, in the policy's order (the order ``weights`` was filled
    # in), found once: searching ``weights`` per member made 10,000 members 10^8 steps.
    weighted_codes: dict[int, list[str]] = {}
    for member_id, code in weights:
        weighted_codes.setdefault(member_id, []).append(code)
    rows = []
    for m in ordered:
        codes = [m.class_code, *weighted_codes.get(m.member_id, ())]
        for code in dict.fromkeys(codes):
            key = (m.member_id, code)
            figures = (weights.get(key, 0), amounts.get(key, 0))
            rows.append(
                MemberAllocation(m.member_id, m.member_number, code, m.patronage_cents, *figures)
            )
    return PoolAllocation(
        pool_cents=pool_cents,
        classes=tuple(
            ClassAllocation(
                c.code, c.share_bps, c.basis, class_pools[c.code], len(eligible.get(c.code, []))
            )
            for c in policy
        ),
        members=tuple(rows),
        unallocated_cents=unallocated,
        reason_if_unallocated=reason,
    )


def cash_bps(cash_pct: Percent) -> int:
    """The cash share in basis points; under 20 % is refused (``CashShareTooLow``)."""
    bps = percent_bps(cash_pct, N_("The cash share"))
    if bps < MIN_CASH_BPS:
        raise CashShareTooLow(
            N_(
                "The cash share must be at least 20 %% of each allocation (the US Subchapter T "
                "minimum for a qualified written notice of allocation); %(pct)s %% is too low."
            ),
            pct=bps_pct(bps),
        )
    return bps


def split_cash(allocation_cents: int, cash_pct: Percent) -> tuple[int, int]:
    """(cash, retained) of one allocation; they add up to it exactly.

    Cash is rounded up, so it is never below the chosen share, and so never below the 20 %
    floor, even by a fraction of a cent; the retained part is the rest.
    """
    return _split_cash_bps(allocation_cents, cash_bps(cash_pct))


def _split_cash_bps(allocation_cents: int, bps: int) -> tuple[int, int]:
    allocation_cents = whole_cents(allocation_cents, "an allocation")
    cash = -(-allocation_cents * bps // WHOLE_BPS)
    return cash, allocation_cents - cash


@dataclass(frozen=True)
class MemberDividend:
    """One allocation's parts; ``cash_paid`` and ``qualified`` are for Form 1099-PATR."""

    member_id: int
    member_number: int
    class_code: str
    patronage_cents: int
    allocation_cents: int
    cash_cents: int
    retained_cents: int
    basis: Basis = "patronage"
    cash_paid: bool = True
    qualified: bool = True


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
    loss_brought_forward_cents: int = 0,
    loss_policy: str = "carry_forward",
) -> DividendPlan:
    """Surplus, allocation and cash/retained parts in one go; refuses a cash share under 20 %
    even when there is no pool, so the admin learns it when drafting."""
    bps = cash_bps(cash_pct)
    surplus = compute_surplus(
        inputs, reserve_pct, currency, loss_brought_forward_cents, loss_policy
    )
    allocation = allocate_pool(surplus.pool_cents, policy, members, period_end, currency)
    bases = {c.code: c.basis for c in policy}
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
                bases.get(m.class_code, "patronage"),
            )
        )
    return DividendPlan(surplus, bps, allocation, tuple(dividends))
