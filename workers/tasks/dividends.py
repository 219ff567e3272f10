"""Patronage dividends: paying one member's cash part of an approved run."""

from __future__ import annotations

from celery import shared_task

from marketplace.dividends import services


@shared_task(name="dividends.pay_allocation", acks_late=True, reject_on_worker_lost=True)
def pay_allocation(allocation_id: int) -> str | None:
    """Idempotent: an allocation no longer pending is left as it is."""
    allocation = services.pay_allocation(allocation_id)
    return allocation.status if allocation is not None else None
