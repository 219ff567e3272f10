"""The daily comparison of Stripe's records with ours. Differences become issues for an admin."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from marketplace.orders.models import Order
from marketplace.payments.models import ReconciliationIssue, Refund
from marketplace.payments.stripe_gateway import gateway

SETTLED = ("paid", "refunded", "partially_refunded", "disputed")


def reconcile_day(day: date) -> int:
    """Compare one UTC day's PaymentIntents and refunds at Stripe with orders and the ledger.

    Returns how many new issues were found; running it again finds nothing new.
    """
    since = datetime.combine(day, time.min, tzinfo=UTC)
    until = since + timedelta(days=1)
    stripe = gateway()
    found: list[tuple[str, str, str]] = []
    seen_intents: set[str] = set()
    for intent in stripe.list_payment_intents(since, until):
        if intent.status != "succeeded":
            continue
        seen_intents.add(intent.id)
        order_id = int(intent.metadata.get("order_id") or 0)
        order = db.session.get(Order, order_id)
        if order is None:
            found.append(
                ("payment_without_order", intent.id, f"{intent.amount_cents} paid, no order")
            )
            continue
        if order.status not in SETTLED or order.payment_intent_id != intent.id:
            found.append(
                (
                    "payment_not_recorded",
                    intent.id,
                    f"Stripe has {intent.amount_cents} {intent.currency} paid for order "
                    f"{order.id}, which is {order.status}.",
                )
            )
            continue
        entry = db.session.execute(
            sa.select(JournalEntry).where(JournalEntry.idempotency_key == f"order:{order.id}:paid")
        ).scalar_one_or_none()
        if entry is None:
            found.append(("sale_not_in_ledger", intent.id, f"Order {order.id} has no sale entry."))
        settled = intent.settled
        if settled is not None and (settled.amount_cents, settled.fee_cents) != (
            order.settled_cents,
            order.fee_cents,
        ):
            found.append(
                (
                    "settlement_differs",
                    intent.id,
                    f"Stripe's balance transaction has {settled.amount_cents} {settled.currency} "
                    f"received, fee {settled.fee_cents}; order {order.id} has "
                    f"{order.settled_cents}, fee {order.fee_cents}.",
                )
            )
        for refund in stripe.list_refunds(intent.id):
            if refund.status != "succeeded":
                continue
            ours = db.session.execute(
                sa.select(Refund).where(Refund.stripe_refund_id == refund.id)
            ).scalar_one_or_none()
            if ours is None or ours.status != "succeeded":
                found.append(
                    (
                        "refund_not_recorded",
                        refund.id,
                        f"Stripe refunded {refund.amount_cents} on order {order.id}; "
                        "the app has no settled refund for it.",
                    )
                )
            elif refund.settled_cents is not None and refund.settled_cents != ours.settled_cents:
                found.append(
                    (
                        "refund_settlement_differs",
                        refund.id,
                        f"Stripe's balance transaction has {refund.settled_cents} out for the "
                        f"refund on order {order.id}; the app has {ours.settled_cents}.",
                    )
                )
    paid_here = db.session.execute(
        sa.select(Order.id, Order.payment_intent_id).where(
            Order.paid_at >= since, Order.paid_at < until, Order.status.in_(SETTLED)
        )
    ).all()
    for order_id, intent_id in paid_here:
        if intent_id and intent_id not in seen_intents:
            intent = stripe.retrieve_payment_intent(intent_id)
            if intent.status != "succeeded":
                found.append(
                    (
                        "order_paid_not_in_stripe",
                        intent_id,
                        f"Order {order_id} is paid here; Stripe says {intent.status}.",
                    )
                )
    return _record(day, found)


def _record(day: date, found: list[tuple[str, str, str]]) -> int:
    new = 0
    with unit_of_work() as session:
        for kind, reference, detail in found:
            exists = session.execute(
                sa.select(ReconciliationIssue.id).where(
                    ReconciliationIssue.day == day.isoformat(),
                    ReconciliationIssue.kind == kind,
                    ReconciliationIssue.reference == reference,
                )
            ).first()
            if exists is None:
                session.add(
                    ReconciliationIssue(
                        day=day.isoformat(), kind=kind, reference=reference, detail=detail
                    )
                )
                new += 1
    return new


def open_issues() -> list[ReconciliationIssue]:
    return list(
        db.session.execute(
            sa.select(ReconciliationIssue)
            .where(ReconciliationIssue.resolved_at.is_(None))
            .order_by(ReconciliationIssue.id.desc())
        ).scalars()
    )
