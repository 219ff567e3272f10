"""Counting what the money code did, once its transaction committed.

The money services set statuses on rows (an order becomes ``paid``, a payout line ``failed``,
a Stripe event ``processed``); listening to those attribute changes counts every path that
makes them without a metrics call in each. A count is held on the session and added only after
the commit, so a rolled-back settlement counts nothing. The one path that writes with a bulk
UPDATE (payments.batch) calls :func:`note_events_settled` and :func:`note_orders_paid`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from marketplace.dividends.models import DividendAllocation, RedemptionLine
from marketplace.observability.metrics import (
    ORDERS_PAID,
    TRANSFER_FAILURES,
    WEBHOOK_LAG,
)
from marketplace.orders.models import Order
from marketplace.payments.models import StripeEvent
from marketplace.payouts.models import PayoutLine

_PENDING = "observability_pending_counts"


def _on_commit(session: Session | None, count: Callable[[], None]) -> None:
    if session is None:
        # A row outside any session (built in a test): nothing will commit it.
        return
    session.info.setdefault(_PENDING, []).append(count)


def _session_of(target: Any) -> Session | None:
    from sqlalchemy.orm import object_session

    return object_session(target)


def webhook_lag_seconds(payload: dict[str, Any], now: float | None = None) -> float | None:
    """Seconds from the event's ``created`` (Unix time, set by Stripe) to ``now``; never < 0."""
    created = payload.get("created") if isinstance(payload, dict) else None
    if not isinstance(created, int | float) or isinstance(created, bool):
        return None
    return max(0.0, (time.time() if now is None else now) - float(created))


def _observe_lag(payload: dict[str, Any]) -> Callable[[], None]:
    def observe() -> None:
        lag = webhook_lag_seconds(payload)
        if lag is not None:
            WEBHOOK_LAG.observe(lag)

    return observe


def note_events_settled(session: Session, payloads: Iterable[dict[str, Any]]) -> None:
    """Stripe events settled by a bulk UPDATE (payments.batch): their lag, at commit."""
    for payload in payloads:
        _on_commit(session, _observe_lag(payload))


def note_orders_paid(session: Session, orders: int) -> None:
    """Orders paid by a bulk UPDATE (payments.batch), counted at commit."""
    if orders:
        _on_commit(session, lambda: ORDERS_PAID.inc(orders))


@event.listens_for(Order.status, "set")
def _order_status_set(target: Order, value: str, oldvalue: Any, _initiator: Any) -> None:
    if value == "paid" and oldvalue != "paid":
        _on_commit(_session_of(target), ORDERS_PAID.inc)


@event.listens_for(StripeEvent.status, "set")
def _event_status_set(target: StripeEvent, value: str, oldvalue: Any, _initiator: Any) -> None:
    if value == "processed" and oldvalue != "processed":
        _on_commit(_session_of(target), _observe_lag(target.payload))


def _count_failures(kind: str) -> Callable[[Any, str, Any, Any], None]:
    def listener(target: Any, value: str, oldvalue: Any, _initiator: Any) -> None:
        # A retry that fails again is another failed transfer: count every move to failed.
        if value == "failed":
            _on_commit(_session_of(target), TRANSFER_FAILURES.labels(kind).inc)

    return listener


event.listen(PayoutLine.status, "set", _count_failures("payout"))
event.listen(DividendAllocation.status, "set", _count_failures("dividend"))
event.listen(RedemptionLine.status, "set", _count_failures("redemption"))


@event.listens_for(Session, "after_commit")
def _count_after_commit(session: Session) -> None:
    for count in session.info.pop(_PENDING, []):
        count()


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session: Session, transaction: Any) -> None:
    # After a commit the counts are gone already; after any rollback (even one that ran no SQL
    # and so fired no rollback event) they must not wait for the next commit.
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
