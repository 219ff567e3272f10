"""Settling payments: an order becomes paid (once) when Stripe says its PaymentIntent succeeded.

Like everything in :mod:`marketplace.payments`, these functions may run twice or concurrently:
each re-reads the PaymentIntent from Stripe, locks the order row and acts only on what has not
been done.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.ledger import services as ledger
from marketplace.licensing import services as licensing
from marketplace.orders.models import Order, OrderItem
from marketplace.payments import core, refunds, tax_transactions
from marketplace.payments.gateway import PaymentIntentState
from marketplace.payments.stripe_gateway import gateway

log = logging.getLogger(__name__)

# Stripe states from which a PaymentIntent can still succeed without the buyer.
STILL_POSSIBLE = ("processing", "requires_action", "requires_confirmation", "succeeded")
RECHECK_FOR = timedelta(days=7)
ABANDONED_AFTER = timedelta(days=1)


class PaymentMismatch(Exception):
    """Stripe's PaymentIntent does not match the order (amount or currency): never settle it."""


def fee_rule() -> core.FeeRule:
    """Stripe's pricing as this app is configured, for ``core.settle``."""
    config = current_app.config
    return core.FeeRule(config["STRIPE_FEE_BPS"], config["STRIPE_FEE_FIXED_CENTS"])


def apply_payment_intent(intent: PaymentIntentState) -> Order | None:
    """Bring the order in line with its PaymentIntent: paid once it succeeded, never twice."""
    order_id = int(intent.metadata.get("order_id") or 0)
    with unit_of_work() as session:
        order = lock_row(session, Order, order_id)
        if order is None:
            log.warning("PaymentIntent %s names no order of ours", intent.id)
            return None
        if intent.amount_cents != order.total_cents or intent.currency != order.currency:
            raise PaymentMismatch(
                f"PaymentIntent {intent.id} is {intent.amount_cents} {intent.currency}, "
                f"order {order.id} is {order.total_cents} {order.currency}."
            )
        if intent.status == "succeeded":
            if order.status == "pending_payment":
                _mark_paid(session, order, intent)
        elif order.status == "pending_payment" and order.payment_intent_id in (None, intent.id):
            order.payment_intent_id = intent.id
            order.payment_status = intent.status
            if intent.error_message:
                order.payment_error = intent.error_message
        return order


def _mark_paid(session: Session, order: Order, intent: PaymentIntentState) -> None:
    paid = core.settle(
        order.id,
        order.currency,
        order.total_cents,
        core.sale_items(order.items),
        intent,
        fee_rule(),
        current_app.config["CURRENCY"],
        core.item_taxes(order.tax_lines),
    )
    paid_at = utcnow()
    for column, value in {**paid.order_values(paid_at), **paid.settled_values()}.items():
        setattr(order, column, value)
    # Dated as the order's payment, to the microsecond: the tax report reads sales by paid_at
    # and the tax accounts by posted_at, and a sale near midnight must fall on one day in both.
    ledger.post(session, paid.sale, posted_at=paid_at)
    # The buyer's lock (see orders.services.pay) makes this check and the licences issued
    # below one step for this buyer: two of their orders settled at once cannot both find
    # no licence and both issue one.
    lock_row(session, User, order.buyer_id)
    duplicates = [
        item
        for item in order.items
        if licensing.covering_licence(
            session, order.buyer_id, item.asset_id, item.licence, item.size
        )
        is not None
    ]
    for item in order.items:
        if item in duplicates:
            continue
        licence = licensing.issue(
            session,
            holder_id=order.buyer_id,
            asset_id=item.asset_id,
            terms_id=item.terms_id,
            size=item.size,
            price_cents=item.price_cents,
            currency=order.currency,
            order_id=order.id,
            order_item_id=item.id,
        )
        item.licence_id = licence.id
    session.execute(
        sa.update(Asset)
        .where(Asset.id.in_([item.asset_id for item in order.items]))
        .values(times_licensed=Asset.times_licensed + 1)
    )
    session.flush()
    if duplicates:
        _refund_duplicates(session, order, duplicates)
    # The receipt is composed and sent by a task, after the commit (as for a batch of orders).
    enqueue(session, "payments.send_receipts", [order.id])
    if order.billing_country:
        tax_transactions.queue_transactions(session, [order.id])


def _refund_duplicates(session: Session, order: Order, items: list[OrderItem]) -> None:
    """Refund what the buyer paid for twice: items whose licence they already held when the
    payment settled (two orders paid before either settled, e.g. one after 3-D Secure).

    The money was taken, so the sale stays posted, and no licence is issued for these items.
    The refund is the one an admin would ask for (``refunds.request_refund``): recorded, sent
    to Stripe by the same task, and once Stripe confirms it the items are marked refunded and
    their sale reversed in the ledger, which stays balanced throughout.
    """
    # What the buyer paid for these items, tax included: the refund gives both back.
    refund = refunds.refund_of(order, items, requested_by_id=None)
    session.add(refund)
    session.flush()
    log.warning(
        "Order %s paid for licences buyer %s already holds (items %s): refund %s requested",
        order.id,
        order.buyer_id,
        refund.item_ids,
        refund.id,
    )
    enqueue(session, "payments.send_refund", refund.id)


def recheck_pending_orders() -> int:
    """Ask Stripe about orders whose payment started long ago and is still not confirmed.

    A lost webhook must never strand a paid order. Only payments that may still succeed are
    asked about (a declined card is the buyer's to retry), for a week at most.
    """
    now = utcnow()
    cutoff = now - timedelta(minutes=current_app.config["PENDING_PAYMENT_RECHECK_MINUTES"])
    pending = list(
        _scalars(
            sa.select(Order.payment_intent_id).where(
                Order.status == "pending_payment",
                Order.payment_intent_id.is_not(None),
                Order.payment_status.in_(STILL_POSSIBLE),
                Order.payment_started_at <= cutoff,
                Order.payment_started_at >= now - RECHECK_FOR,
            )
        )
    )
    stripe = gateway()
    for intent_id in pending:
        apply_payment_intent(stripe.retrieve_payment_intent(intent_id))
    return len(pending)


def cancel_abandoned_orders() -> int:
    """Cancel orders left unpaid for a day, once Stripe confirms no payment can still land."""
    stale = _scalars(
        sa.select(Order.id).where(
            Order.status == "pending_payment", Order.created_at <= utcnow() - ABANDONED_AFTER
        )
    )
    stripe = gateway()
    cancelled = 0
    for order_id in stale:
        with unit_of_work() as session:
            order = lock_row(session, Order, order_id)
            if order is None or order.status != "pending_payment":
                continue
            intent_id = order.payment_intent_id
        if intent_id:
            state = apply_payment_intent(stripe.retrieve_payment_intent(intent_id))
            if state is None or state.status != "pending_payment":
                continue
            if order.payment_status in STILL_POSSIBLE:
                continue
        with unit_of_work() as session:
            order = lock_row(session, Order, order_id)
            if order is not None and order.status == "pending_payment":
                order.status = "cancelled"
                cancelled += 1
    return cancelled


def _scalars(statement: sa.Select[Any]) -> list[Any]:
    with unit_of_work() as session:
        return list(session.execute(statement).scalars())
