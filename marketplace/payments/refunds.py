"""Refunds: asked for by an admin, sent to Stripe once, and applied (once) when they settle.

Items already refunded, or in a refund still under way, are never refunded again; a refund
that succeeds ends the items' licences and reverses their sale in the ledger.
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.i18n.languages import DEFAULT_LANGUAGE
from marketplace.invoices import services as invoices
from marketplace.ledger import kinds, member_debts, sales_tax
from marketplace.ledger import services as ledger
from marketplace.licensing import services as licensing
from marketplace.mail import public_base_url, queue_email
from marketplace.orders.labels import status_words
from marketplace.orders.models import Order, OrderItem
from marketplace.payments import core
from marketplace.payments.gateway import ChargeState, RefundState
from marketplace.payments.models import Refund
from marketplace.payments.stripe_gateway import gateway

log = logging.getLogger(__name__)


def request_refund(admin: User, order_id: int, item_ids: list[int] | None) -> Refund:
    """Record a refund of some (or all remaining) items and queue it for Stripe.

    Items already refunded, or in a refund still under way, cannot be refunded again: the
    app never asks Stripe for more than was paid (the emulator would accept it).
    """
    from marketplace.audit.services import record

    with unit_of_work() as session:
        order = lock_row(session, Order, order_id)
        if order is None:
            raise NotFound(gettext("No such order."))
        if order.status not in ("paid", "partially_refunded"):
            raise Conflict(
                gettext(
                    "An order that is %(status)s cannot be refunded.",
                    status=status_words(order.status),
                )
            )
        in_flight = {
            item_id
            for refund in session.execute(
                sa.select(Refund).where(
                    Refund.order_id == order.id, Refund.status.in_(("requested", "pending"))
                )
            ).scalars()
            for item_id in refund.item_ids
        }
        refundable = {
            item.id: item
            for item in order.items
            if item.status == "active" and item.id not in in_flight
        }
        known = {item.id for item in order.items}
        if item_ids:
            unknown = sorted(set(item_ids) - known)
            if unknown:
                raise InvalidInput(
                    gettext(
                        "Order %(number)s has no item %(item)s.", number=order.id, item=unknown[0]
                    ),
                    fields={"items": gettext("Unknown item.")},
                )
            chosen = [refundable[i] for i in dict.fromkeys(item_ids) if i in refundable]
            if len(chosen) != len(set(item_ids)):
                raise Conflict(
                    gettext("Some of those items are already refunded or being refunded.")
                )
        else:
            chosen = list(refundable.values())
        if not chosen:
            raise Conflict(
                gettext("Everything in this order is already refunded or being refunded.")
            )
        refund = refund_of(order, chosen, requested_by_id=admin.id)
        session.add(refund)
        session.flush()
        record(
            session,
            admin,
            "order.refund_requested",
            "order",
            order.id,
            f"Refund of {len(chosen)} item(s), {refund.amount_cents} {refund.currency} cents",
            after={"refund_id": refund.id, "items": refund.item_ids},
        )
        enqueue(session, "payments.send_refund", refund.id)
        return refund


def refund_of(order: Order, items: list[OrderItem], *, requested_by_id: int | None) -> Refund:
    """A refund (not yet added) of ``items`` of ``order``: what the buyer paid for them, their
    price and their tax, since a refund that succeeds reverses both (ledger, Stripe Tax, credit
    note). ``requested_by_id``: the admin who asked, None when settlement refunds a duplicate."""
    return Refund(
        order_id=order.id,
        item_ids=[item.id for item in items],
        amount_cents=sum(item.price_cents + item.tax_cents for item in items),
        tax_cents=sum(item.tax_cents for item in items),
        currency=order.currency,
        status="requested",
        requested_by_id=requested_by_id,
    )


def send_refund(refund_id: int) -> None:
    """Ask Stripe for the refund (once) and apply its answer."""
    with unit_of_work() as session:
        refund = lock_row(session, Refund, refund_id)
        if refund is None or refund.status != "requested":
            return
        order = session.get(Order, refund.order_id)
        if order is None or not order.payment_intent_id:
            raise RuntimeError(f"Refund {refund.id} belongs to no paid order.")
        stripe = gateway()
        # Made before a crash? Stripe's idempotency key would say so; the emulator ignores
        # keys, so look for our refund id in the refunds' metadata first.
        earlier = [
            r
            for r in stripe.list_refunds(order.payment_intent_id)
            if r.metadata.get("refund_id") == str(refund.id)
        ]
        state = (
            earlier[0]
            if earlier
            else stripe.create_refund(
                payment_intent_id=order.payment_intent_id,
                amount_cents=refund.amount_cents,
                metadata={"refund_id": str(refund.id), "order_id": str(order.id)},
                idempotency_key=refund.idempotency_key,
            )
        )
        refund.stripe_refund_id = state.id
        _apply_refund_state(session, refund, state)


def apply_charge_refunds(charge: ChargeState) -> None:
    """``charge.refunded``: each of the charge's refunds that we made is applied (once)."""
    for state in charge.refunds:
        with unit_of_work() as session:
            refund_id = session.execute(
                sa.select(Refund.id).where(
                    sa.or_(
                        Refund.stripe_refund_id == state.id,
                        Refund.id == int(state.metadata.get("refund_id") or 0),
                    )
                )
            ).scalar_one_or_none()
            if refund_id is None:
                log.warning("Refund %s on %s was not made by the app", state.id, charge.id)
                continue
            refund = lock_row(session, Refund, refund_id)
            if refund is None:
                continue
            refund.stripe_refund_id = state.id
            _apply_refund_state(session, refund, state)


