"""Patronage dividends: paying one member's cash part of an approved run."""

from __future__ import annotations

from celery import shared_task

from marketplace.dividends import redemptions, services


@shared_task(name="dividends.pay_allocation", acks_late=True, reject_on_worker_lost=True)
def pay_allocation(allocation_id: int) -> str | None:
    """Idempotent: an allocation no longer pending is left as it is."""
    allocation = services.pay_allocation(allocation_id)
    return allocation.status if allocation is not None else None


@shared_task(name="dividends.pay_redemption_line", acks_late=True, reject_on_worker_lost=True)
def pay_redemption_line(line_id: int) -> str | None:
    """Idempotent: a redemption line no longer pending is left as it is."""
    line = redemptions.pay_line(line_id)
    return line.status if line is not None else None
