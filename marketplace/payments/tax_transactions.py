"""Stripe Tax's record of what the co-op collected: a transaction when an order is paid, a
reversal when a refund of a taxed order succeeds or a dispute of one is lost. Each is made
once: the order (refund, dispute) row is locked, an id already stored ends the work, and the
Stripe call carries an idempotency key with the order's random token, so a retried task or a
duplicate webhook makes no second one. A reversal asked for before the order's transaction is
recorded waits for it (``TaxTransactionPending``: the task retries), and recording a
transaction queues the reversals already waiting; a periodic sweep records what no task did.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.background import enqueue
from marketplace.database import unit_of_work, utcnow
from marketplace.orders.models import Order
from marketplace.payments import stripe_tax
from marketplace.payments.gateway import GatewayError
from marketplace.payments.models import Dispute, Refund

log = logging.getLogger(__name__)

# Paid this long ago and still no tax transaction: the sweep records it (the task queued by the
# paying commit was lost, or failed more often than it retries).
SWEEP_AFTER = timedelta(minutes=10)


class TaxTransactionPending(GatewayError):
    """The order's tax transaction is not recorded yet, so a reversal of its lines cannot be
    made: the task retries (``record_tax_transactions`` also queues the reversals it finds)."""


class TaxTransactionsFailed(GatewayError):
    """Stripe failed some orders of a batch (the others were recorded): the task retries them."""


def queue_transactions(session: Session, order_ids: list[int]) -> None:
    """After the commit that pays them, record the tax transactions of ``order_ids``."""
    if order_ids:
        enqueue(session, "payments.record_tax_transactions", order_ids)


def record_tax_transactions(order_ids: list[int]) -> int:
    """For each paid order of ``order_ids`` with a billing place: note its card's country
    (evidence of the buyer's place: a mismatch is for an admin to look at, never a refusal),
    and record its tax transaction when it has a calculation and none yet. How many
    transactions were recorded."""
    made, failed = 0, []
    for order_id in _with_billing_place(order_ids):
        try:
            made += _record_one(order_id)
        except GatewayError as error:
            # One order Stripe failed does not stop the others; the task retries the batch
            # (what was recorded is skipped then).
            log.warning("Order %s: tax transaction not recorded: %s", order_id, error)
            failed.append(order_id)
    if failed:
        raise TaxTransactionsFailed(f"Tax transactions of orders {failed} not recorded.")
    return made


def _with_billing_place(order_ids: list[int]) -> list[int]:
    """The paid orders of ``order_ids`` that said where their buyer is, in one query: most
    payments of a batch have nothing for Stripe Tax, and a transaction each to find that out
    cost a worker 1 ms a payment."""
    if not order_ids:
        return []
    with unit_of_work() as session:
        return list(
            session.execute(
                sa.select(Order.id)
                .where(
                    Order.id.in_(order_ids),
                    Order.paid_at.is_not(None),
                    Order.billing_country.is_not(None),
                )
                .order_by(Order.id)
            ).scalars()
        )


def _record_one(order_id: int) -> int:
    with unit_of_work() as session:
        order = session.execute(
            sa.select(Order).where(Order.id == order_id).with_for_update(of=Order)
        ).scalar_one_or_none()
        if order is None or order.paid_at is None or order.billing_country is None:
            return 0
        if order.card_country is None and order.payment_intent_id:
            _note_card_country(order)
        if order.tax_calculation_id is None or order.tax_transaction_id is not None:
            return 0
        order.tax_transaction_id = stripe_tax.record_transaction(
            order.tax_calculation_id,
            f"order-{order.id}-{order.idempotency_token}",
            f"order-{order.id}-{order.idempotency_token}-tax-transaction",
        )
        _queue_waiting_reversals(session, order.id)
        return 1


def _queue_waiting_reversals(session: Session, order_id: int) -> None:
    """Refunds and lost disputes of the order that went through before its tax transaction
    was recorded: their reversals, once this commits (each is made once, see above)."""
    for refund_id in session.execute(
        sa.select(Refund.id).where(
            Refund.order_id == order_id,
            Refund.status == "succeeded",
            Refund.tax_transaction_id.is_(None),
        )
    ).scalars():
        enqueue(session, "payments.reverse_refund_tax", refund_id)
    for dispute in session.execute(
        sa.select(Dispute).where(Dispute.order_id == order_id, Dispute.tax_transaction_id.is_(None))
    ).scalars():
        if dispute.item_ids:  # lost, and it took items back
            enqueue(session, "payments.reverse_dispute_tax", dispute.id)


def sweep_missing_transactions() -> int:
    """Record the tax transactions of paid orders that have a calculation and, some minutes
    after they were paid, still no transaction (a lost or exhausted task); how many."""
    with unit_of_work() as session:
        missing = list(
            session.execute(
                sa.select(Order.id)
                .where(
                    Order.paid_at.is_not(None),
                    Order.paid_at <= utcnow() - SWEEP_AFTER,
                    Order.tax_calculation_id.is_not(None),
                    Order.tax_transaction_id.is_(None),
                    Order.billing_country.is_not(None),
                )
                .order_by(Order.id)
            ).scalars()
        )
    return record_tax_transactions(missing) if missing else 0


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
        if order is None or order.tax_calculation_id is None:
            return None
        if order.tax_transaction_id is None:
            raise TaxTransactionPending(f"Order {order.id} has no tax transaction yet.")
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
        if order is None or order.tax_calculation_id is None:
            return None
        if order.tax_transaction_id is None:
            raise TaxTransactionPending(f"Order {order.id} has no tax transaction yet.")
        dispute.tax_transaction_id = stripe_tax.reverse_lines(
            order.tax_transaction_id,
            [f"item-{item_id}" for item_id in dispute.item_ids],
            f"dispute-{dispute.id}",
            f"dispute-{dispute.id}-{order.idempotency_token}-tax-reversal",
        )
        return dispute.tax_transaction_id
