"""Patronage dividends, the pure core: surplus, allocation, cash floor, 1099, redemption, ledger."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.dividends import core
from marketplace.dividends.core import (
    DEFAULT_POLICY,
    CashShareTooLow,
    ClassPolicy,
    DividendError,
    MemberDividend,
    MemberFacts,
    Redemption,
    RedemptionOrderError,
    RetainedAllocation,
    SurplusInputs,
)
from marketplace.ledger.core import (
    BANK,
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    RETAINED_SURPLUS,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    largest_remainder_split,
)

PERIOD_END = date(2025, 12, 31)
CLASSES = [c.code for c in DEFAULT_POLICY]


def member(
    n: int, cls: str = "artists", patronage: int = 0, joined: date = date(2020, 1, 1)
) -> MemberFacts:
    return MemberFacts(
        member_id=100 + n,
        member_number=n,
        class_code=cls,
        joined_on=joined,
        patronage_cents=patronage,
    )


def net_by_account(*drafts: EntryDraft) -> Counter[AccountRef]:
    net: Counter[AccountRef] = Counter()
    for draft in drafts:
        for line in draft.lines:
            net[line.account] += line.debit_cents - line.credit_cents
    return Counter({account: cents for account, cents in net.items() if cents})


members_strategy = st.lists(
    st.builds(
        MemberFacts,
        member_id=st.integers(1, 10**6),
        member_number=st.integers(1, 10**6),
        class_code=st.sampled_from([*CLASSES, "observers"]),
        joined_on=st.dates(date(1990, 1, 1), date(2026, 6, 30)),
        patronage_cents=st.one_of(st.integers(-(10**6), 10**12), st.just(0), st.just(1)),
    ),
    max_size=30,
    unique_by=(lambda m: m.member_id, lambda m: m.member_number),
)
pools = st.one_of(st.integers(0, 10**12), st.integers(0, 10), st.just(10**12))
pct_strategy = st.integers(2000, 10_000).map(lambda bps: Decimal(bps) / 100)


# Percentages


@pytest.mark.parametrize(
    ("value", "bps"),
    [(0, 0), (20, 2000), ("12.5", 1250), (12.5, 1250), (Decimal("0.01"), 1), ("100", 10_000)],
)
def test_percentages_are_exact_basis_points(value: core.Percent, bps: int) -> None:
    assert core.percent_bps(value) == bps


@pytest.mark.parametrize("value", [-1, 100.01, "12.345", "abc", "NaN", True, None, "Infinity"])
def test_bad_percentages_are_refused(value: object) -> None:
    with pytest.raises(DividendError):
        core.percent_bps(value)  # type: ignore[arg-type]


# Surplus


def test_surplus_is_revenue_less_refunds_fees_royalties_and_costs() -> None:
    inputs = SurplusInputs(100_000, 5_000, 3_000, 0, 2_000)
    surplus = core.compute_surplus(inputs, 10)
    assert (surplus.surplus_cents, surplus.reserve_cents, surplus.pool_cents) == (
        90_000,
        9_000,
        81_000,
    )
    assert surplus.reason_if_none is None


def test_reserve_is_rounded_down_so_the_odd_cent_goes_to_the_pool() -> None:
    surplus = core.compute_surplus(SurplusInputs(999, 0, 0, 0, 0), "12.5")
    assert surplus.reserve_cents == 124  # 124.875
    assert surplus.pool_cents == 875


def test_a_loss_makes_no_pool_and_says_why() -> None:
    surplus = core.compute_surplus(SurplusInputs(1_000, 500, 100, 0, 1_634), 10)
    assert (surplus.surplus_cents, surplus.reserve_cents, surplus.pool_cents) == (-1_234, 0, 0)
    assert surplus.reason_if_none == "The period made a loss of $12.34: no dividend pool."


def test_break_even_and_full_reserve_make_no_pool_with_a_reason() -> None:
    assert "broke even" in (
        core.compute_surplus(SurplusInputs(0, 0, 0, 0, 0), 0).reason_if_none or ""
    )
    full = core.compute_surplus(SurplusInputs(5_000, 0, 0, 0, 0), 100)
    assert (full.reserve_cents, full.pool_cents) == (5_000, 0)
    assert "goes to reserves" in (full.reason_if_none or "")


def test_surplus_inputs_are_non_negative_cents() -> None:
    with pytest.raises(DividendError):
        SurplusInputs(-1, 0, 0, 0, 0)
    with pytest.raises(DividendError):
        SurplusInputs(1.5, 0, 0, 0, 0)  # type: ignore[arg-type]


@given(
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10_000),
)
def test_reserve_and_pool_make_the_surplus(
    revenue: int, refunds: int, fees: int, costs: int, reserve_bps: int
) -> None:
    surplus = core.compute_surplus(
        SurplusInputs(revenue, refunds, fees, 0, costs), Decimal(reserve_bps) / 100
    )
    if surplus.surplus_cents > 0:
        assert surplus.reserve_cents + surplus.pool_cents == surplus.surplus_cents
        assert surplus.reserve_cents * 10_000 <= surplus.surplus_cents * reserve_bps
        assert (surplus.pool_cents == 0) == (surplus.reason_if_none is not None)
    else:
        assert surplus.pool_cents == surplus.reserve_cents == 0
        assert surplus.reason_if_none


# Policy


def test_default_policy_is_stocksy_uniteds() -> None:
    assert [(c.code, c.share_pct, c.basis) for c in DEFAULT_POLICY] == [
        ("founders", Decimal(5), "equal"),
        ("staff", Decimal(5), "service_years"),
        ("artists", Decimal(90), "patronage"),
    ]


def test_policy_from_data() -> None:
    policy = core.policy_from_data(
        [
            {"code": "artists", "share_pct": "97.5", "basis": "patronage"},
            {"code": "staff", "share_pct": 2.5, "basis": "equal"},
        ]
    )
    assert [c.share_bps for c in policy] == [9_750, 250]


@pytest.mark.parametrize(
    "classes",
    [
        [],
        [ClassPolicy("a", 5_000, "equal"), ClassPolicy("b", 4_000, "equal")],
        [ClassPolicy("a", 5_000, "equal"), ClassPolicy("a", 5_000, "patronage")],
    ],
)
def test_invalid_policies_are_refused(classes: list[ClassPolicy]) -> None:
    with pytest.raises(DividendError):
        core.validate_policy(classes)


@pytest.mark.parametrize(
    ("code", "bps", "basis"), [("", 100, "equal"), ("a", 0, "equal"), ("a", 100, "seniority")]
)
def test_invalid_classes_are_refused(code: str, bps: int, basis: str) -> None:
    with pytest.raises(DividendError):
        ClassPolicy(code, bps, basis)  # type: ignore[arg-type]


# Allocation


@settings(max_examples=300)
@given(pools, members_strategy)
def test_allocations_add_up_to_the_pool_exactly(pool: int, members: list[MemberFacts]) -> None:
    result = core.allocate_pool(pool, DEFAULT_POLICY, members, PERIOD_END)
    assert len(result.members) == len(members)
    assert all(m.allocation_cents >= 0 for m in result.members)
    assert result.allocated_cents + result.unallocated_cents == pool
    assert sum(c.pool_cents for c in result.classes) == pool - result.unallocated_cents
    for cls in result.classes:
        mine = [m for m in result.members if m.class_code == cls.code and m.weight > 0]
        assert sum(m.allocation_cents for m in mine) == cls.pool_cents
        assert len(mine) == cls.eligible_count
        if cls.eligible_count == 0:
            assert cls.pool_cents == 0
    anyone = any(c.eligible_count for c in result.classes)
    assert (result.unallocated_cents == 0) == (anyone or pool == 0)
    assert (result.reason_if_unallocated is None) == (result.unallocated_cents == 0)
    ineligible = [m for m in result.members if m.weight == 0]
    assert all(m.allocation_cents == 0 for m in ineligible)


@given(pools, st.lists(st.integers(1, 10**12), min_size=1, max_size=20))
def test_with_every_class_present_class_pools_are_the_split_of_the_shares(
    pool: int, patronage: list[int]
) -> None:
    members = [member(1, "founders"), member(2, "staff")]
    members += [member(10 + i, "artists", p) for i, p in enumerate(patronage)]
    result = core.allocate_pool(pool, DEFAULT_POLICY, members, PERIOD_END)
    assert [c.pool_cents for c in result.classes] == largest_remainder_split(
        pool, [500, 500, 9_000]
    )
    artists = [m for m in result.members if m.class_code == "artists"]
    assert [m.allocation_cents for m in artists] == largest_remainder_split(
        result.classes[2].pool_cents, patronage
    )


def test_patronage_weights_net_sales() -> None:
    members = [member(1, "artists", 3_000), member(2, "artists", 1_000), member(3, "artists", 0)]
    result = core.allocate_pool(10_000, DEFAULT_POLICY, members, PERIOD_END)
    assert [m.allocation_cents for m in result.members] == [7_500, 2_500, 0]
    assert [c.pool_cents for c in result.classes] == [0, 0, 10_000]


def test_an_empty_class_share_goes_to_the_others_in_proportion() -> None:
    members = [member(1, "founders"), member(2, "artists", 500)]
    result = core.allocate_pool(100_000, DEFAULT_POLICY, members, PERIOD_END)
    by_code = {c.code: c for c in result.classes}
    # founders 5/95 and artists 90/95 of the pool; staff (nobody) nothing.
    assert by_code["staff"].pool_cents == 0
    assert by_code["staff"].eligible_count == 0
    assert by_code["founders"].pool_cents == 5_263
    assert by_code["artists"].pool_cents == 94_737


def test_artists_without_sales_are_not_eligible_and_their_share_moves() -> None:
    members = [member(1, "founders"), member(2, "artists", 0), member(3, "artists", -400)]
    result = core.allocate_pool(1_001, DEFAULT_POLICY, members, PERIOD_END)
    assert [m.allocation_cents for m in result.members] == [1_001, 0, 0]
    assert result.members[2].patronage_cents == -400


def test_equal_shares_break_ties_by_member_number() -> None:
    members = [member(3, "founders"), member(1, "founders"), member(2, "founders")]
    result = core.allocate_pool(100, DEFAULT_POLICY, members, PERIOD_END)
    assert [(m.member_number, m.allocation_cents) for m in result.members] == [
        (1, 34),
        (2, 33),
        (3, 33),
    ]


def test_one_member_gets_the_whole_pool() -> None:
    result = core.allocate_pool(10**12, DEFAULT_POLICY, [member(1, "staff")], PERIOD_END)
    assert result.members[0].allocation_cents == 10**12


def test_zero_pool_allocates_zeros() -> None:
    result = core.allocate_pool(0, DEFAULT_POLICY, [member(1, "artists", 10)], PERIOD_END)
    assert result.members[0].allocation_cents == 0
    assert result.unallocated_cents == 0


def test_nobody_eligible_leaves_the_pool_unallocated_and_says_so() -> None:
    members = [
        member(1, "artists", 0),
        member(2, "observers"),
        member(3, "founders", joined=date(2026, 1, 1)),
    ]
    result = core.allocate_pool(5_000, DEFAULT_POLICY, members, PERIOD_END)
    assert result.allocated_cents == 0
    assert result.unallocated_cents == 5_000
    assert "stays in retained surplus" in (result.reason_if_unallocated or "")
    assert core.allocate_pool(5_000, DEFAULT_POLICY, [], PERIOD_END).unallocated_cents == 5_000


def test_members_who_join_after_the_period_are_not_eligible() -> None:
    late = member(2, "founders", joined=date(2026, 1, 1))
    result = core.allocate_pool(100, DEFAULT_POLICY, [member(1, "founders"), late], PERIOD_END)
    assert [m.allocation_cents for m in result.members] == [100, 0]


def test_a_member_listed_twice_is_refused() -> None:
    with pytest.raises(DividendError):
        core.allocate_pool(100, DEFAULT_POLICY, [member(1), member(1)], PERIOD_END)


@pytest.mark.parametrize(
    ("joined", "years"),
    [
        (date(2025, 12, 31), 1),
        (date(2025, 1, 1), 1),
        (date(2024, 12, 31), 2),
        (date(2024, 1, 1), 2),
        (date(2015, 6, 30), 11),
        (date(2024, 2, 29), 2),
    ],
)
def test_service_years_are_completed_years_plus_one(joined: date, years: int) -> None:
    assert core.service_years(joined, PERIOD_END) == years


def test_service_years_on_a_leap_day_anniversary() -> None:
    assert core.service_years(date(2024, 2, 29), date(2025, 2, 28)) == 1
    assert core.service_years(date(2024, 2, 29), date(2025, 3, 1)) == 2


def test_staff_are_weighted_by_service_years() -> None:
    staff = [
        member(1, "staff", joined=date(2025, 6, 1)),  # 1
        member(2, "staff", joined=date(2023, 1, 1)),  # 3
    ]
    result = core.allocate_pool(400, DEFAULT_POLICY, staff, PERIOD_END)
    assert [m.weight for m in result.members] == [1, 3]
    assert [m.allocation_cents for m in result.members] == [100, 300]


# Cash and retained parts


@given(st.integers(0, 10**12), pct_strategy)
def test_cash_is_at_least_its_share_and_the_parts_make_the_allocation(
    allocation: int, pct: Decimal
) -> None:
    cash, retained = core.split_cash(allocation, pct)
    assert cash + retained == allocation
    assert retained >= 0
    assert cash * 100 >= allocation * pct  # rounded up: never under the share
    assert cash * 5 >= allocation  # so never under the 20 % floor
    assert (cash - 1) * 100 < allocation * pct or cash == 0


def test_cash_is_rounded_up() -> None:
    assert core.split_cash(101, 20) == (21, 80)
    assert core.split_cash(1, 20) == (1, 0)
    assert core.split_cash(0, 20) == (0, 0)
    assert core.split_cash(1_000, 100) == (1_000, 0)


@pytest.mark.parametrize("pct", [0, 19, "19.99"])
def test_cash_share_under_twenty_percent_is_refused(pct: core.Percent) -> None:
    with pytest.raises(CashShareTooLow, match="at least 20 %"):
        core.split_cash(1_000, pct)
    with pytest.raises(CashShareTooLow):
        core.plan_dividend_run(SurplusInputs(0, 0, 0, 0, 0), 10, pct, [], PERIOD_END)


@settings(max_examples=200)
@given(st.integers(0, 10**12), st.integers(0, 10_000), pct_strategy, members_strategy)
def test_a_plan_allocates_the_pool_and_splits_every_allocation(
    revenue: int, reserve_bps: int, cash_pct: Decimal, members: list[MemberFacts]
) -> None:
    inputs = SurplusInputs(revenue, 0, 0, 0, 0)
    plan = core.plan_dividend_run(inputs, Decimal(reserve_bps) / 100, cash_pct, members, PERIOD_END)
    allocated = sum(d.allocation_cents for d in plan.dividends)
    assert allocated + plan.allocation.unallocated_cents == plan.surplus.pool_cents
    for d in plan.dividends:
        assert d.cash_cents + d.retained_cents == d.allocation_cents
        assert d.cash_cents * 5 >= d.allocation_cents
    drafts = core.dividend_run_entries(1, "USD", inputs, plan, "FY 2025")
    for draft in drafts:
        assert draft.validate() is draft
    net = net_by_account(*drafts)
    # Retained surplus keeps only the pool nobody was eligible for (a credit is negative here).
    assert net[AccountRef(RETAINED_SURPLUS)] == -plan.allocation.unallocated_cents
    assert net[AccountRef(RESERVES)] == -plan.surplus.reserve_cents


# 1099-PATR


@pytest.mark.parametrize(("cents", "due"), [(0, False), (999, False), (1_000, True), (10**9, True)])
def test_1099_patr_is_due_from_ten_dollars(cents: int, due: bool) -> None:
    assert core.needs_1099_patr(cents) is due


def test_1099_patr_box_1_is_cash_plus_qualified_notices() -> None:
    paid = [
        MemberDividend(7, 1, "artists", 5_000, 800, 160, 640),
        MemberDividend(7, 1, "artists", 100, 150, 30, 120),
        MemberDividend(8, 2, "artists", 9_000, 9_999, 2_000, 7_999),
    ]
    figures = core.form_1099_patr(7, 2025, paid)
    assert (figures.cash_cents, figures.qualified_notice_cents) == (190, 760)
    assert figures.box1_patronage_dividends_cents == 950
    assert figures.required is False
    assert core.form_1099_patr(8, 2025, paid).required is True


# Revolving redemption


def test_redeem_all_of_a_year() -> None:
    retained = [
        RetainedAllocation(2, 2023, 500),
        RetainedAllocation(1, 2023, 300),
        RetainedAllocation(3, 2024, 900),
    ]
    assert core.redeem(retained[:2], 2023) == [
        Redemption(1, 2023, 300, 0),
        Redemption(2, 2023, 500, 0),
    ]


def test_redeem_a_percentage_by_largest_remainder() -> None:
    retained = [
        RetainedAllocation(1, 2023, 1),
        RetainedAllocation(2, 2023, 1),
        RetainedAllocation(3, 2023, 1),
    ]
    redeemed = core.redeem(retained, 2023, 50)
    assert sum(r.amount_cents for r in redeemed) == 1  # half of 3 cents, rounded down
    assert redeemed == [Redemption(1, 2023, 1, 0)]


def test_redemption_is_oldest_first() -> None:
    retained = [RetainedAllocation(1, 2023, 100), RetainedAllocation(1, 2024, 100)]
    with pytest.raises(RedemptionOrderError, match="2023"):
        core.redeem(retained, 2024)
    assert core.redeem(retained, 2024, allow_out_of_order=True) == [Redemption(1, 2024, 100, 0)]
    done = [RetainedAllocation(1, 2023, 0), RetainedAllocation(1, 2024, 100)]
    assert core.redeem(done, 2024) == [Redemption(1, 2024, 100, 0)]


retained_strategy = st.lists(
    st.builds(
        RetainedAllocation,
        member_id=st.integers(1, 50),
        year=st.integers(2020, 2026),
        amount_cents=st.integers(0, 10**10),
        allocation_id=st.integers(1, 10**6),
    ),
    max_size=30,
)


@given(retained_strategy, st.integers(2020, 2026), st.one_of(st.none(), st.integers(0, 10_000)))
def test_redemption_never_exceeds_what_is_retained(
    retained: list[RetainedAllocation], year: int, bps: int | None
) -> None:
    pct = None if bps is None else Decimal(bps) / 100
    redeemed = core.redeem(retained, year, pct, allow_out_of_order=True)
    chosen = [r for r in retained if r.year == year]
    total = sum(r.amount_cents for r in chosen)
    assert sum(r.amount_cents for r in redeemed) == (
        total if bps is None else total * bps // 10_000
    )
    for r in redeemed:
        assert r.year == year
        assert 0 < r.amount_cents
        assert r.remaining_cents >= 0
    keys = [(r.year, r.member_id, r.allocation_id) for r in redeemed]
    assert keys == sorted(keys)


@given(retained_strategy, st.integers(2020, 2026))
def test_strict_redemption_refuses_when_an_older_year_is_outstanding(
    retained: list[RetainedAllocation], year: int
) -> None:
    older = any(r.year < year and r.amount_cents for r in retained)
    if older:
        with pytest.raises(RedemptionOrderError):
            core.redeem(retained, year)
    else:
        core.redeem(retained, year)


# Subchapter T deadline


@pytest.mark.parametrize(
    ("fy_end", "deadline"),
    [
        (date(2025, 12, 31), date(2026, 9, 15)),
        (date(2025, 6, 30), date(2026, 3, 15)),
        (date(2025, 3, 31), date(2025, 12, 15)),
        (date(2025, 4, 30), date(2026, 1, 15)),
        (date(2024, 2, 29), date(2024, 11, 15)),
    ],
)
def test_payment_deadline_is_the_15th_of_the_9th_month_after(fy_end: date, deadline: date) -> None:
    assert core.payment_deadline(fy_end) == deadline


def test_deadline_warning() -> None:
    fy = date(2025, 12, 31)
    assert core.deadline_warning(date(2026, 7, 1), fy, paid=False) is None
    soon = core.deadline_warning(date(2026, 9, 1), fy, paid=False)
    assert soon is not None
    assert "2026-09-15" in soon
    assert "in 14 days" in soon
    assert "(today)" in (core.deadline_warning(date(2026, 9, 15), fy, paid=False) or "")
    late = core.deadline_warning(date(2026, 9, 20), fy, paid=False)
    assert late is not None
    assert "5 days ago" in late
    assert core.deadline_warning(date(2026, 9, 20), fy, paid=True) is None


# Ledger drafts


def test_run_entries_close_the_period_reserve_and_allocate() -> None:
    inputs = SurplusInputs(100_000, 5_000, 3_000, 0, 2_000)
    members = [member(1, "founders"), member(2, "artists", 1_000)]
    plan = core.plan_dividend_run(inputs, 10, 25, members, PERIOD_END)
    drafts = core.dividend_run_entries(9, "USD", inputs, plan, "FY 2025", "rent")
    assert [d.kind for d in drafts] == [
        "operating_costs",
        "dividend_closing",
        "dividend_reserve",
        "dividend_allocation",
    ]
    assert [d.idempotency_key for d in drafts][1] == "dividend_closing:9"
    net = net_by_account(*drafts)
    assert net == Counter(
        {
            AccountRef(BANK): -2_000,
            AccountRef(LICENCE_REVENUE): 100_000,
            AccountRef(REFUNDS_AND_CHARGEBACKS): -5_000,
            AccountRef(PAYMENT_FEES): -3_000,
            AccountRef(RESERVES): -9_000,
            AccountRef(DIVIDENDS_PAYABLE, 101): -(plan.dividends[0].cash_cents),
            AccountRef(MEMBER_CAPITAL, 101): -(plan.dividends[0].retained_cents),
            AccountRef(DIVIDENDS_PAYABLE, 102): -(plan.dividends[1].cash_cents),
            AccountRef(MEMBER_CAPITAL, 102): -(plan.dividends[1].retained_cents),
        }
    )


def test_a_loss_is_closed_into_retained_surplus_and_nothing_else_posts() -> None:
    inputs = SurplusInputs(1_000, 0, 200, 0, 5_000)
    plan = core.plan_dividend_run(inputs, 10, 20, [member(1, "founders")], PERIOD_END)
    drafts = core.dividend_run_entries(3, "USD", inputs, plan, "FY 2025")
    assert [d.kind for d in drafts] == ["operating_costs", "dividend_closing"]
    assert net_by_account(*drafts)[AccountRef(RETAINED_SURPLUS)] == 4_200


def test_nothing_to_close_posts_nothing() -> None:
    inputs = SurplusInputs(0, 0, 0, 0, 0)
    plan = core.plan_dividend_run(inputs, 10, 20, [], PERIOD_END)
    assert core.dividend_run_entries(1, "USD", inputs, plan, "FY 2025") == []


def test_run_entries_refuse_a_plan_from_other_figures() -> None:
    plan = core.plan_dividend_run(SurplusInputs(100, 0, 0, 0, 0), 0, 20, [], PERIOD_END)
    with pytest.raises(DividendError):
        core.dividend_run_entries(1, "USD", SurplusInputs(200, 0, 0, 0, 0), plan, "FY")


def test_closing_refuses_royalties_this_ledger_does_not_book() -> None:
    with pytest.raises(DividendError):
        core.closing_entry("k", "USD", SurplusInputs(100, 0, 0, 10, 0), "Closing")


@given(
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
)
def test_every_closing_entry_balances(revenue: int, refunds: int, fees: int, costs: int) -> None:
    inputs = SurplusInputs(revenue, refunds, fees, 0, costs)
    draft = core.closing_entry("dividend_closing:1", "USD", inputs, "Closing")
    if draft is None:
        assert inputs.surplus_cents == 0
        assert revenue == 0
        return
    assert draft.validate() is draft
    assert net_by_account(draft)[AccountRef(RETAINED_SURPLUS)] == -inputs.surplus_cents


def test_payment_redemption_and_royalty_payout_drafts() -> None:
    payment = core.dividend_payment_entry("dividend_payment:1:7", "USD", 7, 250, "Dividend")
    assert net_by_account(payment) == Counter(
        {AccountRef(DIVIDENDS_PAYABLE, 7): 250, AccountRef(STRIPE_CLEARING): -250}
    )
    redemption = core.redemption_entry(
        "dividend_redemption:2023:7", "USD", Redemption(7, 2023, 400, 100), "Redemption of 2023"
    )
    assert net_by_account(redemption) == Counter(
        {AccountRef(MEMBER_CAPITAL, 7): 400, AccountRef(DIVIDENDS_PAYABLE, 7): -400}
    )
    payout = core.royalty_payout_entry("royalty_payout:5", "USD", 7, 999, "Royalties")
    assert net_by_account(payout) == Counter(
        {AccountRef(ROYALTIES_PAYABLE, 7): 999, AccountRef(STRIPE_CLEARING): -999}
    )
    costs = core.operating_costs_entry("operating_costs:1", "USD", 120, "hosting")
    assert net_by_account(costs) == Counter(
        {AccountRef(core.OPERATING_COSTS): 120, AccountRef(BANK): -120}
    )
    for draft in (payment, redemption, payout, costs):
        assert draft.validate() is draft


@pytest.mark.parametrize("amount", [0, -5])
def test_money_movements_of_nothing_are_refused(amount: int) -> None:
    with pytest.raises(DividendError):
        core.dividend_payment_entry("k", "USD", 7, amount, "Dividend")
    with pytest.raises(DividendError):
        core.royalty_payout_entry("k", "USD", 7, amount, "Royalties")
