"""``payments.core.sale_items``: what the ledger is told of an order's items, field by field
(mutation testing found it reached only through the database-backed tests)."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace.ledger.core import SaleItem
from marketplace.payments.core import sale_items


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
