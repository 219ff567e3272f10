"""Operations on the production stack: PostgreSQL, Redis and the real Celery worker.

A purchase and a royalty payout, with every log line of the web process and the worker read
back: no email address or tax id of anyone in them, and the purchase's request id in the lines
of the tasks its webhook queued. A task that fails in the worker is listed on the Operations
page and sent again from there; ``/metrics`` shows the queues, tasks and money series.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from celery import Celery
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from marketplace.observability import operations
from marketplace.observability.logs import JsonFormatter, TextFormatter
from marketplace.orders.models import Order
from marketplace.payouts import services as payouts
from marketplace.payouts.models import PayoutRun
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import payment_method, payment_succeeded, signature_header
from tests.fixtures.payments import stripe_event as make_event
from tests.fixtures.services import ServicesEnv
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.web import AuthActions, api_token, post_form

pytestmark = pytest.mark.services
TAX_ID = "123-45-6789"


def _wait_for(condition: Callable[[], bool], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.2)


class _Lines(logging.Handler):
    """Every record of this process, formatted both ways (text and JSON)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.text, self.json = TextFormatter(), JsonFormatter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("mail.log"):
            return  # the test's own SMTP sink (aiosmtpd), standing in for the mail server
        self.lines.append(self.text.format(record))
        self.lines.append(self.json.format(record))


@pytest.fixture
def web_lines() -> Iterator[list[str]]:
    handler = _Lines()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    # The production level (marketplace.observability.logs.configure_logging).
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def _worker_log(env: ServicesEnv) -> Path:
    return env.instance.parent / "worker.log"


def _signed_post(client: Any, path: str, event: dict[str, Any], request_id: str) -> None:
    body = json.dumps(event).encode()
    response = client.post(
        path,
        data=body,
        headers={"Stripe-Signature": signature_header(body), "X-Request-ID": request_id},
    )
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == request_id


def _onboard(url: str) -> None:
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    for method, body in (("GET", None), ("POST", "outcome=complete")):
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, parts.path, body=body, headers=headers)
        connection.getresponse().read()
        connection.close()


def test_a_purchase_and_a_payout_log_no_personal_data_and_carry_the_request_id(
    services_app: Flask,
    services_env: ServicesEnv,
    stripe_emulator: StripeEmulator,
    web_lines: list[str],
) -> None:
    worker_log = _worker_log(services_env)
    worker_start = worker_log.stat().st_size
    services_app.config["PAYOUT_THRESHOLD_CENTS"] = 1_000
    client = services_app.test_client()
    buyer = Factory().buyer(name="Bea Lognot")
    admin = Factory().admin()
    buyer_headers = api_token(client, buyer.email)
    admin_headers = api_token(client, admin.email)
    catalogue = Catalogue()
    member = catalogue.member
    photo = catalogue.add("Harbour at dawn", "harbour")

    artist = services_app.test_client()
    AuthActions(artist).login(member.user.email)
    saved = post_form(
        artist,
        "/account/tax/",
        {"form_type": "w9", "legal_name": "Ada Lognot", "tin_type": "ssn", "tax_id": TAX_ID},
        follow_redirects=True,
    )
    assert saved.status_code == 200

    purchase_id = f"purchase-{uuid.uuid4().hex[:12]}"
    order = client.post(
        "/api/v1/orders",
        json={"items": [{"asset_id": photo, "licence": "standard", "size": "M"}]},
        headers={**buyer_headers, "X-Request-ID": purchase_id},
    ).get_json()
    paid = client.post(
        f"/api/v1/orders/{order['id']}/payment",
        json={"payment_method": payment_method(stripe_emulator.base_url)},
        headers={**buyer_headers, "X-Request-ID": purchase_id},
    ).get_json()
    _signed_post(
        client, "/webhooks/stripe", payment_succeeded(paid["payment_intent_id"]), purchase_id
    )

    member_headers = api_token(client, member.user.email)
    started = client.post("/api/v1/me/payout-account", headers=member_headers)
    assert started.status_code == 200, started.get_json()
    _onboard(started.get_json()["onboarding_url"])
    account = payouts.payout_account(db.session(), member.id)
    assert account is not None
    assert account.stripe_account_id
    event = make_event("account.updated", {"id": account.stripe_account_id})
    _signed_post(client, "/webhooks/stripe/connect", event, f"connect-{uuid.uuid4().hex[:8]}")

    def ready() -> bool:
        db.session.expire_all()
        order_row = db.session.get(Order, order["id"])
        return (
            order_row is not None
            and order_row.status == "paid"
            and payouts.ready_payout_account(db.session(), member.id) is not None
        )

    _wait_for(ready)
    response = client.post("/api/v1/admin/royalty-payouts", json={}, headers=admin_headers)
    assert response.status_code == 202, response.get_json()
    run_id = response.get_json()["id"]

    def done() -> bool:
        db.session.expire_all()
        run = db.session.get(PayoutRun, run_id)
        return run is not None and run.status == "done"

    _wait_for(done)
    # The worker writes "Task ... succeeded" after the task's own lines: wait for the last.
    _wait_for(lambda: purchase_id in worker_log.read_text()[worker_start:])
    time.sleep(1)
    worker_lines = worker_log.read_text(errors="replace")[worker_start:].splitlines()

    everything = web_lines + worker_lines
    assert len(web_lines) > 10
    assert len(worker_lines) > 5
    people = [
        buyer.email,
        admin.email,
        member.user.email,
        "Bea Lognot",
        "Ada Lognot",
        TAX_ID,
        TAX_ID.replace("-", ""),
    ]
    for line in everything:
        for secret in people:
            assert secret not in line, f"personal data in a log line: {line!r}"
    # The webhook's request id follows it into the worker's lines of the tasks it queued.
    carried = [line for line in worker_lines if purchase_id in line]
    assert any("payments." in line for line in carried), worker_lines[-40:]
    assert any(purchase_id in line for line in web_lines)