def _apply_refund_state(session: Session, refund: Refund, state: RefundState) -> None:
    if refund.status in ("succeeded", "failed"):
        return
    if state.status == "succeeded":
        order = lock_row(session, Order, refund.order_id)
        if order is None:
            raise RuntimeError(f"Refund {refund.id} belongs to no order.")
        items = [item for item in order.items if item.id in refund.item_ids]
        refund.settled_cents = state.settled_cents
        _reverse_items(
            session,
            order,
            items,
            f"refund:{refund.id}",
            chargeback=False,
            settled_cents=state.settled_cents,
        )
        refund.status, refund.settled_at = "succeeded", utcnow()
        if order.tax_calculation_id is not None:
            # Stripe Tax's reversal of the refunded lines, once this commits; the task waits
            # (retries) while the order's transaction is not recorded yet.
            enqueue(session, "payments.reverse_refund_tax", refund.id)
        # Its credit note is numbered in this transaction: no refund without one, no gap.
        invoices.issue_credit_note(session, refund)
        _tell_buyer(session, refund, order, items)
    elif state.status in ("failed", "canceled"):
        refund.status, refund.failure_reason = "failed", f"Stripe says the refund {state.status}."
    else:
        refund.status = "pending"


def _tell_buyer(session: Session, refund: Refund, order: Order, items: list[OrderItem]) -> None:
    """The buyer's email that the money is on its way back (sent once the refund commits)."""
    buyer = session.get(User, order.buyer_id)
    if buyer is None:
        return
    titles: dict[int, str] = {
        asset_id: title
        for asset_id, title in session.execute(
            sa.select(Asset.id, Asset.title).where(Asset.id.in_([i.asset_id for i in items]))
        )
    }
    with force_locale(buyer.locale or DEFAULT_LANGUAGE):
        _queue_refund_email(session, buyer, refund, order, items, titles)


