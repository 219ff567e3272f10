"""Patronage dividends, the pure core: the cash and retained parts of an allocation, 1099-PATR,
revolving redemption of retained allocations, and the Subchapter T payment deadline."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.dividends import core
from marketplace.dividends.core import (
    CashShareTooLow,
    MemberDividend,
    MemberFacts,
    Redemption,
    RedemptionOrderError,
    RetainedAllocation,
    SurplusInputs,
)
from marketplace.ledger.core import RESERVES, RETAINED_SURPLUS, AccountRef
from tests.fixtures.dividends_core import PERIOD_END, members_strategy, net_by_account

pct_strategy = st.integers(2000, 10_000).map(lambda bps: Decimal(bps) / 100)


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
