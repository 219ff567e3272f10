"""Patronage dividends: paying one member's cash part of an approved run, a redemption line,
and what was held for a member whose payout account became ready."""

from __future__ import annotations

from celery import shared_task
from sqlalchemy.exc import OperationalError

from marketplace.dividends import paying, redemptions

# A deadlock or a dropped connection rolls the transaction back: trying again is safe (the
# allocation or line is still pending, and its transfer keeps its idempotency key).
RETRY = {
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name="dividends.pay_allocation", acks_late=True, reject_on_worker_lost=True, **RETRY)
def pay_allocation(allocation_id: int) -> str | None:
    """Idempotent: an allocation no longer pending is left as it is."""
    allocation = paying.pay_allocation(allocation_id)
    return allocation.status if allocation is not None else None


@shared_task(
    name="dividends.pay_redemption_line", acks_late=True, reject_on_worker_lost=True, **RETRY
)
def pay_redemption_line(line_id: int) -> str | None:
    """Idempotent: a redemption line no longer pending is left as it is."""
    line = redemptions.pay_line(line_id)
    return line.status if line is not None else None


@shared_task(name="dividends.release_held", acks_late=True, reject_on_worker_lost=True, **RETRY)
def release_held(member_id: int) -> int:
    """Idempotent: what is no longer held is not paid again."""
    return redemptions.release_held(member_id)
