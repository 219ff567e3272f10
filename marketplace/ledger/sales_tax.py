"""Sales tax and VAT in the books, the pure posting rules.

The tax a buyer pays is not the co-op's: it is owed to the place whose tax it is, so it goes to
a liability account per jurisdiction (``2300-FR``, ``2300-CA-ON``: ``sales_tax_account``), never
to revenue, and in the currency it was charged in. Items are posted on their price net of tax,
so members' royalties (and the patronage read from the sales) are computed on the net price.

* A sale in the settlement currency: the whole charge (net plus tax) into Stripe clearing, the
  items as ``sale_entry`` posts them, each jurisdiction's tax credited to its account.
* A sale in another currency (``ledger.exchange``): what Stripe's balance transaction says the
  co-op received is split between the items and the tax in proportion to their presentment
  amounts (parts adding up to the whole). The items are posted as ``foreign_sale_entry`` posts
  them on their share; the tax's settled share moves out of Stripe clearing into currency
  exchange (1150), and in the presentment currency currency exchange holds the tax owed, which
  the jurisdictions' accounts hold as a liability: each currency's trial balance stays exact.
* A refund gives back exactly the tax its items were charged, per jurisdiction, with the same
  shares taken back from currency exchange for an order paid in another currency.

No Flask, SQLAlchemy, Celery or stripe (an import-linter contract holds it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from marketplace.ledger import kinds
from marketplace.ledger.core import SaleItem, chargeback_entry, refund_entry, sale_entry
from marketplace.ledger.entries import (
    CURRENCY_EXCHANGE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
    Line,
    collapse,
    credit,
    debit,
    largest_remainder_split,
    sales_tax_account,
)
from marketplace.ledger.exchange import (
    foreign_refund_entry,
    foreign_sale_entry,
    presentment_lines,
    settled_items,
)

__all__ = [
    "ItemTax",
    "items_settled_cents",
    "settled_tax_cents",
    "taxed_foreign_refund_entry",
    "taxed_foreign_sale_entry",
    "taxed_refund_entry",
    "taxed_sale_entry",
]


@dataclass(frozen=True)
class ItemTax:
    """The tax one item of an order was charged for one jurisdiction, in the order's currency."""

    item_id: int | str
    jurisdiction: str
    tax_cents: int

    def __post_init__(self) -> None:
        if isinstance(self.tax_cents, bool) or not isinstance(self.tax_cents, int):
            raise LedgerError(f"tax is whole cents, not {self.tax_cents!r}")
        if self.tax_cents < 0:
            raise LedgerError("tax cannot be negative")
        sales_tax_account(self.jurisdiction)


def _checked(items: Sequence[SaleItem], taxes: Sequence[ItemTax]) -> list[ItemTax]:
    ids = {item.item_id for item in items}
    stray = [tax.item_id for tax in taxes if tax.item_id not in ids]
    if stray:
        raise LedgerError(f"tax of item {stray[0]!r}, which is not among the items")
    return [tax for tax in taxes if tax.tax_cents]


def _liability_lines(taxes: Sequence[ItemTax], currency: str | None, *, refund: bool) -> list[Line]:
    make = debit if refund else credit
    return [make(sales_tax_account(tax.jurisdiction), tax.tax_cents, currency) for tax in taxes]


def _with_lines(draft: EntryDraft, lines: Sequence[Line], description: str) -> EntryDraft:
    return EntryDraft(
        idempotency_key=draft.idempotency_key,
        description=description,
        currency=draft.currency,
        lines=collapse([*draft.lines, *lines]),
        kind=draft.kind,
        order_id=draft.order_id,
    ).validate()


def taxed_sale_entry(
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    taxes: Sequence[ItemTax],
    fee_cents: int,
    description: str | None = None,
) -> EntryDraft:
    """A paid order whose ``items`` are at their prices net of tax and whose ``taxes`` the buyer
    paid on top: ``sale_entry`` plus the tax into clearing and out to each jurisdiction."""
    draft = sale_entry(idempotency_key, order_id, currency, items, fee_cents, description)
    owed = _checked(items, taxes)
    if not owed:
        return draft
    lines = [
        debit(AccountRef(STRIPE_CLEARING), sum(tax.tax_cents for tax in owed)),
        *_liability_lines(owed, None, refund=False),
    ]
    return _with_lines(draft, lines, draft.description)


def taxed_refund_entry(
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    taxes: Sequence[ItemTax],
    description: str | None = None,
    kind: str = kinds.REFUND,
) -> EntryDraft:
    """Refunded ``items`` and the tax they were charged (``taxes``, the refunded items' only):
    the tax owed to each jurisdiction goes down by exactly what the sale put there. A lost
    dispute (``kind`` chargeback) takes the same back: the bank returned the whole charge."""
    if kind == kinds.CHARGEBACK:
        draft = chargeback_entry(idempotency_key, order_id, currency, items, 0, description)
    elif kind == kinds.REFUND:
        draft = refund_entry(idempotency_key, order_id, currency, items, description)
    else:
        raise LedgerError(f"{kind!r} does not take a sale's items back")
    owed = _checked(items, taxes)
    if not owed:
        return draft
    lines = [
        *_liability_lines(owed, None, refund=True),
        credit(AccountRef(STRIPE_CLEARING), sum(tax.tax_cents for tax in owed)),
    ]
    return _with_lines(draft, lines, draft.description)


