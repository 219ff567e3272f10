"""What Stripe says happened, applied to orders, licences and the ledger, exactly once.

Every function here may run twice, concurrently, or in any order relative to the others
(webhooks are redelivered and reordered; workers crash; admins click twice). Each one
re-reads the state from Stripe, locks the order (or refund) row, and acts only on what has
not been done; the ledger refuses a second entry with the same idempotency key and licences
are issued once per order item.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, NotFound
from marketplace.extensions import db
from marketplace.ledger import core as ledger_core
from marketplace.ledger import exchange
from marketplace.payments import bank_payouts, wakeups
from marketplace.payments.batch import BATCH_SIZE, BATCHED_TYPE, BatchOutcome, settle_batch
from marketplace.payments.disputes import DisputeState, apply_dispute
from marketplace.payments.models import StripeEvent
from marketplace.payments.refunds import apply_charge_refunds
from marketplace.payments.settlement import apply_payment_intent
from marketplace.payments.stripe_gateway import gateway
from marketplace.payouts import services as payouts

log = logging.getLogger(__name__)

HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
    *payouts.HANDLED_EVENTS,
    *bank_payouts.HANDLED_EVENTS,
)
MAX_EVENT_ATTEMPTS = 8
# A "pending" event not processed after this long lost its task (a worker died holding it).
STUCK_EVENT_AFTER = timedelta(minutes=5)
# Batches one task settles before it hands over to a new task (see ``drain_pending``).
DRAIN_BATCHES = 20


def _insert_event(dialect: str) -> sa.Insert:
    """INSERT of one event that skips an id stored before and returns the id it stored."""
    table = StripeEvent.__table__
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    columns = ("id", "type", "payload", "status", "attempts", "last_error", "received_at")
    return (
        insert(table)
        .values({name: sa.bindparam(f"new_{name}", type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=["id"])
        .returning(table.c.id)
    )


_INSERT_EVENT = {dialect: _insert_event(dialect) for dialect in ("postgresql", "sqlite")}


def record_event(event: dict[str, Any]) -> bool:
    """Store a verified event and see that a task will process it; False when it was
    delivered before.

    One statement stores it, committed (durably) when it returns: the insert skips an id
    stored before (even one stored by a concurrent delivery of the same event a moment ago),
    and says whether it stored this one. A payment's task is queued unless one is queued
    already, which will settle this event with the others pending (see ``wakeups``); any
    other event gets its own task.
    """
    status = "pending" if event["type"] in HANDLED_EVENTS else "ignored"
    # A single statement is its own transaction: no BEGIN and COMMIT round trips, and no
    # unit of work around it (the webhook's latency is what this saves).
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        stored = connection.execute(
            _INSERT_EVENT[connection.dialect.name],
            {
                "new_id": event["id"],
                "new_type": event["type"],
                "new_payload": event,
                "new_status": status,
                "new_attempts": 0,
                "new_last_error": "",
                "new_received_at": utcnow(),
            },
        ).first()
    if stored is None:
        return False
    if status == "pending" and (event["type"] != BATCHED_TYPE or wakeups.claim()):
        try:
            # The event is committed already; the task is sent when this commits.
            with unit_of_work() as session:
                enqueue(session, "payments.process_event", event["id"])
        except BaseException:
            if event["type"] == BATCHED_TYPE:
                wakeups.release()  # the task it announced was not sent
            raise
    return True


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def process_event(event_id: str) -> None:
    """Apply one stored event, then every other pending payment (``drain_pending``).

    Payments are settled in batches (``batch``); anything else, and anything a batch leaves
    out, one at a time (``process_one``), where a failure is recorded on the event and
    retried with backoff.
    """
    # Webhooks queue no other task until this one has started (see ``wakeups``).
    wakeups.release()
    try:
        outcome = settle_batch(event_id)
    except Exception:
        # Nothing of the batch was committed; this event goes the one-at-a-time way, and
        # the batch's other events stay pending, for the drain below.
        log.warning("Batch of Stripe event %s failed; settling it alone", event_id, exc_info=True)
        outcome = BatchOutcome(own_done=False, locked=0)
    if not outcome.own_done:
        process_one(event_id)
    for left in outcome.left:
        process_one(left)
    drain_pending(full=outcome.locked >= BATCH_SIZE)


def drain_pending(full: bool = True) -> None:
    """Settle pending payments batch after batch, until a batch finds fewer than it could
    take; after ``DRAIN_BATCHES`` batches, queue a task to go on (other tasks get their turn).
    """
    for _ in range(DRAIN_BATCHES):
        if not full:
            return
        try:
            outcome = settle_batch(None)
        except Exception:
            log.warning("Batch of pending Stripe events failed", exc_info=True)
            return  # they stay pending: the beat's retry_due_events queues them again
        for left in outcome.left:
            process_one(left)
        full = outcome.locked >= BATCH_SIZE
    if full:
        with unit_of_work() as session:
            enqueue(session, "payments.drain_pending")


def process_one(event_id: str) -> None:
    """Apply one stored event alone; a failure is recorded on it and retried with backoff."""
    with unit_of_work() as session:
        event = lock_row(session, StripeEvent, event_id)
        if event is None or event.status in ("processed", "ignored"):
            return
        event.attempts += 1
        event_type, payload = event.type, event.payload
    try:
        _dispatch(event_type, payload["data"]["object"])
    except Exception as error:
        log.exception("Stripe event %s (%s) failed", event_id, event_type)
        with unit_of_work() as session:
            event = lock_row(session, StripeEvent, event_id)
            if event is not None and event.status != "processed":
                event.status = "failed"
                event.last_error = f"{type(error).__name__}: {error}"[:2000]
                event.next_attempt_at = utcnow() + _backoff(event.attempts)
        return
    with unit_of_work() as session:
        event = lock_row(session, StripeEvent, event_id)
        if event is not None:
            event.status, event.processed_at, event.last_error = "processed", utcnow(), ""


def _dispatch(event_type: str, obj: dict[str, Any]) -> None:
    stripe = gateway()
    if event_type in payouts.HANDLED_EVENTS:
        payouts.apply_connect_event(event_type, obj)
    elif event_type in bank_payouts.HANDLED_EVENTS:
        # The event carries the whole payout object: booked from it, once (keyed by its id).
        bank_payouts.apply_payout(obj)
    elif event_type.startswith("payment_intent."):
        apply_payment_intent(stripe.retrieve_payment_intent(obj["id"]))
    elif event_type == "charge.refunded":
        charge = stripe.retrieve_charge(obj["id"])
        # A refund can arrive before the payment it refunds: settle the payment first.
        if charge.payment_intent_id:
            apply_payment_intent(stripe.retrieve_payment_intent(charge.payment_intent_id))
        apply_charge_refunds(charge)
    elif event_type.startswith("charge.dispute."):
        charge = stripe.retrieve_charge(obj["charge"])
        if charge.payment_intent_id:
            apply_payment_intent(stripe.retrieve_payment_intent(charge.payment_intent_id))
        settlement = current_app.config["CURRENCY"]
        apply_dispute(
            DisputeState(
                id=obj["id"],
                charge_id=obj["charge"],
                payment_intent_id=charge.payment_intent_id,
                amount_cents=int(obj["amount"]),
                status=str(obj["status"]),
                reason=str(obj.get("reason") or ""),
                closed=event_type == "charge.dispute.closed",
                fee_cents=ledger_core.dispute_fee_from_stripe(obj),
                settled_cents=exchange.dispute_withdrawn_cents(obj, settlement),
            )
        )


def rerun_event(event_id: str) -> StripeEvent:
    """An admin asks for a stored event to be applied again (it is a no-op if it was)."""
    with unit_of_work() as session:
        event = lock_row(session, StripeEvent, event_id)
        if event is None:
            raise NotFound(gettext("No such event."))
        if event.status == "ignored":
            raise Conflict(gettext("This kind of event is not handled by the app."))
        event.status, event.next_attempt_at = "pending", None
        enqueue(session, "payments.process_event", event.id)
        return event


def retry_due_events() -> int:
    """Queue failed events whose backoff is over, and pending ones whose task was lost."""
    now = utcnow()
    with unit_of_work() as session:
        due = list(
            session.execute(
                sa.select(StripeEvent.id).where(
                    sa.or_(
                        sa.and_(
                            StripeEvent.status == "failed",
                            StripeEvent.next_attempt_at <= now,
                            StripeEvent.attempts < MAX_EVENT_ATTEMPTS,
                        ),
                        sa.and_(
                            StripeEvent.status == "pending",
                            StripeEvent.received_at <= now - STUCK_EVENT_AFTER,
                        ),
                    )
                )
            ).scalars()
        )
        for event_id in due:
            enqueue(session, "payments.process_event", event_id)
    return len(due)
