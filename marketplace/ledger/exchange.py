"""Sales in another currency than the settlement one, the pure posting rules.

A buyer pays in a presentment currency (EUR); Stripe converts the charge at once and the co-op
receives the settlement currency (USD): the charge's balance transaction says how much, and
Stripe's fee, in that currency. The rules:

* A sale is one entry with lines in both currencies, balanced in each. In the presentment
  currency, the charge as the buyer paid it goes into Stripe clearing and out again through
  currency exchange (1150), converted: Stripe holds none of it, so both accounts end at zero in
  that currency, and the books still say what was sold at which price. In the settlement
  currency, the sale is posted as any sale, on what the co-op actually received: each item's
  share of the settled amount (in proportion to its presentment price, parts adding up to the
  whole), the member's royalty on that share, the rest licence revenue, Stripe's fee an expense.
* A refund reverses the items' settled shares exactly (the same royalty cents back), while
  Stripe clearing loses what the refund's own balance transaction took, at that day's rate;
  the difference is an exchange difference (5400): a loss as a debit, a gain as a credit.

No Flask, SQLAlchemy, Celery or stripe (an import-linter contract holds it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marketplace.ledger import kinds
from marketplace.ledger.core import SaleItem, _order_items, sale_entry
from marketplace.ledger.entries import (
    CURRENCY_EXCHANGE,
    EXCHANGE_DIFFERENCES,
    REFUNDS_AND_CHARGEBACKS,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
    Line,
    check_currency,
    collapse,
    credit,
    debit,
    largest_remainder_split,
)

__all__ = [
    "dispute_withdrawn_cents",
    "foreign_refund_entry",
    "foreign_sale_entry",
    "presentment_lines",
    "settled_items",
]


def _cents(value: object, what: str, *, positive: bool = False) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < (1 if positive else 0):
        least = "positive" if positive else "non-negative"
        raise LedgerError(f"{what} is a {least} number of cents, not {value!r}")
    return value


def settled_items(items: Sequence[SaleItem], settled_cents: int) -> list[SaleItem]:
    """The items as the settlement currency sees them: each one's share of ``settled_cents``
    (what the whole order brought in), in proportion to its presentment price, the parts
    adding up to the whole; the member's share of each is the item's royalty rate, as ever.

    Deterministic: a refund computes the very shares the sale posted."""
    _cents(settled_cents, "a settled amount")
    prices = [item.price_cents for item in items]
    shares = largest_remainder_split(settled_cents, prices) if sum(prices) else [0] * len(items)
    return [
        SaleItem(item.item_id, item.member_id, share, item.royalty_bps)
        for item, share in zip(items, shares, strict=True)
    ]


def presentment_lines(currency: str, amount_cents: int, *, refund: bool) -> list[Line]:
    """The charge (or refund) as the buyer saw it, in their currency: through Stripe clearing
    and currency exchange, leaving both at zero in that currency (Stripe converted it)."""
    check_currency(currency)
    clearing, exchange = AccountRef(STRIPE_CLEARING), AccountRef(CURRENCY_EXCHANGE)
    into, out_of = (exchange, clearing) if refund else (clearing, exchange)
    return [
        debit(into, amount_cents, currency),
        credit(out_of, amount_cents, currency),
        debit(out_of, amount_cents, currency),
        credit(into, amount_cents, currency),
    ]


def _both_currencies(presentment: str, settlement: str) -> None:
    check_currency(presentment)
    check_currency(settlement)
    if presentment == settlement:
        raise LedgerError(f"a sale in {settlement} is posted by sale_entry, not converted")


def foreign_sale_entry(
    idempotency_key: str,
    order_id: int | None,
    presentment_currency: str,
    items: Sequence[SaleItem],
    settlement_currency: str,
    settled_cents: int,
    fee_cents: int,
    description: str | None = None,
) -> EntryDraft:
    """A paid order in ``presentment_currency`` (``items`` at their prices in it) that brought
    ``settled_cents`` of ``settlement_currency`` into Stripe's balance, less ``fee_cents``."""
    _both_currencies(presentment_currency, settlement_currency)
    items = _order_items(order_id, items)
    _cents(settled_cents, "a settled amount")
    settled = sale_entry(
        idempotency_key,
        order_id,
        settlement_currency,
        settled_items(items, settled_cents),
        fee_cents,
        description,
    )
    gross = sum(item.price_cents for item in items)
    lines = collapse([*presentment_lines(presentment_currency, gross, refund=False)])
    return EntryDraft(
        idempotency_key=idempotency_key,
        description=description or f"Order {order_id} paid in {presentment_currency}",
        currency=settlement_currency,
        lines=(*settled.lines, *lines),
        kind=kinds.SALE,
        order_id=order_id,
    ).validate()


