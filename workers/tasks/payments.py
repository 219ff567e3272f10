"""Payments: Stripe events, refunds, and the checks that a lost webhook never strands an order."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task

from marketplace.payments import (
    bank_payout_sync,
    receipts,
    reconciliation,
    refunds,
    services,
    settlement,
    tax_transactions,
)
from marketplace.payments.gateway import GatewayError


@shared_task(name="payments.process_event", acks_late=True, reject_on_worker_lost=True)
def process_event(event_id: str) -> None:
    services.process_event(event_id)


@shared_task(name="payments.drain_pending", acks_late=True, reject_on_worker_lost=True)
def drain_pending() -> None:
    services.drain_pending()


@shared_task(name="payments.send_receipts", acks_late=True)
def send_receipts(order_ids: list[int]) -> int:
    return receipts.send_receipts(order_ids)


# Stripe Tax unreachable, or an order's transaction not recorded yet: try again later (each
# record is made once however often the task runs); the sweep below picks up what is left.
STRIPE_TAX_RETRIES = {
    "acks_late": True,
    "autoretry_for": (GatewayError,),
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "max_retries": 10,
}


@shared_task(name="payments.record_tax_transactions", **STRIPE_TAX_RETRIES)
def record_tax_transactions(order_ids: list[int]) -> int:
    return tax_transactions.record_tax_transactions(order_ids)


@shared_task(name="payments.reverse_refund_tax", **STRIPE_TAX_RETRIES)
def reverse_refund_tax(refund_id: int) -> str | None:
    return tax_transactions.reverse_refund_tax(refund_id)


@shared_task(name="payments.reverse_dispute_tax", **STRIPE_TAX_RETRIES)
def reverse_dispute_tax(dispute_id: str) -> str | None:
    return tax_transactions.reverse_dispute_tax(dispute_id)


@shared_task(name="payments.sweep_tax_transactions", acks_late=True)
def sweep_tax_transactions() -> int:
    """Record the tax transactions no task recorded; how many."""
    return tax_transactions.sweep_missing_transactions()


@shared_task(name="payments.send_refund", acks_late=True, reject_on_worker_lost=True)
def send_refund(refund_id: int) -> None:
    refunds.send_refund(refund_id)


@shared_task(name="payments.retry_due_events", acks_late=True)
def retry_due_events() -> int:
    return services.retry_due_events()


@shared_task(name="payments.recheck_pending_orders", acks_late=True)
def recheck_pending_orders() -> int:
    return settlement.recheck_pending_orders()


@shared_task(name="payments.cancel_abandoned_orders", acks_late=True)
def cancel_abandoned_orders() -> int:
    return settlement.cancel_abandoned_orders()


@shared_task(name="payments.reconcile_yesterday", acks_late=True)
def reconcile_yesterday() -> int:
    return reconciliation.reconcile_day(date.today() - timedelta(days=1))


@shared_task(name="payments.sync_bank_payouts", acks_late=True)
def sync_bank_payouts() -> int:
    """Book Stripe's payouts to the bank that no webhook booked; how many were booked."""
    return bank_payout_sync.sync_payouts().booked
