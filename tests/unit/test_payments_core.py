"""The pure rule of paying an order (``payments.core.settle``) and the one fee rule
(``ledger.core.estimated_fee_cents``) that both settling paths use."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.ledger import core as ledger_core
from marketplace.ledger.core import (
    LICENCE_REVENUE,
    PAYMENT_FEES,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    LedgerError,
    SaleItem,
)
from marketplace.payments import core
from marketplace.payments.gateway import PaymentIntentState

RULE = core.FeeRule(rate_bps=290, fixed_cents=30)
PAID_AT = datetime(2026, 3, 1, 12, tzinfo=UTC)


def intent(amount_cents: int, fee_cents: int | None = None, **changes: str) -> PaymentIntentState:
    fields = {"id": "pi_1", "status": "succeeded", "currency": "USD"} | changes
    return PaymentIntentState(
        id=fields["id"],
        status=fields["status"],
        amount_cents=amount_cents,
        currency=fields["currency"],
        client_secret=None,
        metadata={"order_id": "7"},
        charge_id="ch_1",
        fee_cents=fee_cents,
    )


def net(draft: ledger_core.EntryDraft) -> Counter[AccountRef]:
    totals: Counter[AccountRef] = Counter()
    for line in draft.lines:
        totals[line.account] += line.debit_cents - line.credit_cents
    return totals


def test_a_paid_order_takes_its_columns_and_posts_its_sale() -> None:
    items = [SaleItem(1, 4, 1_000, 5_000), SaleItem(2, 5, 500, 7_500)]
    paid = core.settle(7, "USD", 1_500, items, intent(1_500), RULE)
    assert paid.fee_cents == 74  # 43.5 rounds up to 44, plus 30
    assert paid.order_values(PAID_AT) == {
        "status": "paid",
        "paid_at": PAID_AT,
        "payment_intent_id": "pi_1",
        "payment_status": "succeeded",
        "payment_error": "",
        "charge_id": "ch_1",
        "fee_cents": 74,
    }
    assert paid.sale.idempotency_key == "order:7:paid" == core.sale_key(7)
    assert paid.sale.kind == "sale"
    assert paid.sale.order_id == 7
    assert net(paid.sale) == Counter(
        {
            AccountRef(STRIPE_CLEARING): 1_500 - 74,
            AccountRef(PAYMENT_FEES): 74,
            AccountRef(ROYALTIES_PAYABLE, 4): -500,
            AccountRef(ROYALTIES_PAYABLE, 5): -375,
            AccountRef(LICENCE_REVENUE): -625,
        }
    )


def test_the_fee_stripe_reports_wins_over_the_estimate() -> None:
    paid = core.settle(7, "USD", 1_500, [SaleItem(1, 4, 1_500, 5_000)], intent(1_500, 61), RULE)
    assert paid.fee_cents == 61
    assert core.fee_cents(1_500, intent(1_500, 0), RULE) == 0


def test_a_ten_cent_order_pays_ten_cents_of_fee_not_thirty() -> None:
    assert ledger_core.estimated_fee_cents(10, rate_bps=290, fixed_cents=30) == 10
    assert core.fee_cents(10, intent(10), RULE) == 10
    assert core.fee_cents(31, intent(31), RULE) == 31
    assert core.fee_cents(100, intent(100), RULE) == 33


@pytest.mark.parametrize(
    ("amount", "changes"),
    [(1_500, {"status": "processing"}), (1_499, {}), (1_500, {"currency": "EUR"})],
)
def test_a_payment_that_did_not_succeed_or_does_not_match_pays_nothing(
    amount: int, changes: dict[str, str]
) -> None:
    with pytest.raises(LedgerError):
        core.settle(
            7, "USD", 1_500, [SaleItem(1, 4, 1_500, 5_000)], intent(amount, **changes), RULE
        )


def test_the_order_values_name_every_paid_column_once() -> None:
    paid = core.settle(7, "USD", 100, [SaleItem(1, 4, 100, 5_000)], intent(100), RULE)
    assert tuple(paid.order_values(PAID_AT)) == core.PAID_COLUMNS


@given(
    st.lists(st.integers(1, 100_000), min_size=1, max_size=6),
    st.integers(0, 10_000),
    st.integers(0, 500),
    st.integers(0, 10_000),
)
def test_the_fee_never_exceeds_the_charge_and_the_sale_balances(
    prices: list[int], royalty_bps: int, fixed_cents: int, rate_bps: int
) -> None:
    items = [SaleItem(i, 1 + i % 3, price, royalty_bps) for i, price in enumerate(prices)]
    total = sum(prices)
    rule = core.FeeRule(rate_bps=rate_bps, fixed_cents=fixed_cents)
    paid = core.settle(9, "USD", total, items, intent(total), rule)
    assert 0 <= paid.fee_cents <= total
    assert paid.fee_cents == min(total, (total * rate_bps + 5_000) // 10_000 + fixed_cents)
    assert sum(net(paid.sale).values()) == 0
    assert net(paid.sale)[AccountRef(STRIPE_CLEARING)] == total - paid.fee_cents
