"""``payments.core``'s items and settlement, and ``payouts.core``'s payout amounts, to the field
and to the word (mutation testing found these reached only through database-backed tests)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from marketplace.ledger.core import LedgerError, SaleItem
from marketplace.payments.core import FeeRule, sale_items, settle
from marketplace.payments.gateway import PaymentIntentState
from marketplace.payouts.core import royalty_payout_entry


@dataclass(frozen=True)
class Row:
    """An order item as the batch path selects it: the attributes ``SoldItem`` names."""

    id: int
    member_id: int
    price_cents: int
    royalty_bps: int


def test_each_order_item_becomes_the_ledgers_sale_item_in_order() -> None:
    rows = [Row(11, 7, 4500, 5000), Row(12, 8, 12500, 7500)]
    assert sale_items(rows) == [
        SaleItem(item_id=11, member_id=7, price_cents=4500, royalty_bps=5000),
        SaleItem(item_id=12, member_id=8, price_cents=12500, royalty_bps=7500),
    ]
    assert sale_items([]) == []


def _intent(status: str = "succeeded", amount_cents: int = 4500) -> PaymentIntentState:
    return PaymentIntentState("pi_9", status, amount_cents, "USD", None, {}, "ch_9", 161)


def test_a_settlement_names_its_order_and_a_refusal_says_why() -> None:
    items = [SaleItem(item_id=11, member_id=7, price_cents=4500, royalty_bps=5000)]
    settled = settle(42, "USD", 4500, items, _intent(), FeeRule(290, 30))
    assert (settled.order_id, settled.sale.order_id, settled.fee_cents) == (42, 42, 161)
    with pytest.raises(LedgerError, match=r"^PaymentIntent pi_9 has not succeeded \(processing\)$"):
        settle(42, "USD", 4500, items, _intent(status="processing"), FeeRule(290, 30))
    with pytest.raises(LedgerError, match="^PaymentIntent pi_9 is 4400 USD, order 42 is 4500 USD$"):
        settle(42, "USD", 4500, items, _intent(amount_cents=4400), FeeRule(290, 30))


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_a_royalty_payout_of_no_positive_whole_cents_is_refused_saying_so(amount: object) -> None:
    with pytest.raises(
        LedgerError, match=f"^a royalty payout is a positive number of cents, not {amount!r}$"
    ):
        royalty_payout_entry("payout-line:1", "USD", 7, amount, "Payout")  # type: ignore[arg-type]
