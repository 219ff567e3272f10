"""Disputes: the order's licences are suspended while one is open, then restored or reversed."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext

from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import NotFound
from marketplace.invoices import services as invoices
from marketplace.ledger import services as ledger
from marketplace.licensing import services as licensing
from marketplace.orders.models import Order
from marketplace.payments.models import Dispute
from marketplace.payments.refunds import _reverse_items, _status_from_items

# Stripe's closing states of a dispute in which the charge stands ("lost" is the only other).
KEPT_DISPUTE_OUTCOMES = ("won", "warning_closed", "prevented")


@dataclass(frozen=True)
class DisputeState:
    id: str
    charge_id: str
    payment_intent_id: str | None
    amount_cents: int
    status: str  # Stripe's: warning_needs_response, needs_response, under_review, won, lost...
    reason: str
    closed: bool
    # What Stripe charged for the dispute (its balance transactions' fees); None: not given.
    fee_cents: int | None = None
    # A payment in another currency: what the dispute withdrew, in the settlement currency.
    settled_cents: int | None = None


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
            raise NotFound(
                gettext("No order for the disputed charge %(charge)s.", charge=state.charge_id)
            )
        order = lock_row(session, Order, order_id)
        if order is None:
            raise NotFound(
                gettext("No order for the disputed charge %(charge)s.", charge=state.charge_id)
            )
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
            _reverse_items(
                session,
                order,
                active,
                f"dispute:{state.id}:lost",
                chargeback=True,
                settled_cents=state.settled_cents,
            )
            dispute.item_ids = [item.id for item in active]
            if order.tax_calculation_id is not None and active:
                # Stripe Tax's reversal of the tax the bank took back, once this commits; the
                # task waits (retries) while the order's transaction is not recorded yet.
                enqueue(session, "payments.reverse_dispute_tax", dispute.id)
            # The price and tax went back to the buyer: the invoice gets its credit note.
            invoices.issue_chargeback_credit_note(
                session, order.id, state.id, [item.id for item in active]
            )
            # Stripe keeps its dispute fee when the dispute is lost: a cost of its own.
            ledger.post_dispute_fee(
                session,
                dispute_id=state.id,
                order_id=order.id,
                # Stripe charges its fee in the settlement currency.
                currency=order.settled_currency or order.currency,
                fee_cents=state.fee_cents,
            )
