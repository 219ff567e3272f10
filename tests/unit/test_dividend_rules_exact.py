"""The dividend core's edges, to the cent and to the word (mutation testing found these gaps).

What an admin reads (the policy's refusals, the deadline warning, why there is no pool) and
what a member's 1099-PATR and the books receive are pinned exactly, at each boundary.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from marketplace.dividends import core, patronage, postings, subchapter_t
from marketplace.dividends.core import (
    ClassPolicy,
    DividendError,
    MemberDividend,
    SurplusInputs,
    plan_dividend_run,
    policy_from_data,
)
from marketplace.ledger.core import (
    DIVIDENDS_PAYABLE,
    RETAINED_SURPLUS,
    AccountRef,
    credit,
    debit,
)
from tests.fixtures.dividends_core import PERIOD_END, member

FY_END = date(2025, 12, 31)  # deadline 2026-09-15


def _inputs(revenue: int = 100_000, operating_costs: int = 0) -> SurplusInputs:
    return SurplusInputs(revenue, 0, 0, 0, operating_costs)


def _dividend(member_id: int, allocation: int, cash: int) -> MemberDividend:
    return MemberDividend(member_id, member_id, "artists", 0, allocation, cash, allocation - cash)


@pytest.mark.parametrize(
    ("today", "warning"),
    [
        (date(2026, 8, 15), None),
        (
            date(2026, 8, 16),
            "Patronage dividends for the fiscal year ending 2025-12-31 must be paid and notified "
            "by 2026-09-15 (in 30 days).",
        ),
        (
            date(2026, 9, 15),
            "Patronage dividends for the fiscal year ending 2025-12-31 must be paid and notified "
            "by 2026-09-15 (today).",
        ),
        (
            date(2026, 9, 18),
            "The payment deadline for the fiscal year ending 2025-12-31 was 2026-09-15, 3 days "
            "ago: allocations paid or notified later do not count for that year under "
            "Subchapter T. Ask the co-op's accountant.",
        ),
    ],
)
def test_the_deadline_warning_starts_thirty_days_before(today: date, warning: str | None) -> None:
    assert subchapter_t.deadline_warning(today, FY_END, paid=False) == warning
    assert subchapter_t.deadline_warning(today, FY_END, paid=True) is None


def test_a_1099_patr_is_due_from_ten_dollars_and_names_its_member_and_year() -> None:
    assert not subchapter_t.needs_1099_patr(999)
    assert subchapter_t.needs_1099_patr(1000)
    with pytest.raises(DividendError, match="a total is a whole number of cents, not 9.5"):
        subchapter_t.needs_1099_patr(9.5)  # type: ignore[arg-type]
    paid = [_dividend(7, 1000, 200), _dividend(8, 5000, 1000), _dividend(7, 500, 100)]
    form = subchapter_t.form_1099_patr(7, 2026, paid)
    assert (form.member_id, form.tax_year, form.cash_cents, form.qualified_notice_cents) == (
        7,
        2026,
        300,
        1200,
    )


@pytest.mark.parametrize(
    ("make", "what"),
    [
        (lambda: postings.operating_costs_entry("k", "USD", 0, "rent"), "operating costs"),
        (lambda: postings.dividend_payment_entry("k", "USD", 7, 0, "d"), "a dividend payment"),
        (lambda: postings.reserve_entry("k", "USD", 0, "d"), "a transfer to reserves"),
        (
            lambda: postings.redemption_entry(
                "k", "USD", subchapter_t.Redemption(7, 2025, 0, 0), "d"
            ),
            "a redemption",
        ),
    ],
)
def test_a_posting_of_nothing_is_refused_naming_what(make: object, what: str) -> None:
    with pytest.raises(DividendError, match=f"^{what} must be more than zero$"):
        make()  # type: ignore[operator]


def test_a_negative_or_fractional_amount_is_refused_naming_what() -> None:
    with pytest.raises(DividendError, match="^a dividend payment cannot be negative$"):
        postings.dividend_payment_entry("k", "USD", 7, -1, "d")
    with pytest.raises(DividendError, match="^operating costs is a whole number of cents"):
        postings.operating_costs_entry("k", "USD", 1.5, "rent")  # type: ignore[arg-type]


def test_operating_costs_keep_at_most_the_ledgers_500_characters() -> None:
    draft = postings.operating_costs_entry("k", "USD", 100, "x" * 600)
    assert draft.description == "Operating costs: " + "x" * (500 - len("Operating costs: "))


def test_an_allocation_of_one_cent_is_posted() -> None:
    draft = postings.allocation_entry("k", "USD", [_dividend(7, 1, 1), _dividend(8, 0, 0)], "d")
    assert draft is not None
    assert draft.lines == (
        debit(AccountRef(RETAINED_SURPLUS), 1),
        credit(AccountRef(DIVIDENDS_PAYABLE, 7), 1),
    )


def test_a_runs_entries_are_keyed_by_the_run_and_say_what_they_are() -> None:
    inputs = _inputs(operating_costs=20_000)
    plan = plan_dividend_run(inputs, 10, 20, [member(1, patronage=5_000)], PERIOD_END)
    drafts = postings.dividend_run_entries(7, "USD", inputs, plan, "FY 2025", "rent")
    assert [(d.idempotency_key, d.description) for d in drafts] == [
        ("operating_costs:7", "Operating costs: FY 2025: rent"),
        ("dividend_closing:7", "Closing FY 2025 (dividend run 7)"),
        ("dividend_reserve:7", "Transfer to reserves, FY 2025 (dividend run 7)"),
        ("dividend_allocation:7", "Patronage dividends allocated, FY 2025 (dividend run 7)"),
    ]
    unnoted = postings.dividend_run_entries(7, "USD", inputs, plan, "FY 2025")
    assert unnoted[0].description == "Operating costs: FY 2025"
    with pytest.raises(DividendError, match="^the plan was made from other figures than these$"):
        postings.dividend_run_entries(7, "USD", _inputs(revenue=1), plan, "FY 2025")


def test_a_plan_carries_each_members_facts_and_the_cash_share() -> None:
    plan = plan_dividend_run(_inputs(), 0, 25, [member(3, patronage=4_000)], PERIOD_END)
    assert plan.cash_bps == 2500
    assert plan.allocation.pool_cents == 100_000
    # The only eligible member: the classes nobody is in leave their shares to the artists.
    assert plan.dividends == (MemberDividend(103, 3, "artists", 4_000, 100_000, 25_000, 75_000),)


def test_the_reasons_for_no_pool_name_the_sums_in_dollars_by_default() -> None:
    everything_kept = plan_dividend_run(_inputs(), 100, 20, [], PERIOD_END)
    assert everything_kept.reason == (
        "The whole surplus of $1,000.00 goes to reserves: no dividend pool."
    )
    nobody = plan_dividend_run(_inputs(), 0, 20, [], PERIOD_END)
    assert nobody.reason is not None
    assert "the pool of $1,000.00 stays in" in nobody.reason


@pytest.mark.parametrize(("code", "allowed"), [("c" * 32, True), ("c" * 33, False), (" ", False)])
def test_a_class_code_is_1_to_32_characters(code: str, allowed: bool) -> None:
    if allowed:
        assert ClassPolicy(code, 100, "equal").code == code
    else:
        with pytest.raises(DividendError, match="^a member class code is 1 to 32 characters"):
            ClassPolicy(code, 100, "equal")


@pytest.mark.parametrize("share", [1, 10_000])
def test_a_class_share_may_be_one_basis_point_to_all(share: int) -> None:
    assert ClassPolicy("c", share, "equal").share_bps == share


@pytest.mark.parametrize(
    ("share", "message"),
    [
        (0, "^class c: the share must be above 0 % and at most 100 %$"),
        (10_001, "^class c: the share must be above 0 % and at most 100 %$"),
        (12.5, "^class c: the share is basis points$"),
        (True, "^class c: the share is basis points$"),
    ],
)
def test_a_class_share_out_of_range_is_refused(share: int, message: str) -> None:
    with pytest.raises(DividendError, match=message):
        ClassPolicy("c", share, "equal")


def test_an_unknown_basis_is_refused_listing_the_bases() -> None:
    with pytest.raises(DividendError) as refused:
        ClassPolicy("c", 100, "seniority")  # type: ignore[arg-type]
    assert str(refused.value) == (
        f"class c: the basis is one of {', '.join(core.BASES)}, not 'seniority'"
    )


def test_a_stored_policy_needs_a_code_and_a_basis() -> None:
    rows = [{"code": "all", "share_pct": "100", "basis": "equal"}]
    assert policy_from_data(rows) == (ClassPolicy("all", 10_000, "equal"),)
    for row in ({"code": "all", "share_pct": "100"}, {"share_pct": "100", "basis": "equal"}):
        with pytest.raises(DividendError) as refused:
            policy_from_data([row])
        assert str(refused.value) == f"a policy class needs a code and a basis: {row!r}"
    with pytest.raises(DividendError, match="^The share of all must be between 0 and 100"):
        policy_from_data([{"code": "all", "share_pct": "101", "basis": "equal"}])


@pytest.mark.parametrize(
    ("bps", "shown"),
    [(2000, "20"), (1250, "12.5"), (1234, "12.34"), (10_000, "100"), (1, "0.01"), (0, "0")],
)
def test_a_share_is_shown_without_trailing_zeros(bps: int, shown: str) -> None:
    assert str(core.bps_pct(bps)) == shown
    assert core.bps_pct(bps) == Decimal(shown)


def test_an_allocation_to_split_is_whole_cents() -> None:
    with pytest.raises(DividendError, match="^an allocation is a whole number of cents"):
        core.split_cash(10.5, 20)  # type: ignore[arg-type]


def test_patronage_is_reconciled_with_the_ledgers_net_licence_sales() -> None:
    check = patronage.reconcile_patronage(
        {7: 1500, 8: 2500}, sold_cents=5000, taken_back_cents=1000
    )
    assert (check.from_orders_cents, check.from_ledger_cents, check.agrees) == (4000, 4000, True)
    assert check.describe("USD") == "patronage agrees with the ledger's net licence sales ($40.00)"
    differs = patronage.reconcile_patronage({7: 1500}, sold_cents=5000, taken_back_cents=1000)
    assert not differs.agrees
    assert differs.describe("EUR") == (
        "patronage DISAGREES with the ledger: €15.00 from the orders, "
        "€40.00 of net licence sales in the ledger"
    )


def _retained(member_id: int, year: int, cents: int, allocation_id: int | None = None) -> object:
    return subchapter_t.RetainedAllocation(member_id, year, cents, allocation_id)


def test_redeeming_skips_a_year_while_an_older_one_is_outstanding() -> None:
    held = [_retained(7, 2023, 100), _retained(8, 2024, 50), _retained(7, 2025, 300)]
    with pytest.raises(subchapter_t.RedemptionOrderError) as refused:
        subchapter_t.redeem(held, 2025)  # type: ignore[arg-type]
    assert str(refused.value) == (
        "Retained allocations of 2023, 2024 are still outstanding: the revolving fund redeems "
        "the oldest years first, before 2025."
    )
    estate = subchapter_t.redeem(held, 2025, allow_out_of_order=True)  # type: ignore[arg-type]
    assert estate == [subchapter_t.Redemption(7, 2025, 300, 0, None)]
    settled = [_retained(7, 2023, 0), _retained(7, 2025, 300, allocation_id=4)]
    assert subchapter_t.redeem(settled, 2025) == [  # type: ignore[arg-type]
        subchapter_t.Redemption(7, 2025, 300, 0, 4)
    ]


def test_redeeming_a_share_splits_it_by_largest_remainder_oldest_member_first() -> None:
    held = [_retained(9, 2025, 100, 3), _retained(8, 2025, 301, 2), _retained(7, 2025, 0, 1)]
    assert subchapter_t.redeem(held, 2025, 50) == [  # type: ignore[arg-type]
        subchapter_t.Redemption(8, 2025, 150, 151, 2),
        subchapter_t.Redemption(9, 2025, 50, 50, 3),
    ]
    assert subchapter_t.redeem(held, 2025, 1) == [  # type: ignore[arg-type]
        subchapter_t.Redemption(8, 2025, 3, 298, 2),
        subchapter_t.Redemption(9, 2025, 1, 99, 3),
    ]
    # 1 % of 302 cents is 3, all of them to the larger allocation: nothing of the other.
    tiny = [_retained(8, 2025, 301, 2), _retained(9, 2025, 1, 3)]
    assert subchapter_t.redeem(tiny, 2025, 1) == [  # type: ignore[arg-type]
        subchapter_t.Redemption(8, 2025, 3, 298, 2)
    ]
    assert subchapter_t.redeem(held, 2024) == []  # type: ignore[arg-type]
    with pytest.raises(DividendError, match="^The redemption share must be between 0 and 100"):
        subchapter_t.redeem(held, 2025, 101)  # type: ignore[arg-type]


def test_a_retained_amount_is_whole_cents_and_never_negative() -> None:
    with pytest.raises(DividendError, match="^a retained amount cannot be negative$"):
        _retained(7, 2025, -1)
    with pytest.raises(DividendError, match="^a retained amount is a whole number of cents"):
        _retained(7, 2025, 1.5)  # type: ignore[arg-type]


# Mutation testing (make mutants) found these: the figure a refusal names, the currency a
# reason is written in, and the order and edges of redeeming retained allocations.


@pytest.mark.parametrize(
    ("figures", "refusal"),
    [
        ((-1, 0, 0, 0, 0), "revenue_cents cannot be negative"),
        ((0, 0, 0, 1.5, 0), "royalties_cents is a whole number of cents, not 1.5"),
        ((0, 0, 0, 0, -2), "operating_costs_cents cannot be negative"),
    ],
)
def test_the_period_figures_name_the_one_they_refuse(
    figures: tuple[int, int, int, float, int], refusal: str
) -> None:
    with pytest.raises(DividendError) as refused:
        SurplusInputs(*figures)  # type: ignore[arg-type]
    assert str(refused.value) == refusal


def test_a_member_with_a_negative_id_is_refused_by_that_name() -> None:
    with pytest.raises(DividendError) as refused:
        core.MemberFacts(-1, 1, "artists", date(2020, 1, 1), 0)
    assert str(refused.value) == "a member id cannot be negative"


def test_the_reserve_and_the_cash_share_are_named_in_their_refusals() -> None:
    with pytest.raises(DividendError) as reserve:
        core.compute_surplus(_inputs(), 101)
    assert str(reserve.value) == "The reserve share must be between 0 and 100, not 101"
    with pytest.raises(DividendError) as cash:
        core.cash_bps("abc")
    assert str(cash.value) == "The cash share must be a number of percent, not 'abc'"


def test_a_negative_pool_is_refused_by_its_name() -> None:
    with pytest.raises(DividendError) as refused:
        core.allocate_pool(-1, core.DEFAULT_POLICY, [], PERIOD_END)
    assert str(refused.value) == "the pool cannot be negative"


def test_a_surplus_keeps_the_reserve_share_it_was_given_with_or_without_a_pool() -> None:
    assert core.compute_surplus(_inputs(10_000), "12.5") == core.Surplus(
        10_000, 1250, 1250, 8750, None
    )
    loss = core.compute_surplus(_inputs(100, operating_costs=300), "12.5")
    assert (loss.surplus_cents, loss.reserve_bps, loss.reserve_cents, loss.pool_cents) == (
        -200,
        1250,
        0,
        0,
    )
    assert loss.reason_if_none is not None
    assert loss.reason_if_none.startswith("The period made a loss of $2.00")


def test_an_unshared_pool_is_written_in_dollars_by_default() -> None:
    unshared = core.allocate_pool(500, core.DEFAULT_POLICY, [], PERIOD_END)
    assert unshared.reason_if_unallocated == (
        "No member is eligible in this period (no member of a class in the policy, and no "
        "artist with sales): the pool of $5.00 stays in retained surplus."
    )


def test_a_plan_writes_its_reasons_in_the_run_currency() -> None:
    loss = plan_dividend_run(
        _inputs(100, operating_costs=300), 10, 20, [], PERIOD_END, currency="EUR"
    )
    assert loss.reason is not None
    assert loss.reason.startswith("The period made a loss of €2.00")
    unshared = plan_dividend_run(_inputs(1_000), 0, 20, [], PERIOD_END, currency="EUR")
    assert unshared.reason == (
        "No member is eligible in this period (no member of a class in the policy, and no "
        "artist with sales): the pool of €10.00 stays in retained surplus."
    )


def test_closing_refuses_a_royalty_expense_in_words() -> None:
    with pytest.raises(DividendError) as refused:
        postings.closing_entry(
            "dividend_closing:1", "USD", SurplusInputs(1_000, 0, 0, 1, 0), "Close"
        )
    assert str(refused.value) == (
        "this ledger books revenue net of royalties: there is no royalty expense to close"
    )


def test_redeeming_goes_by_allocation_within_a_member_and_year() -> None:
    retained = [
        subchapter_t.RetainedAllocation(1, 2024, 101, allocation_id=7),
        subchapter_t.RetainedAllocation(1, 2024, 101, allocation_id=3),
        subchapter_t.RetainedAllocation(2, 2024, 50, allocation_id=1),
        subchapter_t.RetainedAllocation(2, 2024, 50),
    ]
    assert [(r.member_id, r.allocation_id) for r in subchapter_t.redeem(retained, 2024)] == [
        (1, 3),
        (1, 7),
        (2, None),
        (2, 1),
    ]


def test_an_older_year_of_one_cent_is_still_outstanding() -> None:
    retained = [
        subchapter_t.RetainedAllocation(1, 2023, 1),
        subchapter_t.RetainedAllocation(1, 2024, 500),
    ]
    with pytest.raises(subchapter_t.RedemptionOrderError) as refused:
        subchapter_t.redeem(retained, 2024)
    assert str(refused.value).startswith("Retained allocations of 2023 are still outstanding")


def test_a_year_with_nothing_retained_redeems_nothing() -> None:
    nothing = [subchapter_t.RetainedAllocation(1, 2024, 0, allocation_id=5)]
    assert subchapter_t.redeem(nothing, 2024, 50) == []