def items_settled_cents(settled_cents: int, subtotal_cents: int, tax_cents: int) -> int:
    """The items' share of what a whole order paid in another currency brought in: the
    settled amount split between the subtotal net of tax and the tax, in proportion, the two
    parts adding up to the whole. What the ledger posted the items on, so what readers of the
    items' settled shares (earnings, patronage) pass to ``exchange.settled_items``."""
    if subtotal_cents + tax_cents == 0 or tax_cents == 0:
        return settled_cents
    return largest_remainder_split(settled_cents, [subtotal_cents, tax_cents])[0]


def _split_settled(
    items: Sequence[SaleItem], taxes: Sequence[ItemTax], settled_cents: int
) -> tuple[int, list[int]]:
    """``settled_cents`` split between the items (their net prices) and the tax
    (``items_settled_cents``), the tax's part then between each tax of ``taxes`` in proportion:
    (the items' share, each tax's share)."""
    net = sum(item.price_cents for item in items)
    owed = [tax.tax_cents for tax in taxes]
    items_share = items_settled_cents(settled_cents, net, sum(owed))
    if sum(owed) == 0:
        return items_share, [0] * len(taxes)
    return items_share, largest_remainder_split(settled_cents - items_share, owed)


def settled_tax_cents(
    items: Sequence[SaleItem], taxes: Sequence[ItemTax], settled_cents: int
) -> list[int]:
    """Each tax's share of what the whole order brought in, in the settlement currency
    (deterministic: a refund computes the shares the sale posted)."""
    return _split_settled(items, _checked(items, taxes), settled_cents)[1]


def _tax_exchange_lines(
    taxes: Sequence[ItemTax],
    shares: Sequence[int],
    presentment_currency: str,
    *,
    refund: bool,
) -> list[Line]:
    clearing, exchange = AccountRef(STRIPE_CLEARING), AccountRef(CURRENCY_EXCHANGE)
    settled = sum(shares)
    owed = sum(tax.tax_cents for tax in taxes)
    if refund:
        settlement_side = [debit(exchange, settled), credit(clearing, settled)]
        presentment_side = [credit(exchange, owed, presentment_currency)]
    else:
        settlement_side = [debit(clearing, settled), credit(exchange, settled)]
        presentment_side = [debit(exchange, owed, presentment_currency)]
    return [
        *settlement_side,
        *presentment_lines(presentment_currency, owed, refund=refund),
        *presentment_side,
        *_liability_lines(taxes, presentment_currency, refund=refund),
    ]


def taxed_foreign_sale_entry(
    idempotency_key: str,
    order_id: int | None,
    presentment_currency: str,
    items: Sequence[SaleItem],
    taxes: Sequence[ItemTax],
    settlement_currency: str,
    settled_cents: int,
    fee_cents: int,
    description: str | None = None,
) -> EntryDraft:
    """A paid order in ``presentment_currency`` (``items`` net of tax, ``taxes`` on top) that
    brought ``settled_cents`` of ``settlement_currency`` in, less ``fee_cents``: the items on
    their share of it, the tax owed in the presentment currency (see the module's docstring)."""
    owed = _checked(items, taxes)
    items_share, tax_shares = _split_settled(items, owed, settled_cents)
    draft = foreign_sale_entry(
        idempotency_key,
        order_id,
        presentment_currency,
        items,
        settlement_currency,
        items_share,
        fee_cents,
        description,
    )
    if not owed:
        return draft
    lines = _tax_exchange_lines(owed, tax_shares, presentment_currency, refund=False)
    return _with_lines(draft, lines, draft.description)


def taxed_foreign_refund_entry(
    idempotency_key: str,
    order_id: int | None,
    presentment_currency: str,
    refunded: Sequence[SaleItem],
    settlement_currency: str,
    sale_items: Sequence[SaleItem],
    sale_taxes: Sequence[ItemTax],
    sale_settled_cents: int,
    refund_settled_cents: int | None,
    description: str | None = None,
    kind: str = kinds.REFUND,
) -> EntryDraft:
    """Refunded items of an order paid in another currency, and their tax: ``sale_items`` and
    ``sale_taxes`` are the whole order's (for the settled shares the sale posted); the tax of
    the refunded items is given back in the presentment currency and its settled share taken
    back from currency exchange; what the refund cost beyond the shares is an exchange
    difference, as for an untaxed order. ``refund_settled_cents`` None: given back at the
    sale's own shares (a lost dispute whose object said nothing of the amount)."""
    owed = _checked(sale_items, sale_taxes)
    items_share, tax_shares = _split_settled(sale_items, owed, sale_settled_cents)
    refunded_ids = {item.item_id for item in refunded}
    back = [
        (tax, share)
        for tax, share in zip(owed, tax_shares, strict=True)
        if tax.item_id in refunded_ids
    ]
    tax_back = sum(share for _, share in back)
    if refund_settled_cents is None:
        shares = settled_items(sale_items, items_share)
        refund_settled_cents = tax_back + sum(
            share.price_cents for share in shares if share.item_id in refunded_ids
        )
    if tax_back >= refund_settled_cents and back:
        raise LedgerError(
            f"order {order_id}: a refund of {refund_settled_cents} cannot hold its tax"
        )
    draft = foreign_refund_entry(
        idempotency_key,
        order_id,
        presentment_currency,
        refunded,
        settlement_currency,
        sale_items,
        items_share,
        refund_settled_cents - tax_back,
        description,
        kind,
    )
    if not back:
        return draft
    lines = _tax_exchange_lines(
        [tax for tax, _ in back], [share for _, share in back], presentment_currency, refund=True
    )
    return _with_lines(draft, lines, draft.description)
