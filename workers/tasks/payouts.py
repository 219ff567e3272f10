"""Royalty payouts: the monthly run, and one task per payout line."""

from __future__ import annotations

from celery import shared_task

from marketplace.payouts import services


@shared_task(name="payouts.send_line", acks_late=True, reject_on_worker_lost=True)
def send_line(line_id: int) -> None:
    services.send_line(line_id)


@shared_task(name="payouts.start_monthly_run", acks_late=True)
def start_monthly_run() -> int:
    return services.start_run(None)
