"""What Stripe says happened, applied to orders, licences and the ledger, exactly once.

Every function here may run twice, concurrently, or in any order relative to the others
(webhooks are redelivered and reordered; workers crash; admins click twice). Each one
re-reads the state from Stripe, locks the order (or refund) row, and acts only on what has
not been done; the ledger refuses a second entry with the same idempotency key and licences
are issued once per order item.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.ledger import services as ledger
from marketplace.ledger.core import SaleItem
from marketplace.licensing import services as licensing
from marketplace.mail import public_base_url, queue_email
from marketplace.orders.models import Order, OrderItem
from marketplace.payments.gateway import ChargeState, PaymentIntentState, RefundState
from marketplace.payments.models import Dispute, Refund, StripeEvent
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
# Stripe's closing states of a dispute in which the charge stands ("lost" is the only other).
KEPT_DISPUTE_OUTCOMES = ("won", "warning_closed", "prevented")
# Stripe states from which a PaymentIntent can still succeed without the buyer.
STILL_POSSIBLE = ("processing", "requires_action", "requires_confirmation", "succeeded")
RECHECK_FOR = timedelta(days=7)
ABANDONED_AFTER = timedelta(days=1)
# A "pending" event not processed after this long lost its task (a worker died holding it).
STUCK_EVENT_AFTER = timedelta(minutes=5)


class PaymentMismatch(Exception):
    """Stripe's PaymentIntent does not match the order (amount or currency): never settle it."""


# --- webhooks ----------------------------------------------------------------------------


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


# --- payments ----------------------------------------------------------------------------


def _fee_cents(order: Order, intent: PaymentIntentState) -> int:
    if intent.fee_cents is not None:
        return intent.fee_cents
    config = current_app.config
    # Round half up, as card processors do.
    percent = (order.total_cents * config["STRIPE_FEE_BPS"] + 5_000) // 10_000
    return int(min(order.total_cents, percent + config["STRIPE_FEE_FIXED_CENTS"]))


def _sale_items(items: list[OrderItem]) -> list[SaleItem]:
    return [
        SaleItem(
            item_id=item.id,
            member_id=item.member_id,
            price_cents=item.price_cents,
            royalty_bps=item.royalty_bps,
        )
        for item in items
    ]


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
    order.status = "paid"
    order.paid_at = utcnow()
    order.payment_intent_id = intent.id
    order.payment_status = intent.status
    order.payment_error = ""
    order.charge_id = intent.charge_id
    order.fee_cents = _fee_cents(order, intent)
    ledger.post_sale(
        session,
        idempotency_key=f"order:{order.id}:paid",
        order_id=order.id,
        currency=order.currency,
        items=_sale_items(order.items),
        fee_cents=order.fee_cents,
    )
    for item in order.items:
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
    queue_email(
        session,
        order.buyer.email,
        f"Your licences, order #{order.id}",
        "order_paid",
        order=order,
        # Built by hand: this runs in workers too, outside any request.
        order_url=f"{public_base_url()}/orders/{order.id}",
    )


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


# --- refunds -----------------------------------------------------------------------------


def request_refund(admin: User, order_id: int, item_ids: list[int] | None) -> Refund:
    """Record a refund of some (or all remaining) items and queue it for Stripe.

    Items already refunded, or in a refund still under way, cannot be refunded again: the
    app never asks Stripe for more than was paid (the emulator would accept it).
    """
    from marketplace.audit.services import record

    with unit_of_work() as session:
        order = lock_row(session, Order, order_id)
        if order is None:
            raise NotFound("No such order.")
        if order.status not in ("paid", "partially_refunded"):
            raise Conflict(f"An order that is {order.status.replace('_', ' ')} cannot be refunded.")
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
                    f"Order {order.id} has no item {unknown[0]}.", fields={"items": "Unknown item."}
                )
            chosen = [refundable[i] for i in dict.fromkeys(item_ids) if i in refundable]
            if len(chosen) != len(set(item_ids)):
                raise Conflict("Some of those items are already refunded or being refunded.")
        else:
            chosen = list(refundable.values())
        if not chosen:
            raise Conflict("Everything in this order is already refunded or being refunded.")
        refund = Refund(
            order_id=order.id,
            item_ids=[item.id for item in chosen],
            amount_cents=sum(item.price_cents for item in chosen),
            currency=order.currency,
            status="requested",
            requested_by_id=admin.id,
        )
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
        _reverse_items(session, order, items, f"refund:{refund.id}", chargeback=False)
        refund.status, refund.settled_at = "succeeded", utcnow()
    elif state.status in ("failed", "canceled"):
        refund.status, refund.failure_reason = "failed", f"Stripe says the refund {state.status}."
    else:
        refund.status = "pending"


def _reverse_items(
    session: Session, order: Order, items: list[OrderItem], key: str, *, chargeback: bool
) -> None:
    """Refunded or lost: the items' licences end and their sale is reversed in the ledger."""
    items = [item for item in items if item.status == "active"]
    if not items:
        return
    post = ledger.post_chargeback if chargeback else ledger.post_refund
    post(
        session,
        idempotency_key=key,
        order_id=order.id,
        currency=order.currency,
        items=_sale_items(items),
    )
    for item in items:
        item.status, item.refunded_at = "refunded", utcnow()
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


def _status_from_items(order: Order) -> str:
    refunded = sum(1 for item in order.items if item.status == "refunded")
    if refunded == len(order.items):
        return "refunded"
    return "partially_refunded" if refunded else "paid"


# --- disputes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DisputeState:
    id: str
    charge_id: str
    payment_intent_id: str | None
    amount_cents: int
    status: str  # Stripe's: warning_needs_response, needs_response, under_review, won, lost...
    reason: str
    closed: bool


def apply_dispute(state: DisputeState) -> None:
    """Suspend the order's licences while a dispute is open; restore or reverse when it closes."""
    with unit_of_work() as session:
        order_id = session.execute(
            sa.select(Order.id).where(
                sa.or_(
                    Order.charge_id == state.charge_id,
                    Order.payment_intent_id == state.payment_intent_id,
                )
            )
        ).scalar_one_or_none()
        if order_id is None:
            raise NotFound(f"No order for the disputed charge {state.charge_id}.")
        order = lock_row(session, Order, order_id)
        if order is None:
            raise NotFound(f"No order for the disputed charge {state.charge_id}.")
        dispute = session.get(Dispute, state.id)
        if dispute is None:
            dispute = Dispute(
                id=state.id, order_id=order.id, amount_cents=state.amount_cents, status=state.status
            )
            session.add(dispute)
        elif dispute.closed_at is not None:
            return  # closed disputes stay closed; a late "created" changes nothing
        dispute.reason = state.reason
        dispute.status = state.status
        active = [item for item in order.items if item.status == "active"]
        if not state.closed:
            if order.status in ("paid", "partially_refunded"):
                order.status = "disputed"
                for item in active:
                    if item.licence_id is not None:
                        licensing.mark_disputed(session, item.licence_id)
            return
        dispute.closed_at = utcnow()
        # Won, or an inquiry that closed without a chargeback: the co-op keeps the money.
        if state.status in KEPT_DISPUTE_OUTCOMES:
            for item in active:
                if item.licence_id is not None:
                    licensing.restore(session, item.licence_id)
            order.status = _status_from_items(order)
        else:
            _reverse_items(session, order, active, f"dispute:{state.id}:lost", chargeback=True)
