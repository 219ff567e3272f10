"""The open books' pure rules: which movements count as what, running counts, years."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.ledger.core import (
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
)
from marketplace.transparency import core
from marketplace.transparency.core import BadYear, Counts, Flows, Movement

TODAY = date(2026, 11, 26)


def flows(code: str, kind: str, debits: int = 0, credits: int = 0) -> Flows:
    return core.flows_of(Movement(1, code, kind, debits, credits))


def test_a_sale_counts_both_shares_and_a_refund_takes_both_back() -> None:
    sale = flows(LICENCE_REVENUE, "sale", credits=500) + flows(ROYALTIES_PAYABLE, "sale", 0, 500)
    assert (sale.sales_cents, sale.royalties_cents, sale.coop_revenue_cents) == (1000, 500, 500)
    refund = flows(REFUNDS_AND_CHARGEBACKS, "refund", debits=500) + flows(
        ROYALTIES_PAYABLE, "refund", debits=500
    )
    assert (refund.sales_cents, refund.refunds_cents) == (-1000, 1000)
    chargeback = flows(ROYALTIES_PAYABLE, "chargeback", debits=200)
    assert (chargeback.royalties_cents, chargeback.refunds_cents) == (-200, 200)


def test_closing_payouts_and_other_accounts_are_not_sales() -> None:
    assert flows(LICENCE_REVENUE, "dividend_closing", debits=9_000) == Flows()
    assert flows(REFUNDS_AND_CHARGEBACKS, "dividend_closing", credits=100) == Flows()
    assert flows(ROYALTIES_PAYABLE, "royalty_payout", debits=3_000) == Flows()
    assert flows(ROYALTIES_PAYABLE, "royalty_payout_reversal", credits=3_000) == Flows()
    assert flows(STRIPE_CLEARING, "sale", debits=1_000) == Flows()


def test_dividends_are_cash_paid_plus_capital_retained() -> None:
    paid = flows(DIVIDENDS_PAYABLE, "dividend_payment", debits=300)
    retained = flows(MEMBER_CAPITAL, "dividend_allocation", credits=700)
    assert (paid + retained).dividends_cents == 1_000
    # Allocating the cash part is not paying it; a redemption is not a dividend of the year.
    assert flows(DIVIDENDS_PAYABLE, "dividend_allocation", credits=300) == Flows()
    assert flows(DIVIDENDS_PAYABLE, "dividend_redemption_payment", debits=250) == Flows()
    assert flows(MEMBER_CAPITAL, "dividend_redemption", debits=250) == Flows()


def test_every_reserves_movement_counts() -> None:
    assert flows(RESERVES, "dividend_reserve", credits=700).reserves_added_cents == 700
    assert flows(RESERVES, "manual", debits=200).reserves_added_cents == -200


def test_counts_run_from_their_opening() -> None:
    counts = core.counts_from_buckets(
        2025, [("2024-03", 2), ("2025-02", 1), ("2025-05", 3), ("2025-05", -1), ("2026-01", 9)]
    )
    assert counts == Counts(2, {2: 1, 5: 2})
    assert [counts.at_end_of(m) for m in (1, 2, 4, 5, 12)] == [2, 3, 3, 5, 5]


def test_the_year_carries_balances_and_sums_flows() -> None:
    books = core.build_year(
        2025,
        "USD",
        datetime(2026, 1, 1, tzinfo=UTC),
        12,
        [
            Movement(3, RESERVES, "dividend_reserve", 0, 700),
            Movement(3, LICENCE_REVENUE, "sale", 0, 400),
            Movement(7, LICENCE_REVENUE, "sale", 0, 100),
            Movement(13, LICENCE_REVENUE, "sale", 0, 999),  # not a month of the year
        ],
        1_000,
        {"artists": Counts(1, {6: 1})},
        Counts(),
    )
    data = books.as_json()
    assert data["sales_cents"] == 500
    assert [m["reserves_cents"] for m in data["months"]] == [1_000] * 2 + [1_700] * 10
    assert data["reserves_cents"] == 1_700
    assert data["members_by_class"] == {"artists": 2}
    assert data["months"][4]["members_total"] == 1
    assert data["computed_at"] == "2026-01-01T00:00:00Z"


@given(st.lists(st.tuples(st.integers(1, 12), st.integers(0, 10**9), st.integers(0, 10**9))))
def test_the_months_always_add_up_to_the_year(sums: list[tuple[int, int, int]]) -> None:
    movements = [Movement(m, LICENCE_REVENUE, "sale", d, c) for m, d, c in sums]
    movements += [Movement(m, ROYALTIES_PAYABLE, "sale", d, c) for m, d, c in sums]
    books = core.build_year(2025, "USD", datetime.now(UTC), 12, movements, 0, {}, Counts())
    for name in core.FLOW_FIELDS:
        assert sum(m.figure(name) for m in books.months) == books.total.figure(name)


@pytest.mark.parametrize(
    ("raw", "expected"), [(None, 2024), ("", 2024), (" 2025 ", 2025), ("2026", 2026)]
)
def test_a_year_argument(raw: str | None, expected: int) -> None:
    assert core.parse_year(raw, 2024, TODAY) == expected


@pytest.mark.parametrize("raw", ["2027", "1899", "abc", "25", "20255", "２０２５", "-202"])
def test_a_bad_year_argument(raw: str) -> None:
    with pytest.raises(BadYear):
        core.parse_year(raw, 2024, TODAY)


def test_months_shown_stop_at_this_month() -> None:
    assert core.months_shown(2026, TODAY) == 11
    assert core.months_shown(2025, TODAY) == 12
