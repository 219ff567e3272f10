"""An admin opens the Operations page, sees the queues, a failed task, the scheduled jobs and the
webhook lag, and sends the failed task again. In a browser, at desktop and phone widths.

The page reads the broker's Redis: the app's Celery points at the test Redis here (tasks still
run inline), and the failed task, the schedule and its last runs are written there as a worker
would write them.
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import timedelta

import pytest
from celery.schedules import crontab
from flask import Flask

from marketplace.audit.models import AuditEntry
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.observability import operations
from marketplace.payments.models import StripeEvent
from tests.e2e.looks import look_at
from tests.e2e.test_dividends_in_the_browser import sign_in
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e


def _stripe_events(lags: list[int]) -> None:
    now = utcnow()
    with unit_of_work() as session:
        for lag in lags:
            session.add(
                StripeEvent(
                    id=f"evt_{uuid.uuid4().hex[:16]}",
                    type="payment_intent.succeeded",
                    payload={"created": int(now.timestamp()) - lag},
                    status="processed",
                    processed_at=now,
                )
            )
        session.add(
            StripeEvent(
                id=f"evt_{uuid.uuid4().hex[:16]}",
                type="charge.refunded",
                payload={"created": int(now.timestamp()) - 90},
                status="failed",
                received_at=now - timedelta(seconds=90),
            )
        )


def test_an_admin_sees_the_machinery_and_retries_a_failed_task(
    app: Flask, live_server: str, browser_page: object, redis_url: str
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    app.extensions["celery"].conf.broker_url = redis_url
    client = operations.ops_redis(redis_url)
    assert client is not None
    client.delete(operations.FAILED_KEY, operations.BEAT_KEY, operations.SCHEDULE_KEY)
    operations.record_schedule(
        client,
        {
            "retry-due-stripe-events": {
                "task": "payments.retry_due_events",
                "schedule": crontab(minute="*"),
            },
            "pay-royalties-monthly": {
                "task": "payouts.start_monthly_run",
                "schedule": crontab(day_of_month="1", hour=6, minute=0),
            },
            "refresh-search-vocabulary": {
                "task": "catalogue.refresh_vocabulary",
                "schedule": crontab(minute="*/15"),
            },
        },
    )
    operations.record_beat_run(client, ["retry-due-stripe-events"], "SUCCESS", 0.042)
    operations.record_beat_run(client, ["refresh-search-vocabulary"], "FAILURE", 3.2)
    operations.record_failure(
        client,
        task_id="4c1e9a2b-0d7f-4f55-9a57-3a1c2b9e8f10",
        task="catalogue.refresh_vocabulary",
        args=[],
        error="OperationalError: could not connect to server: Connection refused",
        request_id=None,
    )
    _stripe_events([2, 3, 4, 7, 41])
    Factory().admin("ops-admin@example.org")

    try:
        sign_in(page, live_server, "ops-admin@example.org")
        page.goto(f"{live_server}/admin/")
        page.locator(".admin-nav--sidebar").get_by_role("link", name="Operations").click()
        expect(page).to_have_url(re.compile(r".*/admin/operations/$"))
        expect(page.get_by_role("heading", name="Operations", level=1)).to_be_visible()
        # Depths as Redis has them (a services worker may share this Redis: no count is made up).
        queues = page.locator(".card").first
        for queue in ("Celery", "Photos", "Video"):
            expect(queues).to_contain_text(queue)
        expect(queues).to_contain_text(re.compile(r"\d+ tasks?"))
        expect(page.get_by_text("1 failed task")).to_be_visible()
        expect(page.get_by_text("OperationalError: could not connect")).to_be_visible()
        expect(page.get_by_text("payouts.start_monthly_run")).to_be_visible()
        expect(page.get_by_text("not yet")).to_be_visible()
        look_at(page, "admin-operations")
        page.set_viewport_size({"width": 1280, "height": 900})

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Retry").click()
        expect(page.get_by_role("status").filter(has_text="was sent again")).to_be_visible()
        expect(page.get_by_text("No failed tasks")).to_be_visible()
        look_at(page, "admin-operations-retried")
    finally:
        client.delete(operations.FAILED_KEY, operations.BEAT_KEY, operations.SCHEDULE_KEY)
    time.sleep(0.1)
    db.session.expire_all()
    assert db.session.query(AuditEntry).filter(AuditEntry.action == "task.retried").count() == 1
