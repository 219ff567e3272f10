"""Paying orders in batches: how ``payment_intent.succeeded`` events are settled.

A task settles its own event and up to ``BATCH_SIZE - 1`` other pending ones of the same kind
in one transaction, then goes on batch after batch while more are pending
(``services.process_event``): a few statements for the whole batch (orders, ledger entries,
licences, assets, events) instead of a few dozen per event, and one commit. The guarantees
are those of the one-at-a-time path (``settlement.apply_payment_intent``):

* every PaymentIntent is read again from Stripe before anything is done with it;
* the events are locked (their own task waits for its event; the others are taken only when
  no one holds them: ``SKIP LOCKED``), then the orders, by id, before they are read, so two
  batches never pay one order; an order already paid (a replay, another path) is left alone;
* the ledger entry keeps its idempotency key and each licence its unique order item, so even
  a batch that raced the one-at-a-time path posts nothing twice;
* the events are marked processed in the same transaction: a crash (even SIGKILL) leaves all
  of it undone, and the event's task, delivered again, does it all again.

Anything unusual goes the one-at-a-time way (``services.process_one``, right after the
batch), which records failures for retry: an event whose PaymentIntent cannot be read or has
not succeeded, an order that is not ours or does not match its PaymentIntent, an order that
may pay for a licence its buyer holds (``_maybe_licensed``). The batch leaves such an event
untouched.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.background import enqueue
from marketplace.database import unit_of_work, utcnow
from marketplace.ledger import services as ledger
from marketplace.licensing.issuing import LicenceGrant, issue_many
from marketplace.licensing.models import STANDING_STATUSES, Licence
from marketplace.observability.money_events import note_events_settled, note_orders_paid
from marketplace.orders.models import Order, OrderItem, OrderTaxLine
from marketplace.payments import core, tax_transactions
from marketplace.payments.gateway import GatewayError, PaymentIntentState
from marketplace.payments.models import StripeEvent
from marketplace.payments.settlement import fee_rule
from marketplace.payments.stripe_gateway import gateway

log = logging.getLogger(__name__)

BATCHED_TYPE = "payment_intent.succeeded"
# Large enough that the per-batch statements cost little per event, small enough that the
# locks are held for a few dozen Stripe reads at most.
BATCH_SIZE = 50

EVENTS = StripeEvent.__table__
ORDERS = Order.__table__
ITEMS = OrderItem.__table__
TAX_LINES = OrderTaxLine.__table__
ASSETS = Asset.__table__
USERS = User.__table__
LICENCES = Licence.__table__


@dataclass(frozen=True)
class _Payment:
    event_id: str
    intent: PaymentIntentState
    order_id: int


@dataclass(frozen=True)
class BatchOutcome:
    """What one batch did: ``own_done`` says the event it was asked for needs nothing more;
    ``locked`` counts the events it took; ``left`` are those it took and left pending, for the
    one-at-a-time path."""

    own_done: bool
    locked: int
    left: list[str] = field(default_factory=list)


def settle_batch(event_id: str | None) -> BatchOutcome:
    """Settle event ``event_id`` (when given) with other pending events of its kind, up to
    ``BATCH_SIZE``, in one transaction.

    ``own_done`` is False when the event must go the one-at-a-time way (another kind, a
    failed event being retried, or one this path leaves out, see the module's docstring).
    Raises (and commits nothing) on a database error.
    """
    stripe = gateway()
    with unit_of_work() as session:
        events = []
        if event_id is not None:
            own = _lock_own_event(session, event_id)
            if own is not None and own.status not in ("processed", "ignored"):
                if own.type != BATCHED_TYPE or own.status != "pending":
                    return BatchOutcome(own_done=False, locked=0)
                events = [own]
        own_pending = bool(events)
        events += _lock_other_events(session, event_id, BATCH_SIZE - len(events))
        payments = []
        for event in events:
            payment = _read_payment(stripe, event)
            if payment is not None:
                payments.append(payment)
        settled = _pay_orders(session, payments)
        if settled:
            note_events_settled(session, [e.payload for e in events if e.id in set(settled)])
            session.execute(
                sa.update(EVENTS)
                .where(EVENTS.c.id.in_(settled))
                .values(
                    status="processed",
                    processed_at=utcnow(),
                    last_error="",
                    attempts=EVENTS.c.attempts + 1,
                )
            )
        done = set(settled)
        left = [e.id for e in events if e.id not in done and e.id != event_id]
        own_done = not own_pending or event_id in done
        return BatchOutcome(own_done=own_done, locked=len(events), left=left)


def _lock_own_event(session: Session, event_id: str) -> Any:
    if session.get_bind().dialect.name == "sqlite":
        # No row locks: take the database's write lock first (see database.lock_row).
        session.execute(sa.update(EVENTS).where(EVENTS.c.id == event_id).values(id=EVENTS.c.id))
    return session.execute(
        sa.select(EVENTS.c.id, EVENTS.c.type, EVENTS.c.status, EVENTS.c.payload)
        .where(EVENTS.c.id == event_id)
        .with_for_update(of=EVENTS)
    ).first()


def _lock_other_events(session: Session, event_id: str | None, limit: int) -> list[Any]:
    query = sa.select(EVENTS.c.id, EVENTS.c.type, EVENTS.c.status, EVENTS.c.payload).where(
        EVENTS.c.status == "pending", EVENTS.c.type == BATCHED_TYPE
    )
    if event_id is not None:
        query = query.where(EVENTS.c.id != event_id)
    if session.get_bind().dialect.name == "sqlite" and event_id is None:
        # No row locks: take the database's write lock first (see database.lock_row).
        session.execute(sa.update(EVENTS).where(sa.false()).values(id=EVENTS.c.id))
    return list(session.execute(query.limit(limit).with_for_update(of=EVENTS, skip_locked=True)))


def _read_payment(stripe: Any, event: Any) -> _Payment | None:
    """The event's PaymentIntent as Stripe has it now, when this path can settle it."""
    try:
        intent_id = str(event.payload["data"]["object"]["id"])
        intent: PaymentIntentState = stripe.retrieve_payment_intent(intent_id)
    except (GatewayError, KeyError, TypeError):
        log.info("Event %s left to the one-at-a-time path: no PaymentIntent read", event.id)
        return None
    order_id = intent.metadata.get("order_id", "")
    if intent.status != "succeeded" or not order_id.isdigit():
        return None
    return _Payment(event_id=event.id, intent=intent, order_id=int(order_id))


def _pay_orders(session: Session, payments: list[_Payment]) -> list[str]:
    """Pay the orders of ``payments`` that are still pending; the ids of the events settled
    (those whose order is now paid, here or before)."""
    if not payments:
        return []
    orders = {
        row.id: row
        for row in session.execute(
            sa.select(
                ORDERS.c.id,
                ORDERS.c.status,
                ORDERS.c.total_cents,
                ORDERS.c.currency,
                ORDERS.c.buyer_id,
                ORDERS.c.billing_country,
            )
            .where(ORDERS.c.id.in_(sorted({p.order_id for p in payments})))
            .order_by(ORDERS.c.id)  # the same lock order in every transaction: no deadlock
            .with_for_update(of=ORDERS)
        )
    }
    settled: list[str] = []
    to_pay: dict[int, _Payment] = {}
    for payment in payments:
        order = orders.get(payment.order_id)
        intent = payment.intent
        if order is None or (intent.amount_cents, intent.currency) != (
            order.total_cents,
            order.currency,
        ):
            continue  # not ours, or a mismatch: the one-at-a-time path records it
        settled.append(payment.event_id)
        if order.status == "pending_payment":
            to_pay.setdefault(order.id, payment)
    doubtful = _maybe_licensed(session, orders, to_pay)
    if doubtful:
        # Left pending, for the one-at-a-time path (see ``_maybe_licensed``).
        settled = [
            p.event_id for p in payments if p.event_id in settled and p.order_id not in doubtful
        ]
        to_pay = {order_id: p for order_id, p in to_pay.items() if order_id not in doubtful}
    if to_pay:
        _mark_paid(session, {order_id: orders[order_id] for order_id in to_pay}, to_pay)
        note_orders_paid(session, len(to_pay))
    return settled


def _maybe_licensed(session: Session, orders: dict[int, Any], to_pay: dict[int, Any]) -> set[int]:
    """Orders of ``to_pay`` that may pay for a licence their buyer holds already: the buyer
    holds a standing licence for one of their assets, or another order of this batch is for
    the same buyer and asset.

    Rare (the payment path refuses them while it can); the one-at-a-time path settles them,
    which checks which licences are covered and refunds those (``settlement._mark_paid``).
    The buyers are locked first, in id order, as ``settlement`` locks them.
    """
    if not to_pay:
        return set()
    buyers = sorted({orders[order_id].buyer_id for order_id in to_pay})
    session.execute(
        sa.select(USERS.c.id)
        .where(USERS.c.id.in_(buyers))
        .order_by(USERS.c.id)
        .with_for_update(of=USERS)
    )
    items = list(
        session.execute(
            sa.select(ITEMS.c.order_id, ITEMS.c.asset_id).where(ITEMS.c.order_id.in_(list(to_pay)))
        )
    )
    wanted = Counter((orders[item.order_id].buyer_id, item.asset_id) for item in items)
    held = {
        (holder, asset)
        for holder, asset in session.execute(
            sa.select(LICENCES.c.holder_user_id, LICENCES.c.asset_id).where(
                LICENCES.c.holder_user_id.in_(buyers),
                LICENCES.c.asset_id.in_({asset for _, asset in wanted}),
                LICENCES.c.status.in_(STANDING_STATUSES),
            )
        )
    }
    return {
        item.order_id
        for item in items
        if (pair := (orders[item.order_id].buyer_id, item.asset_id)) in held or wanted[pair] > 1
    }


def _mark_paid(session: Session, orders: dict[int, Any], payments: dict[int, _Payment]) -> None:
    """Pay all of ``orders`` at once by the rule one order is paid by (``core.settle``): their
    columns, their sale entries, licences, the assets' sale counts and the receipts."""
    items = list(
        session.execute(
            sa.select(
                ITEMS.c.id,
                ITEMS.c.order_id,
                ITEMS.c.asset_id,
                ITEMS.c.member_id,
                ITEMS.c.terms_id,
                ITEMS.c.size,
                ITEMS.c.price_cents,
                ITEMS.c.royalty_bps,
            )
            .where(ITEMS.c.order_id.in_(list(orders)))
            .order_by(ITEMS.c.id)
        )
    )
    by_order: dict[int, list[Any]] = {order_id: [] for order_id in orders}
    for item in items:
        by_order[item.order_id].append(item)
    taxes: dict[int, list[Any]] = {order_id: [] for order_id in orders}
    for line in session.execute(
        sa.select(
            TAX_LINES.c.order_id,
            TAX_LINES.c.order_item_id,
            TAX_LINES.c.jurisdiction,
            TAX_LINES.c.tax_cents,
        )
        .where(TAX_LINES.c.order_id.in_(list(orders)))
        .order_by(TAX_LINES.c.id)
    ):
        taxes[line.order_id].append(line)
    rule = fee_rule()
    paid = [
        core.settle(
            order_id,
            order.currency,
            order.total_cents,
            core.sale_items(by_order[order_id]),
            payments[order_id].intent,
            rule,
            current_app.config["CURRENCY"],
            core.item_taxes(taxes[order_id]),
        )
        for order_id, order in orders.items()
    ]
    now = utcnow()
    # Bound names other than the columns' (an UPDATE keeps those for itself).
    session.execute(
        sa.update(ORDERS)
        .where(ORDERS.c.id == sa.bindparam("order_id"))
        .values({column: sa.bindparam(f"new_{column}") for column in core.PAID_COLUMNS}),
        [
            {
                "order_id": settled.order_id,
                **{f"new_{column}": value for column, value in settled.order_values(now).items()},
            }
            for settled in paid
        ],
    )
    converted = [
        {
            "order_id": settled.order_id,
            **{f"new_{k}": v for k, v in settled.settled_values().items()},
        }
        for settled in paid
        if settled.settled is not None
    ]
    if converted:
        session.execute(
            sa.update(ORDERS)
            .where(ORDERS.c.id == sa.bindparam("order_id"))
            .values({column: sa.bindparam(f"new_{column}") for column in core.SETTLED_COLUMNS}),
            converted,
        )
    # Dated as the orders' payment (paid_at): the tax report reads both, see settlement.
    ledger.post_many(session, [settled.sale for settled in paid], posted_at=now)
    _issue_licences(session, orders, items)
    # One statement per asset, in id order, so that concurrent batches lock assets in the
    # same order.
    sold = Counter(item.asset_id for item in items)
    session.execute(
        sa.update(ASSETS)
        .where(ASSETS.c.id == sa.bindparam("asset_id"))
        .values(times_licensed=ASSETS.c.times_licensed + sa.bindparam("sold")),
        [{"asset_id": asset_id, "sold": sold[asset_id]} for asset_id in sorted(sold)],
    )
    enqueue(session, "payments.send_receipts", list(orders))
    # Stripe Tax records only orders that said where their buyer is (a task less per batch
    # of untaxed payments: about a no-op task's CPU each).
    tax_transactions.queue_transactions(
        session, [order_id for order_id, order in orders.items() if order.billing_country]
    )


def _issue_licences(session: Session, orders: dict[int, Any], items: list[Any]) -> None:
    grants: list[LicenceGrant] = [
        {
            "holder_user_id": orders[item.order_id].buyer_id,
            "asset_id": item.asset_id,
            "terms_id": item.terms_id,
            "size": item.size,
            "price_cents": item.price_cents,
            "currency": orders[item.order_id].currency,
            "order_id": item.order_id,
            "order_item_id": item.id,
        }
        for item in items
    ]
    licences = issue_many(session, grants)
    session.execute(
        sa.update(ITEMS)
        .where(ITEMS.c.id == sa.bindparam("item_id"))
        .values(licence_id=sa.bindparam("new_licence_id")),
        [{"item_id": item, "new_licence_id": licence} for item, licence in licences.items()],
    )
