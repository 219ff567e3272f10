"""Patronage dividends, the pure core: the ledger drafts of a run (closing, reserve, allocation)
and of payments, redemptions and royalty payouts, all balanced."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.dividends import core
from marketplace.dividends.core import DividendError, Redemption, SurplusInputs
from marketplace.ledger.core import (
    BANK,
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    RETAINED_SURPLUS,
    STRIPE_CLEARING,
    AccountRef,
)
from tests.fixtures.dividends_core import PERIOD_END, member, net_by_account


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
    costs = core.operating_costs_entry("operating_costs:1", "USD", 120, "hosting")
    assert net_by_account(costs) == Counter(
        {AccountRef(core.OPERATING_COSTS): 120, AccountRef(BANK): -120}
    )
    for draft in (payment, redemption, costs):
        assert draft.validate() is draft


@pytest.mark.parametrize("amount", [0, -5])
def test_money_movements_of_nothing_are_refused(amount: int) -> None:
    with pytest.raises(DividendError):
        core.dividend_payment_entry("k", "USD", 7, amount, "Dividend")
