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

from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, NotFound
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
)
MAX_EVENT_ATTEMPTS = 8
# A "pending" event not processed after this long lost its task (a worker died holding it).
STUCK_EVENT_AFTER = timedelta(minutes=5)


def record_event(event: dict[str, Any]) -> bool:
    """Store a verified event and queue its processing; False when it was delivered before."""
    with unit_of_work() as session:
        if session.get(StripeEvent, event["id"]) is not None:
            return False
        status = "pending" if event["type"] in HANDLED_EVENTS else "ignored"
        try:
            with session.begin_nested():
                session.add(
                    StripeEvent(id=event["id"], type=event["type"], payload=event, status=status)
                )
        except sa.exc.IntegrityError:
            return False  # the same event, delivered twice at the same moment
        if status == "pending":
            enqueue(session, "payments.process_event", event["id"])
        return True


def _backoff(attempts: int) -> timedelta:
    return timedelta(minutes=min(2 ** (attempts - 1), 360))


def process_event(event_id: str) -> None:
    """Apply one stored event. A failure is recorded on the event and retried with backoff."""
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
        apply_dispute(
            DisputeState(
                id=obj["id"],
                charge_id=obj["charge"],
                payment_intent_id=charge.payment_intent_id,
                amount_cents=int(obj["amount"]),
                status=str(obj["status"]),
                reason=str(obj.get("reason") or ""),
                closed=event_type == "charge.dispute.closed",
            )
        )


def rerun_event(event_id: str) -> StripeEvent:
    """An admin asks for a stored event to be applied again (it is a no-op if it was)."""
    with unit_of_work() as session:
        event = lock_row(session, StripeEvent, event_id)
        if event is None:
            raise NotFound("No such event.")
        if event.status == "ignored":
            raise Conflict("This kind of event is not handled by the app.")
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