def _celery(app: Flask) -> Celery:
    return app.extensions["celery"]  # type: ignore[no-any-return]


def test_a_task_that_fails_in_the_worker_is_listed_and_sent_again_from_the_page(
    services_app: Flask, services_env: ServicesEnv
) -> None:
    redis_client = operations.ops_redis(services_env.redis_url)
    assert redis_client is not None
    redis_client.delete(operations.FAILED_KEY)
    # Wrong arguments: the worker's call raises TypeError, a failure like any other.
    _celery(services_app).send_task("catalogue.refresh_vocabulary", args=[1, 2, 3])
    _wait_for(lambda: operations.failed_count(redis_client) == 1)
    [failed] = operations.failed_tasks(redis_client)
    assert failed.task == "catalogue.refresh_vocabulary"
    assert failed.args == [1, 2, 3]
    assert failed.error.startswith("TypeError")

    client = services_app.test_client()
    admin = Factory().admin()
    AuthActions(client).login(admin.email)
    page = client.get("/admin/operations/").get_data(as_text=True)
    assert "catalogue.refresh_vocabulary" in page
    assert "1 failed task" in page
    assert "TypeError" in page
    retried = post_form(
        client,
        f"/admin/operations/failed/{failed.id}/retry",
        from_page="/admin/operations/",
        follow_redirects=True,
    )
    assert "catalogue.refresh_vocabulary was sent again" in retried.get_data(as_text=True)
    # Sent again with the same (wrong) arguments: it fails again, as a new entry.
    _wait_for(lambda: operations.failed_count(redis_client) == 1)
    again = operations.failed_tasks(redis_client)[0]
    assert again.id != failed.id
    audit = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "task.retried")
    ).scalar_one()
    assert audit.subject_id == failed.id
    # Pressed twice (two admins at once): the second finds nothing to send.
    twice = post_form(
        client,
        f"/admin/operations/failed/{failed.id}/retry",
        from_page="/admin/operations/",
        follow_redirects=True,
    )
    assert "no longer in the list" in twice.get_data(as_text=True)
    redis_client.delete(operations.FAILED_KEY)


def test_metrics_show_queue_depths_and_the_workers_schedule_on_the_page(
    services_app: Flask, services_env: ServicesEnv
) -> None:
    redis_client = operations.ops_redis(services_env.redis_url)
    _wait_for(lambda: bool(operations.beat_runs(redis_client)))
    services_app.config["METRICS_ENABLED"] = True
    try:
        text = services_app.test_client().get("/metrics").get_data(as_text=True)
    finally:
        services_app.config["METRICS_ENABLED"] = False
    depths = {
        sample.labels["queue"]: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "coopstock_queue_depth"
    }
    assert set(depths) == {"celery", "photos", "video"}
    assert all(depth >= 0 for depth in depths.values())

    client = services_app.test_client()
    AuthActions(client).login(Factory().admin().email)
    page = client.get("/admin/operations/").get_data(as_text=True)
    assert "Scheduled jobs" in page
    assert "payments.retry_due_events" in page
    assert "*/5 * * * *" in page