def _queue_refund_email(
    session: Session,
    buyer: User,
    refund: Refund,
    order: Order,
    items: list[OrderItem],
    titles: dict[int, str],
) -> None:
    queue_email(
        session,
        buyer.email,
        gettext("Refund for order #%(number)s", number=order.id),
        "order_refunded",
        buyer_name=buyer.display_name,
        order_id=order.id,
        order_url=f"{public_base_url()}/orders/{order.id}",
        amount_cents=refund.amount_cents,
        currency=refund.currency,
        # No admin asked for it: settlement refunded a second payment for a held licence.
        automatic=refund.requested_by_id is None,
        items=[
            {
                "title": titles.get(item.asset_id) or gettext("Work %(id)s", id=item.asset_id),
                "licence": item.licence,
                "size": item.size,
                "price_cents": item.price_cents,
            }
            for item in items
        ],
    )


def _reverse_items(
    session: Session,
    order: Order,
    items: list[OrderItem],
    key: str,
    *,
    chargeback: bool,
    settled_cents: int | None = None,
) -> None:
    """Refunded or lost: the items' licences end and their sale is reversed in the ledger.

    ``settled_cents``: for an order paid in another currency, what the refund took from
    Stripe's balance in the settlement currency (its balance transaction)."""
    items = [item for item in items if item.status == "active"]
    if not items:
        return
    # One moment for the items' refunded_at and the reversal's posted_at: the tax report reads
    # refunds by the one and the tax accounts by the other, so both fall on the same day.
    now = utcnow()
    if order.settled_cents is not None and order.settled_currency:
        sold = (order.settled_cents, order.settled_currency)
        _reverse_converted(session, order, items, key, chargeback, settled_cents, sold, now)
    else:
        # The items' tax goes back to the buyer (or their bank): owed to nobody any more.
        draft = sales_tax.taxed_refund_entry(
            key,
            order.id,
            order.currency,
            core.sale_items(items),
            _taxes_of(order, items),
            kind=kinds.CHARGEBACK if chargeback else kinds.REFUND,
        )
        ledger.post(session, draft, posted_at=now)
    # Royalties already paid out leave their member owing the co-op (ledger.member_debts).
    member_debts.book_clawbacks(
        session, (item.member_id for item in items), order.settled_currency or order.currency, key
    )
    for item in items:
        item.status, item.refunded_at = "refunded", now
        if item.licence_id is not None:
            licensing.revoke(session, item.licence_id, "refunded")
    # A licence that ended is not a sale: "most licensed" counts the ones that stand.
    session.execute(
        sa.update(Asset)
        .where(Asset.id.in_([item.asset_id for item in items]))
        .values(
            times_licensed=sa.case((Asset.times_licensed > 0, Asset.times_licensed - 1), else_=0)
        )
    )
    order.status = _status_from_items(order)


def _reverse_converted(
    session: Session,
    order: Order,
    items: list[OrderItem],
    key: str,
    chargeback: bool,
    settled_cents: int | None,
    sold: tuple[int, str],
    posted_at: datetime,
) -> None:
    """The reversal of items of an order paid in another currency, in both currencies, with
    the exchange difference between what they brought in and what giving the money back cost
    (``ledger.exchange``); ``sold``: what the whole order brought in, and its currency."""
    refunded, everything = core.sale_items(items), core.sale_items(order.items)
    if settled_cents is None and not chargeback:
        raise RuntimeError(f"Refund {key} of order {order.id} has no balance transaction yet.")
    draft = sales_tax.taxed_foreign_refund_entry(
        key,
        order.id,
        order.currency,
        refunded,
        sold[1],
        everything,
        _taxes_of(order, order.items),
        sold[0],
        settled_cents,
        kind=kinds.CHARGEBACK if chargeback else kinds.REFUND,
    )
    ledger.post(session, draft, posted_at=posted_at)


def _taxes_of(order: Order, items: list[OrderItem]) -> list[sales_tax.ItemTax]:
    """The tax lines of ``items`` of ``order``, as the ledger takes them."""
    ids = {item.id for item in items}
    return core.item_taxes(line for line in order.tax_lines if line.order_item_id in ids)


def _status_from_items(order: Order) -> str:
    refunded = sum(1 for item in order.items if item.status == "refunded")
    if refunded == len(order.items):
        return "refunded"
    return "partially_refunded" if refunded else "paid"
