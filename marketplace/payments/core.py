"""Paying an order, the pure rule: what an order and the books become once its payment succeeded.

No Flask, SQLAlchemy, Celery or stripe (an import-linter contract holds it). Both ways of
settling, one order at a time (``settlement``) and many in one transaction (``batch``), call
``settle`` and only write down what it returns, so "an order is paid" is decided here once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from marketplace.ledger.core import (
    EntryDraft,
    LedgerError,
    SaleItem,
    estimated_fee_cents,
)
from marketplace.ledger.sales_tax import ItemTax, taxed_foreign_sale_entry, taxed_sale_entry
from marketplace.payments.gateway import PaymentIntentState, SettledAmount

PAID = "paid"
# The order's columns a settlement writes, in the order ``Settlement.order_values`` gives them.
PAID_COLUMNS = (
    "status",
    "paid_at",
    "payment_intent_id",
    "payment_status",
    "payment_error",
    "charge_id",
    "fee_cents",
)
# And those of an order paid in another currency than the settlement one.
SETTLED_COLUMNS = ("settled_cents", "settled_currency", "exchange_rate")


class SoldItem(Protocol):
    """An order item as either path reads it (an ``OrderItem`` or a selected row)."""

    @property
    def id(self) -> int: ...

    @property
    def member_id(self) -> int: ...

    @property
    def price_cents(self) -> int: ...

    @property
    def royalty_bps(self) -> int: ...


def sale_items(items: Iterable[SoldItem]) -> list[SaleItem]:
    """The ledger's view of order items: whose work, the price and the member's share."""
    return [
        SaleItem(
            item_id=item.id,
            member_id=item.member_id,
            price_cents=item.price_cents,
            royalty_bps=item.royalty_bps,
        )
        for item in items
    ]


class TaxedLine(Protocol):
    """An order tax line as either path reads it (an ``OrderTaxLine`` or a selected row)."""

    @property
    def order_item_id(self) -> int | None: ...

    @property
    def jurisdiction(self) -> str: ...

    @property
    def tax_cents(self) -> int: ...


def item_taxes(lines: Iterable[TaxedLine]) -> list[ItemTax]:
    """The ledger's view of an order's tax lines: each item's tax per jurisdiction."""
    return [
        ItemTax(line.order_item_id, line.jurisdiction, line.tax_cents)
        for line in lines
        if line.order_item_id is not None
    ]


@dataclass(frozen=True)
class FeeRule:
    """Stripe's pricing as configured (``STRIPE_FEE_BPS``, ``STRIPE_FEE_FIXED_CENTS``)."""

    rate_bps: int
    fixed_cents: int


@dataclass(frozen=True)
class Settlement:
    """An order paid: the values its row takes and the sale entry the ledger posts."""

    order_id: int
    payment_intent_id: str
    payment_status: str
    charge_id: str | None
    fee_cents: int
    sale: EntryDraft
    # Paid in another currency: what the co-op received, in which currency, at which rate.
    settled: SettledAmount | None = None

    def order_values(self, paid_at: datetime) -> dict[str, Any]:
        """The order's columns once paid at ``paid_at`` (the error of any earlier try cleared)."""
        values = (
            PAID,
            paid_at,
            self.payment_intent_id,
            self.payment_status,
            "",
            self.charge_id,
            self.fee_cents,
        )
        return dict(zip(PAID_COLUMNS, values, strict=True))

    def settled_values(self) -> dict[str, Any]:
        """For an order paid in another currency, what it brought in (``SETTLED_COLUMNS``);
        nothing for one paid in the settlement currency."""
        if self.settled is None:
            return {}
        found = self.settled
        values = (found.amount_cents, found.currency, found.exchange_rate)
        return dict(zip(SETTLED_COLUMNS, values, strict=True))


def sale_key(order_id: int) -> str:
    """The idempotency key of an order's sale entry: one sale per order, whichever path pays it."""
    return f"order:{order_id}:paid"


def fee_cents(total_cents: int, intent: PaymentIntentState, rule: FeeRule) -> int:
    """Stripe's fee for a payment: from its balance transaction when Stripe gave one, else
    estimated by the ledger's one fee rule (``estimated_fee_cents``) from the configured rate."""
    if intent.fee_cents is not None:
        return intent.fee_cents
    return estimated_fee_cents(total_cents, rate_bps=rule.rate_bps, fixed_cents=rule.fixed_cents)


def _settle_converted(
    order_id: int,
    currency: str,
    items: Sequence[SaleItem],
    intent: PaymentIntentState,
    settlement_currency: str,
    taxes: Sequence[ItemTax],
) -> Settlement:
    settled = intent.settled
    if settled is None or settled.currency != settlement_currency:
        raise LedgerError(
            f"PaymentIntent {intent.id} in {currency} has no balance transaction in "
            f"{settlement_currency} yet"
        )
    return Settlement(
        order_id=order_id,
        payment_intent_id=intent.id,
        payment_status=intent.status,
        charge_id=intent.charge_id,
        fee_cents=settled.fee_cents,
        sale=taxed_foreign_sale_entry(
            sale_key(order_id),
            order_id,
            currency,
            items,
            taxes,
            settlement_currency,
            settled.amount_cents,
            settled.fee_cents,
        ),
        settled=settled,
    )


def settle(
    order_id: int,
    currency: str,
    total_cents: int,
    items: Sequence[SaleItem],
    intent: PaymentIntentState,
    rule: FeeRule,
    settlement_currency: str | None = None,
    taxes: Sequence[ItemTax] = (),
) -> Settlement:
    """What paying order ``order_id`` by ``intent`` writes: the order's payment columns and its
    balanced sale entry (keyed ``sale_key``, so a second settling posts nothing).

    ``items`` are at their prices net of tax; ``taxes`` the tax each one was charged, which
    goes to its jurisdiction's liability account (``ledger.sales_tax``).

    An order in another currency than ``settlement_currency`` (the co-op's; the order's own
    when None) is posted on what Stripe's balance transaction says the co-op received
    (``ledger.exchange``), its fee included.

    Raises ``LedgerError`` when the PaymentIntent has not succeeded or is for another amount or
    currency than the order, or when a payment in another currency has no settled amount yet:
    such an order is not paid (now).
    """
    if intent.status != "succeeded":
        raise LedgerError(f"PaymentIntent {intent.id} has not succeeded ({intent.status})")
    if (intent.amount_cents, intent.currency) != (total_cents, currency):
        raise LedgerError(
            f"PaymentIntent {intent.id} is {intent.amount_cents} {intent.currency}, "
            f"order {order_id} is {total_cents} {currency}"
        )
    settlement = settlement_currency or currency
    if currency != settlement:
        return _settle_converted(order_id, currency, items, intent, settlement, taxes)
    fee = fee_cents(total_cents, intent, rule)
    return Settlement(
        order_id=order_id,
        payment_intent_id=intent.id,
        payment_status=intent.status,
        charge_id=intent.charge_id,
        fee_cents=fee,
        sale=taxed_sale_entry(sale_key(order_id), order_id, currency, items, taxes, fee),
    )
