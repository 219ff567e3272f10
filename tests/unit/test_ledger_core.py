"""The ledger's pure core: splits, drafts and the posting rules, with hypothesis."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.ledger import core
from marketplace.ledger.core import (
    LICENCE_REVENUE,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
    SaleItem,
    UnbalancedEntry,
    credit,
    debit,
)

CLEARING = AccountRef(STRIPE_CLEARING)
REVENUE = AccountRef(LICENCE_REVENUE)


def net_by_account(*drafts: EntryDraft) -> Counter[AccountRef]:
    """Debits minus credits per account over the drafts; zero balances are dropped."""
    net: Counter[AccountRef] = Counter()
    for draft in drafts:
        for line in draft.lines:
            net[line.account] += line.debit_cents - line.credit_cents
    return Counter({account: cents for account, cents in net.items() if cents})


def royalties(draft: EntryDraft) -> dict[int | None, int]:
    return {
        line.account.member_id: line.credit_cents - line.debit_cents
        for line in draft.lines
        if line.account.code == ROYALTIES_PAYABLE
    }


items_strategy = st.lists(
    st.builds(
        SaleItem,
        item_id=st.integers(1, 10_000),
        member_id=st.integers(1, 6),
        price_cents=st.integers(0, 500_000),
        royalty_bps=st.sampled_from([5000, 7500, 0, 10_000, 3333]),
    ),
    min_size=1,
    max_size=8,
    unique_by=lambda item: item.item_id,
).filter(lambda items: sum(i.price_cents for i in items) > 0)


# Splits


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
@settings(max_examples=500)
def test_split_parts_add_up_and_stay_within_a_cent(total: int, weights: list[int]) -> None:
    if sum(weights) == 0:
        with pytest.raises(LedgerError):
            core.largest_remainder_split(total, weights)
        return
    parts = core.largest_remainder_split(total, weights)
    assert sum(parts) == total
    assert len(parts) == len(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = total * weight / sum(weights)
        assert exact - 1 < part < exact + 1
        assert part >= 0
        if weight == 0:
            assert part == 0


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (1, [1, 1], [1, 0]),
        (101, [50, 50], [51, 50]),
        (10, [3, 7], [3, 7]),
        (0, [1, 2], [0, 0]),
        (7, [0, 1], [0, 7]),
        (5, [1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0]),
    ],
)
def test_split_examples(total: int, weights: list[int], expected: list[int]) -> None:
    assert core.largest_remainder_split(total, weights) == expected


@pytest.mark.parametrize(
    ("total", "weights"), [(-1, [1]), (10, []), (10, [-1, 2]), (10, [0, 0]), (1.5, [1])]
)
def test_split_refuses_nonsense(total: int, weights: list[int]) -> None:
    with pytest.raises(LedgerError):
        core.largest_remainder_split(total, weights)


@given(st.integers(0, 10**9), st.integers(0, 10_000))
@settings(max_examples=300)
def test_royalty_and_revenue_add_up_to_the_price(price: int, bps: int) -> None:
    royalty, revenue = core.royalty_split(price, bps)
    assert royalty + revenue == price
    assert abs(royalty * 10_000 - price * bps) <= 10_000
    assert core.royalty_split(price, bps) == (royalty, revenue)


def test_royalty_examples() -> None:
    assert core.royalty_split(4500, 5000) == (2250, 2250)
    assert core.royalty_split(1501, 5000) == (751, 750)
    assert core.royalty_split(1999, 7500) == (1499, 500)
    with pytest.raises(LedgerError):
        core.royalty_split(100, 10_001)


# Drafts


def test_a_balanced_draft_validates() -> None:
    draft = EntryDraft("k", "d", "USD", (debit(CLEARING, 10), credit(REVENUE, 10)))
    assert draft.validate() is draft
    assert draft.totals() == {"USD": (10, 10)}


@pytest.mark.parametrize(
    "lines",
    [
        (),
        (debit(CLEARING, 10),),
        (debit(CLEARING, 10), credit(REVENUE, 0)),
        (debit(CLEARING, -10), credit(REVENUE, -10)),
        (core.Line(CLEARING, 10, 10), core.Line(REVENUE, 10, 10)),
        (debit(CLEARING, 10), credit(REVENUE, 10, currency="usd")),
        (debit(CLEARING, True), credit(REVENUE, True)),
    ],
)
def test_malformed_drafts_are_refused(lines: tuple[core.Line, ...]) -> None:
    with pytest.raises(LedgerError):
        EntryDraft("k", "d", "USD", lines).validate()


@pytest.mark.parametrize(
    ("lines", "refusal"),
    [
        ((debit(CLEARING, 10),), "an entry needs at least two lines"),
        ((debit(CLEARING, 10), core.Line("4000", 0, 10)), "not an account: '4000'"),  # type: ignore[arg-type]
        ((debit(CLEARING, 10), credit(REVENUE, 9.5)), "amounts are whole cents"),  # type: ignore[arg-type]
        (
            (core.Line(CLEARING, -5, 0), credit(REVENUE, 5)),
            "amounts are positive; the side says which way money moves",
        ),
    ],
)
def test_malformed_drafts_say_why_in_words(lines: tuple[core.Line, ...], refusal: str) -> None:
    with pytest.raises(LedgerError) as refused:
        EntryDraft("k", "d", "USD", lines).validate()
    assert str(refused.value) == refusal


def test_an_unbalanced_draft_is_refused() -> None:
    with pytest.raises(UnbalancedEntry):
        EntryDraft("k", "d", "USD", (debit(CLEARING, 10), credit(REVENUE, 9))).validate()


def test_balance_is_checked_per_currency() -> None:
    lines = (
        debit(CLEARING, 10),
        credit(REVENUE, 10, currency="EUR"),
        debit(CLEARING, 10, currency="EUR"),
        credit(REVENUE, 10),
    )
    EntryDraft("k", "d", "USD", lines).validate()
    with pytest.raises(UnbalancedEntry):
        EntryDraft("k", "d", "USD", (debit(CLEARING, 10), credit(REVENUE, 10, "EUR"))).validate()


@pytest.mark.parametrize(
    ("key", "currency"), [("", "USD"), (" ", "USD"), ("x" * 201, "USD"), ("k", "US")]
)
def test_keys_and_currencies_are_checked(key: str, currency: str) -> None:
    with pytest.raises(LedgerError):
        EntryDraft(key, "d", currency, (debit(CLEARING, 1), credit(REVENUE, 1))).validate()


def test_accounts_must_match_the_chart() -> None:
    with pytest.raises(core.UnknownAccount):
        AccountRef("9999")
    with pytest.raises(core.UnknownAccount):
        AccountRef(ROYALTIES_PAYABLE)
    with pytest.raises(core.UnknownAccount):
        AccountRef(STRIPE_CLEARING, 3)
    assert AccountRef(ROYALTIES_PAYABLE, 3).spec.type == "liability"


def test_chart_codes_follow_the_accountants_ranges() -> None:
    first_digit = {"asset": "1", "liability": "2", "equity": "3", "income": "4"}
    for spec in core.CHART.values():
        assert spec.code.isdigit()
        assert len(spec.code) == 4
        if spec.type in first_digit:
            assert spec.code[0] == first_digit[spec.type]
    assert core.CHART[REFUNDS_AND_CHARGEBACKS].type == "contra_income"
    assert core.CHART[PAYMENT_FEES].type == "expense"


# Posting rules


def test_a_sale_posts_gross_fee_royalties_and_revenue() -> None:
    items = [SaleItem(1, 7, 4500, 5000), SaleItem(2, 8, 1999, 7500), SaleItem(3, 7, 1501, 5000)]
    draft = core.sale_entry("sale:evt_1", 42, "USD", items, fee_cents=262)
    assert draft.kind == "sale"
    assert draft.order_id == 42
    assert net_by_account(draft) == Counter(
        {
            CLEARING: 8000 - 262,
            AccountRef(PAYMENT_FEES): 262,
            AccountRef(ROYALTIES_PAYABLE, 7): -(2250 + 751),
            AccountRef(ROYALTIES_PAYABLE, 8): -1499,
            REVENUE: -(2250 + 500 + 750),
        }
    )
    # The fee is its own pair of lines: gross in, fee out.
    clearing = [line for line in draft.lines if line.account == CLEARING]
    assert [(line.side, line.amount_cents) for line in clearing] == [
        ("debit", 8000),
        ("credit", 262),
    ]


@given(items_strategy, st.integers(0, 50_000))
@settings(max_examples=400)
def test_every_sale_balances_and_royalty_plus_revenue_is_the_gross(
    items: list[SaleItem], fee: int
) -> None:
    draft = core.sale_entry("k", 1, "USD", items, fee)
    draft.validate()
    debits, credits = draft.totals()["USD"]
    assert debits == credits
    gross = sum(i.price_cents for i in items)
    assert sum(royalties(draft).values()) + -net_by_account(draft)[REVENUE] == gross
    assert all(line.amount_cents > 0 for line in draft.lines)
    for member in {i.member_id for i in items}:
        expected = sum(i.royalty_cents for i in items if i.member_id == member)
        assert royalties(draft).get(member, 0) == expected


@given(items_strategy, st.integers(0, 50_000))
@settings(max_examples=400)
def test_a_full_refund_nets_everything_but_the_fee(items: list[SaleItem], fee: int) -> None:
    sale = core.sale_entry("sale", 1, "USD", items, fee)
    refund = core.refund_entry("refund", 1, "USD", items)
    net = net_by_account(sale, refund)
    revenue_part = sum(i.revenue_cents for i in items)
    expected = Counter({AccountRef(PAYMENT_FEES): fee, CLEARING: -fee})
    expected[REVENUE] -= revenue_part
    expected[AccountRef(REFUNDS_AND_CHARGEBACKS)] += revenue_part
    assert net == Counter({a: c for a, c in expected.items() if c})
    # Income net of contra-income is zero, every royalty is back to zero.
    assert not any(a.code == ROYALTIES_PAYABLE for a in net)


@given(items_strategy, st.data())
@settings(max_examples=300)
def test_a_partial_refund_reverses_exactly_those_items(
    items: list[SaleItem], data: st.DataObject
) -> None:
    refunded = data.draw(
        st.lists(st.sampled_from(items), min_size=1, unique_by=lambda i: i.item_id).filter(
            lambda chosen: sum(i.price_cents for i in chosen) > 0
        )
    )
    refund = core.refund_entry("refund", 1, "USD", refunded)
    refund.validate()
    net = net_by_account(refund)
    assert -net[CLEARING] == sum(i.price_cents for i in refunded)
    assert net[AccountRef(REFUNDS_AND_CHARGEBACKS)] == sum(i.revenue_cents for i in refunded)
    for member in {i.member_id for i in items}:
        taken_back = sum(i.royalty_cents for i in refunded if i.member_id == member)
        assert net[AccountRef(ROYALTIES_PAYABLE, member)] == taken_back
    assert AccountRef(PAYMENT_FEES) not in net


@given(items_strategy, st.integers(0, 5_000))
@settings(max_examples=200)
def test_a_lost_dispute_reverses_like_a_refund_plus_its_fee(
    items: list[SaleItem], dispute_fee: int
) -> None:
    refund = core.refund_entry("r", 1, "USD", items)
    chargeback = core.chargeback_entry("c", 1, "USD", items, dispute_fee)
    assert chargeback.kind == "chargeback"
    difference = net_by_account(chargeback)
    difference.subtract(net_by_account(refund))
    expected = {AccountRef(PAYMENT_FEES): dispute_fee, CLEARING: -dispute_fee}
    assert {a: c for a, c in difference.items() if c} == {a: c for a, c in expected.items() if c}


def test_rules_refuse_nonsense() -> None:
    item = SaleItem(1, 1, 100, 5000)
    with pytest.raises(LedgerError):
        core.sale_entry("k", 1, "USD", [], 0)
    with pytest.raises(LedgerError):
        core.sale_entry("k", 1, "USD", [item, item], 0)
    with pytest.raises(LedgerError):
        core.sale_entry("k", 1, "USD", [item], -1)
    with pytest.raises(LedgerError):
        core.chargeback_entry("k", 1, "USD", [item], -5)
    with pytest.raises(LedgerError):
        SaleItem(1, 1, -1, 5000)
    with pytest.raises(LedgerError):
        SaleItem(1, 1, 100, 12_000)
    with pytest.raises(LedgerError):
        core.sale_entry("k", 1, "USD", [SaleItem(1, 1, 0, 5000)], 0)


def test_a_reversal_undoes_an_entry() -> None:
    sale = core.sale_entry("sale", 1, "USD", [SaleItem(1, 1, 999, 5000)], 59)
    undo = core.reversal(sale, "undo", "Posted twice by mistake")
    undo.validate()
    assert net_by_account(sale, undo) == Counter()


def test_transfer_entry_for_a_payout() -> None:
    payout = core.transfer_entry(
        "payout:tr_1",
        "Royalties paid",
        "USD",
        AccountRef(ROYALTIES_PAYABLE, 4),
        CLEARING,
        500,
        "payout",
    )
    assert net_by_account(payout) == Counter(
        {AccountRef(ROYALTIES_PAYABLE, 4): 500, CLEARING: -500}
    )
    with pytest.raises(LedgerError):
        core.transfer_entry("k", "d", "USD", CLEARING, REVENUE, 0, "x")


# Money, fees, the trial balance


def test_money_formatting_and_arithmetic() -> None:
    assert core.format_cents(123456, "USD") == "$1,234.56"
    assert core.format_cents(-5, "EUR") == "−€0.05"
    assert core.format_cents(100, "SEK") == "SEK 1.00"
    assert core.decimal_string(-1234) == "-12.34"
    assert core.decimal_string(7) == "0.07"
    total = core.Money(150, "USD") + core.Money(50, "USD") - core.Money(25, "USD")
    assert total == core.Money(175, "USD")
    assert str(-total) == "−$1.75"
    with pytest.raises(LedgerError):
        core.Money(1, "USD") + core.Money(1, "EUR")
    with pytest.raises(LedgerError):
        core.Money(1.5, "USD")  # type: ignore[arg-type]


def test_estimated_fee() -> None:
    assert core.estimated_fee_cents(10_000, rate_bps=290, fixed_cents=30) == 320
    assert core.estimated_fee_cents(0, rate_bps=290, fixed_cents=30) == 0
    assert core.estimated_fee_cents(1_500, rate_bps=140, fixed_cents=20) == 41


def test_idempotency_keys_name_their_cause() -> None:
    assert core.idempotency_key("sale", "evt_1") == "sale:evt_1"
    with pytest.raises(LedgerError) as refused:
        core.idempotency_key("refund", "")
    assert str(refused.value) == "an idempotency key needs a kind and the id of its cause"


@given(st.lists(items_strategy, min_size=1, max_size=5), st.integers(0, 1000))
@settings(max_examples=200)
def test_a_trial_balance_of_balanced_entries_balances(
    orders: list[list[SaleItem]], fee: int
) -> None:
    drafts = [core.sale_entry(f"s{n}", n, "USD", items, fee) for n, items in enumerate(orders)]
    if orders[0][0].price_cents:
        drafts.append(core.refund_entry("r0", 0, "USD", orders[0][:1]))
    sums: dict[AccountRef, list[int]] = {}
    for draft in drafts:
        for line in draft.lines:
            pair = sums.setdefault(line.account, [0, 0])
            pair[0] += line.debit_cents
            pair[1] += line.credit_cents
    totals = [
        core.AccountTotals(n, a.code, a.spec.name, a.spec.type, a.member_id, a.spec.name, d, c)
        for n, (a, (d, c)) in enumerate(sorted(sums.items()))
    ]
    balance = core.build_trial_balance("USD", totals)
    assert balance.balanced
    assert balance.total_debits_cents == balance.total_credits_cents
    assert [row.code for row in balance.rows] == sorted({a.code for a in sums})
    for row in balance.rows:
        assert row.debit_cents == 0 or row.credit_cents == 0
    json = balance.as_json()
    assert set(json) == {"currency", "accounts", "total_debits_cents", "total_credits_cents"}
    assert {"code", "name", "balance_cents"} <= set(json["accounts"][0])


def test_a_dispute_fee_is_an_expense_out_of_stripe_clearing() -> None:
    draft = core.dispute_fee_entry("dispute_fee:dp_1", 7, "USD", 1_500)
    assert draft.kind == core.KIND_DISPUTE_FEE
    assert net_by_account(draft) == Counter({AccountRef(PAYMENT_FEES): 1_500, CLEARING: -1_500})
    for fee in (0, -1, True, 1.5):
        with pytest.raises(LedgerError):
            core.dispute_fee_entry("dispute_fee:dp_1", 7, "USD", fee)  # type: ignore[arg-type]


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=4))
def test_the_dispute_fee_is_what_its_balance_transactions_charged(fees: list[int]) -> None:
    dispute = {"balance_transactions": [{"fee": fee, "amount": -2_000} for fee in fees]}
    assert core.dispute_fee_from_stripe(dispute) == sum(fees)


def test_a_dispute_without_balance_transactions_says_nothing_of_its_fee() -> None:
    assert core.dispute_fee_from_stripe({"id": "dp_1"}) is None
    assert core.dispute_fee_from_stripe({"balance_transactions": []}) is None
    with pytest.raises(LedgerError):
        core.dispute_fee_from_stripe({"balance_transactions": [{"fee": "15.00"}]})