def foreign_refund_entry(
    idempotency_key: str,
    order_id: int | None,
    presentment_currency: str,
    refunded: Sequence[SaleItem],
    settlement_currency: str,
    sale_items: Sequence[SaleItem],
    sale_settled_cents: int,
    refund_settled_cents: int,
    description: str | None = None,
    kind: str = kinds.REFUND,
) -> EntryDraft:
    """Refunded items of an order paid in ``presentment_currency``: ``sale_items`` are all the
    order's items (for their settled shares of ``sale_settled_cents``), ``refunded`` those
    refunded; ``refund_settled_cents`` is what the refund took from Stripe's balance. A lost
    dispute is the same reversal (``kind`` chargeback)."""
    if kind not in kinds.SALE_REVERSAL_KINDS:
        raise LedgerError(f"{kind!r} does not take a sale's items back")
    _both_currencies(presentment_currency, settlement_currency)
    everything = _order_items(order_id, sale_items)
    refunded = _order_items(order_id, refunded)
    _cents(refund_settled_cents, "a refund's settled amount", positive=True)
    shares = {item.item_id: item for item in settled_items(everything, sale_settled_cents)}
    unknown = [item.item_id for item in refunded if item.item_id not in shares]
    if unknown:
        raise LedgerError(f"order {order_id}: item {unknown[0]} was not sold in it")
    back = [shares[item.item_id] for item in refunded]
    sold_for = sum(item.price_cents for item in back)
    difference = refund_settled_cents - sold_for
    exchange = AccountRef(EXCHANGE_DIFFERENCES)
    lines = [
        *(
            debit(AccountRef(ROYALTIES_PAYABLE, item.member_id), item.royalty_cents)
            for item in back
        ),
        debit(AccountRef(REFUNDS_AND_CHARGEBACKS), sum(item.revenue_cents for item in back)),
        debit(exchange, max(difference, 0)),
        credit(exchange, max(-difference, 0)),
        credit(AccountRef(STRIPE_CLEARING), refund_settled_cents),
        *presentment_lines(
            presentment_currency, sum(item.price_cents for item in refunded), refund=True
        ),
    ]
    return EntryDraft(
        idempotency_key=idempotency_key,
        description=description or f"Order {order_id} refunded in {presentment_currency}",
        currency=settlement_currency,
        lines=collapse(lines),
        kind=kind,
        order_id=order_id,
    ).validate()


def dispute_withdrawn_cents(dispute: Mapping[str, Any], settlement_currency: str) -> int | None:
    """What a dispute of a payment in another currency took from the balance, in the
    settlement currency: the withdrawals (negative gross amounts, Stripe's fee apart) of its
    balance transactions in that currency, made positive. None for a dispute in the settlement
    currency, or one whose object carries no such transaction (then the items' settled shares
    are reversed as they were sold)."""
    if str(dispute.get("currency") or "").upper() == settlement_currency:
        return None
    transactions = dispute.get("balance_transactions")
    if not isinstance(transactions, list):
        return None
    withdrawn = 0
    for transaction in transactions:
        if not isinstance(transaction, Mapping):
            raise LedgerError("a dispute's balance transactions are objects")
        if str(transaction.get("currency") or "").upper() != settlement_currency:
            continue
        amount = transaction.get("amount")
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise LedgerError("a dispute's balance transactions carry whole cents")
        withdrawn += -amount if amount < 0 else 0
    return withdrawn or None
