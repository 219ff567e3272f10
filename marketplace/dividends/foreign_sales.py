"""Sales paid in another currency than a dividend run's: what each item brought the co-op.

A buyer who pays in euros is charged in euros, and the co-op receives what Stripe's balance
transaction says in the settlement currency (``Order.settled_cents``). The ledger posted each
item's share of that amount (``ledger.exchange.settled_items``: in proportion to the items'
prices, largest remainder over the whole order), and a refund or a lost dispute reverses exactly
the refunded items' shares. An item's patronage in the settlement currency is that share.

The grouped queries of ``period_books`` and ``member_business`` sum settlement-currency orders in
SQL; these orders are computed here in Python, because a share depends on every item of its
order: all items of each such order are read together, in item id order (the order the ledger
split them in), even when only one of them was refunded in the period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import groupby

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.ledger.core import SaleItem
from marketplace.ledger.exchange import settled_items
from marketplace.ledger.sales_tax import items_settled_cents
from marketplace.orders.models import Order, OrderItem


@dataclass(frozen=True)
class ForeignItem:
    """An item of an order paid in another currency, as a period sees it: its seller, its share
    of what the order brought in, when its order was paid, and whether it was sold and whether
    it was taken back (refunded or lost to a dispute) within the period's moments."""

    member_id: int
    share_cents: int
    paid_at: datetime
    sold_within: bool
    taken_back_within: bool

    @property
    def net_cents(self) -> int:
        """What the item adds to its seller's net sales of the period."""
        return self.share_cents * (int(self.sold_within) - int(self.taken_back_within))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def foreign_items(
    session: Session, currency: str, starts_at: datetime, closes_at: datetime
) -> list[ForeignItem]:
    """Every item of the orders paid in another currency and settled in ``currency`` that were
    paid, or had an item taken back, in the moments [``starts_at``, ``closes_at``). Items of
    such an order neither sold nor taken back in them are left out once its shares are known."""
    taken_back = sa.select(OrderItem.order_id).where(
        OrderItem.refunded_at >= starts_at, OrderItem.refunded_at < closes_at
    )
    rows = session.execute(
        sa.select(
            OrderItem.order_id,
            OrderItem.id,
            OrderItem.member_id,
            OrderItem.price_cents,
            OrderItem.royalty_bps,
            OrderItem.refunded_at,
            Order.paid_at,
            Order.settled_cents,
            Order.subtotal_cents,
            Order.tax_cents,
        )
        .join(Order, Order.id == OrderItem.order_id)
        .where(
            Order.currency != currency,
            Order.settled_currency == currency,
            # The partial index's own predicate (orders.models), so the planner uses it.
            Order.settled_currency.is_not(None),
            Order.currency != Order.settled_currency,
            Order.settled_cents.is_not(None),
            Order.paid_at.is_not(None),
            sa.or_(
                sa.and_(Order.paid_at >= starts_at, Order.paid_at < closes_at),
                Order.id.in_(taken_back),
            ),
        )
        .order_by(OrderItem.order_id, OrderItem.id)
    ).all()
    found: list[ForeignItem] = []
    for _, order_rows in groupby(rows, key=lambda row: row.order_id):
        items = list(order_rows)
        paid_at = _utc(items[0].paid_at)
        sold = starts_at <= paid_at < closes_at
        sale = [SaleItem(row.id, row.member_id, row.price_cents, row.royalty_bps) for row in items]
        # The items' share of what the order brought in, its tax's share left out: patronage
        # is on sales net of tax, as the ledger posted them (ledger.sales_tax).
        first = items[0]
        settled = items_settled_cents(
            int(first.settled_cents), int(first.subtotal_cents), int(first.tax_cents)
        )
        for row, share in zip(items, settled_items(sale, settled), strict=True):
            refunded_at = None if row.refunded_at is None else _utc(row.refunded_at)
            back = refunded_at is not None and starts_at <= refunded_at < closes_at
            if sold or back:
                found.append(ForeignItem(row.member_id, share.price_cents, paid_at, sold, back))
    return found
