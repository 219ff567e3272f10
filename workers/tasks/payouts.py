"""Royalty payouts: the monthly run, one task per payout line, and the sweep that queues
again the payments of any run (royalties or dividends) whose tasks were lost."""

from __future__ import annotations

from celery import shared_task

from marketplace import stalled_payments
from marketplace.payouts import services


@shared_task(name="payouts.send_line", acks_late=True, reject_on_worker_lost=True)
def send_line(line_id: int) -> None:
    services.send_line(line_id)


@shared_task(name="payouts.start_monthly_run", acks_late=True)
def start_monthly_run() -> int:
    return services.start_run(None)


@shared_task(name="payouts.resume_stalled_payments", acks_late=True)
def resume_stalled_payments() -> int:
    """Queue again the payments of runs where nothing settled for a while (the beat's); how
    many runs were resumed or finished."""
    return len(stalled_payments.resume_stalled())
