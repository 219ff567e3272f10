"""Stripe Tax's record of what the co-op collected: a transaction when an order is paid, a
reversal when a refund of a taxed order succeeds. Each is made once: the order (or refund) row
is locked, an id already stored ends the work, and the Stripe call carries an idempotency key
with the order's random token, so a retried task or a duplicate webhook makes no second one.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.background import enqueue
from marketplace.database import unit_of_work
from marketplace.orders.models import Order
from marketplace.payments import stripe_tax
from marketplace.payments.models import Refund


def queue_transactions(session: Session, order_ids: list[int]) -> None:
    """After the commit that pays them, record the tax transactions of ``order_ids``."""
    enqueue(session, "payments.record_tax_transactions", order_ids)


def record_tax_transactions(order_ids: list[int]) -> int:
    """Record the tax transaction of each paid, taxed order of ``order_ids`` that has none;
    how many were recorded."""
    made = 0
    for order_id in order_ids:
        with unit_of_work() as session:
            order = session.execute(
                sa.select(Order).where(Order.id == order_id).with_for_update(of=Order)
            ).scalar_one_or_none()
            if (
                order is None
                or order.paid_at is None
                or order.tax_calculation_id is None
                or order.tax_transaction_id is not None
            ):
                continue
            order.tax_transaction_id = stripe_tax.record_transaction(
                order.tax_calculation_id,
                f"order-{order.id}-{order.idempotency_token}",
                f"order-{order.id}-{order.idempotency_token}-tax-transaction",
            )
            made += 1
    return made


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
