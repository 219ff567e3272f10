"""Operating costs, the pure rules: what a cost posts, when it is dated, how it is undone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.costs import core
from marketplace.costs.core import Cost, CostError
from marketplace.dividends import postings
from marketplace.dividends.allocation import DividendError, SurplusInputs
from marketplace.ledger import kinds
from marketplace.ledger.core import AccountRef
from marketplace.ledger.entries import CHART

TODAY = date(2026, 12, 6)
NOW = datetime(2026, 12, 6, 14, 30, tzinfo=UTC)


def cost(**changes: object) -> Cost:
    fields: dict[str, object] = {
        "incurred_on": date(2026, 3, 1),
        "description": "  Web   hosting, March ",
        "amount_cents": 1_250,
        "expense_code": "5210",
        "paid_from": "bank",
        **changes,
    }
    return Cost(**fields)  # type: ignore[arg-type]


def sides(draft: object) -> dict[str, tuple[int, int]]:
    return {
        line.account.code: (line.debit_cents, line.credit_cents)
        for line in draft.lines  # type: ignore[attr-defined]
    }


def test_a_cost_paid_from_the_bank_debits_its_expense_account() -> None:
    draft = core.cost_entry("expense:1", "USD", cost().validated(TODAY))
    assert draft.kind == kinds.EXPENSE
    assert sides(draft) == {"5210": (1_250, 0), "1000": (0, 1_250)}
    assert draft.description == "Cost: Web hosting, March"


def test_an_accrued_cost_is_owed_until_paid_from_the_bank() -> None:
    accrued = cost(paid_from="payable", expense_code="5220").validated(TODAY)
    assert sides(core.cost_entry("expense:2", "USD", accrued)) == {
        "5220": (1_250, 0),
        "2000": (0, 1_250),
    }
    paid = core.payable_paid_entry("expense_payment:2", "USD", accrued)
    assert paid.kind == kinds.EXPENSE_PAYMENT
    assert sides(paid) == {"2000": (1_250, 0), "1000": (0, 1_250)}
    with pytest.raises(CostError, match="paid from the bank when it was recorded"):
        core.payable_paid_entry("expense_payment:3", "USD", cost().validated(TODAY))


@pytest.mark.parametrize("paid_from", ["bank", "payable"])
def test_a_reversal_is_the_cost_on_the_other_side_with_its_reason(paid_from: str) -> None:
    booked = cost(paid_from=paid_from).validated(TODAY)
    entry = core.cost_entry("expense:4", "USD", booked)
    undone = core.cost_reversal_entry("expense_reversal:4", "USD", booked, " Entered  twice ")
    assert undone.kind == kinds.EXPENSE_REVERSAL
    assert {code: (c, d) for code, (d, c) in sides(entry).items()} == sides(undone)
    assert undone.description.endswith(": Entered twice")
    with pytest.raises(CostError, match="Say why"):
        core.cost_reversal_entry("expense_reversal:5", "USD", booked, "   ")


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"description": "   "}, "Say what the cost was for"),
        ({"description": "x" * 301}, "at most 300"),
        ({"amount_cents": 0}, "more than zero"),
        ({"amount_cents": -5}, "more than zero"),
        ({"amount_cents": True}, "whole cents"),
        ({"amount_cents": 10**12 + 1}, "at most 1,000,000,000,000 cents"),
        ({"amount_cents": 241174147803424489472}, "at most"),  # past BIGINT: a 422, not a 500
        ({"expense_code": "4000"}, "not an expense account"),
        ({"expense_code": "5100"}, "not an expense account"),
        ({"paid_from": "cash"}, "'bank' or 'payable'"),
        ({"incurred_on": date(2026, 12, 7)}, "in the future"),
    ],
)
def test_a_cost_the_books_refuse_says_why(changes: dict[str, object], words: str) -> None:
    with pytest.raises(CostError, match=words):
        cost(**changes).validated(TODAY)


def test_a_cost_is_dated_at_the_end_of_its_day_or_now_when_it_is_today_s() -> None:
    assert core.posting_moment(date(2026, 3, 1), NOW) == datetime(
        2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC
    )
    assert core.posting_moment(date(2025, 12, 31), NOW).year == 2025
    # Today's: after books closed earlier today, so it belongs to the next period.
    assert core.posting_moment(TODAY, NOW) == NOW


def test_costs_by_code_are_net_of_reversals_and_leave_out_empty_accounts() -> None:
    class Totals:
        def __init__(self, debits: int, credits: int) -> None:
            self.debits_cents, self.credits_cents = debits, credits

    totals = {
        "5210": Totals(2_500, 1_250),
        "5220": Totals(900, 900),
        "5100": Totals(70, 0),
        "4000": Totals(0, 10_000),
    }
    assert core.costs_by_code(totals) == {"5210": 1_250}


@settings(deadline=None)  # a loaded CI machine is not a failing rule
@given(
    st.dictionaries(
        st.sampled_from(core.EXPENSE_CODES), st.integers(min_value=1, max_value=10**9), min_size=1
    ),
    st.integers(min_value=0, max_value=10**10),
)
def test_the_closing_entry_closes_each_expense_account_and_balances(
    costs: dict[str, int], revenue: int
) -> None:
    inputs = SurplusInputs(revenue, 0, 0, 0, sum(costs.values()))
    closing = postings.closing_entry("dividend_closing:1", "USD", inputs, "Closing", costs)
    assert closing is not None
    closed = sides(closing)
    for code, cents in costs.items():
        assert closed[code] == (0, cents)
    assert sum(d for d, _ in closed.values()) == sum(c for _, c in closed.values())


def test_costs_per_account_that_do_not_add_up_are_refused() -> None:
    inputs = SurplusInputs(10_000, 0, 0, 0, 1_000)
    with pytest.raises(DividendError, match="do not add up"):
        postings.closing_entry("dividend_closing:2", "USD", inputs, "Closing", {"5210": 900})


def test_a_run_of_recorded_costs_posts_no_lump_of_its_own() -> None:
    inputs = SurplusInputs(10_000, 0, 0, 0, 1_000)
    closing = postings.closing_entry(
        "dividend_closing:3", "USD", inputs, "Closing", {"5210": 1_000}
    )
    assert closing is not None
    assert AccountRef("5200") not in {line.account for line in closing.lines}


def test_the_surplus_counts_every_expense_account_including_debts_written_off() -> None:
    class Totals:
        def __init__(self, debits: int, credits: int) -> None:
            self.debits_cents, self.credits_cents = debits, credits

    # Every 5xxx of the chart but Stripe's fees (read apart), the debts written off among them.
    expected = {code for code, spec in CHART.items() if spec.type == "expense" and code != "5100"}
    assert set(core.SURPLUS_EXPENSE_CODES) == expected
    assert "5300" in core.SURPLUS_EXPENSE_CODES
    assert "5300" not in core.EXPENSE_CODES  # nobody enters a written-off debt as a cost
    totals = {"5210": Totals(1_000, 0), "5300": Totals(2_500, 0), "5100": Totals(70, 0)}
    costs = core.costs_by_code(totals)
    assert costs == {"5210": 1_000, "5300": 2_500}
    inputs = SurplusInputs(10_000, 0, 70, 0, sum(costs.values()))
    closing = postings.closing_entry("dividend_closing:1", "USD", inputs, "Closing", costs)
    assert closing is not None
    closed = sides(closing)
    assert closed["5300"] == (0, 2_500)
    assert closed["3300"] == (0, 10_000 - 70 - 3_500)
