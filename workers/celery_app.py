"""The worker's entry module: ``celery -A workers.celery_app worker`` (and ``beat``).

It builds the same Flask app as the web process, so tasks share its settings and services.
"""

from __future__ import annotations

from celery.schedules import crontab
from celery.signals import worker_process_init

from marketplace import create_app
from marketplace.extensions import db
from workers.liveness import Heartbeat

flask_app = create_app()
celery = flask_app.extensions["celery"]
# One beat sends the schedule, however many run (workers/beat_lock.py).
celery.conf.beat_scheduler = "workers.beat_lock:LockedScheduler"
# The worker touches a heartbeat file for `python -m workers.liveness` (workers/liveness.py).
celery.steps["consumer"].add(Heartbeat)
celery.conf.beat_schedule = {
    "refresh-search-vocabulary": {
        "task": "catalogue.refresh_vocabulary",
        "schedule": crontab(minute="*/15"),
    },
    "retry-due-stripe-events": {
        "task": "payments.retry_due_events",
        "schedule": crontab(minute="*"),
    },
    "recheck-pending-orders": {
        "task": "payments.recheck_pending_orders",
        "schedule": crontab(minute="*/5"),
    },
    "record-missing-tax-transactions": {
        "task": "payments.sweep_tax_transactions",
        "schedule": crontab(minute="*/10"),
    },
    "cancel-abandoned-orders": {
        "task": "payments.cancel_abandoned_orders",
        "schedule": crontab(minute=41),
    },
    "reconcile-with-stripe": {
        "task": "payments.reconcile_yesterday",
        "schedule": crontab(hour=3, minute=30),
    },
    "sync-bank-payouts": {
        "task": "payments.sync_bank_payouts",
        "schedule": crontab(minute=47),
    },
    "resume-stalled-payments": {
        "task": "payouts.resume_stalled_payments",
        "schedule": crontab(minute="*/5"),
    },
    "pay-royalties-monthly": {
        "task": "payouts.start_monthly_run",
        "schedule": crontab(day_of_month="1", hour=6, minute=0),
    },
    "open-and-close-votes": {
        "task": "governance.open_and_close_votes",
        "schedule": crontab(minute="*"),
    },
    "clean-up-failed-and-stuck-uploads": {
        "task": "media.clean_up_uploads",
        "schedule": crontab(minute=23),
    },
    "sweep-orphan-uploads": {
        "task": "media.sweep_orphan_uploads",
        "schedule": crontab(hour=4, minute=10),
    },
    "purge-expired-password-resets": {
        "task": "accounts.purge_expired_reset_tokens",
        "schedule": crontab(minute=17),
    },
}


@worker_process_init.connect
def _fresh_connections_per_process(**_: object) -> None:
    # Connections opened before the fork must not be shared between worker processes.
    with flask_app.app_context():
        db.engine.dispose(close=False)
