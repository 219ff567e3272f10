"""Stripe Tax's record of what the co-op collected: a transaction when an order is paid, a
reversal when a refund of a taxed order succeeds. Each is made once: the order (or refund) row
is locked, an id already stored ends the work, and the Stripe call carries an idempotency key
with the order's random token, so a retried task or a duplicate webhook makes no second one.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.background import enqueue
from marketplace.database import unit_of_work
from marketplace.orders.models import Order
from marketplace.payments import stripe_tax
from marketplace.payments.gateway import GatewayError
from marketplace.payments.models import Dispute, Refund

log = logging.getLogger(__name__)


def queue_transactions(session: Session, order_ids: list[int]) -> None:
    """After the commit that pays them, record the tax transactions of ``order_ids``."""
    enqueue(session, "payments.record_tax_transactions", order_ids)


def record_tax_transactions(order_ids: list[int]) -> int:
    """For each paid order of ``order_ids`` with a billing place: note its card's country
    (evidence of the buyer's place: a mismatch is for an admin to look at, never a refusal),
    and record its tax transaction when it has a calculation and none yet. How many
    transactions were recorded."""
    made = 0
    for order_id in order_ids:
        with unit_of_work() as session:
            order = session.execute(
                sa.select(Order).where(Order.id == order_id).with_for_update(of=Order)
            ).scalar_one_or_none()
            if order is None or order.paid_at is None or order.billing_country is None:
                continue
            if order.card_country is None and order.payment_intent_id:
                _note_card_country(order)
            if order.tax_calculation_id is None or order.tax_transaction_id is not None:
                continue
            order.tax_transaction_id = stripe_tax.record_transaction(
                order.tax_calculation_id,
                f"order-{order.id}-{order.idempotency_token}",
                f"order-{order.id}-{order.idempotency_token}-tax-transaction",
            )
            made += 1
    return made


def _note_card_country(order: Order) -> None:
    try:
        order.card_country = stripe_tax.card_country(str(order.payment_intent_id))
    except GatewayError:
        # Evidence only: the tax transaction is recorded all the same.
        log.warning("Order %s: the paying card's country could not be read", order.id)
        return
    if order.card_country_mismatch:
        log.info(
            "Order %s: card from %s, billing place %s",
            order.id,
            order.card_country,
            order.billing_country,
        )


def reverse_refund_tax(refund_id: int) -> str | None:
    """Stripe Tax's reversal of the lines a succeeded refund gave back (full when it gave back
    every line); its id, or None when there is nothing (else) to reverse."""
    with unit_of_work() as session:
        refund = session.execute(
            sa.select(Refund).where(Refund.id == refund_id).with_for_update(of=Refund)
        ).scalar_one_or_none()
        if refund is None or refund.status != "succeeded" or refund.tax_transaction_id:
            return None
        order = session.get(Order, refund.order_id)
        if order is None or order.tax_transaction_id is None:
            return None
        refund.tax_transaction_id = stripe_tax.reverse_lines(
            order.tax_transaction_id,
            [f"item-{item_id}" for item_id in refund.item_ids],
            f"refund-{refund.id}-{refund.idempotency_token}",
            f"refund-{refund.id}-{refund.idempotency_token}-tax-reversal",
        )
        return refund.tax_transaction_id


def reverse_dispute_tax(dispute_id: str) -> str | None:
    """Stripe Tax's reversal of the lines a lost dispute took back; its id, or None when
    there is nothing (else) to reverse."""
    with unit_of_work() as session:
        dispute = session.execute(
            sa.select(Dispute).where(Dispute.id == dispute_id).with_for_update(of=Dispute)
        ).scalar_one_or_none()
        if dispute is None or not dispute.item_ids or dispute.tax_transaction_id:
            return None
        order = session.get(Order, dispute.order_id)
        if order is None or order.tax_transaction_id is None:
            return None
        dispute.tax_transaction_id = stripe_tax.reverse_lines(
            order.tax_transaction_id,
            [f"item-{item_id}" for item_id in dispute.item_ids],
            f"dispute-{dispute.id}",
            f"dispute-{dispute.id}-{order.idempotency_token}-tax-reversal",
        )
        return dispute.tax_transaction_id
