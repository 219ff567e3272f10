"""Metrics, request ids and the Operations page on the fast tier (SQLite, tasks inline)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from marketplace import mail
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.observability.metrics import REGISTRY
from marketplace.orders.models import Order
from marketplace.payouts.models import PayoutLine
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.config import app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import deliver, payment_succeeded
from tests.fixtures.web import AuthActions, post_form


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _series(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((sample.labels, sample.value))
    return found


def test_metrics_are_off_by_default(client: object) -> None:
    assert client.get("/metrics").status_code == 404  # type: ignore[attr-defined]


def test_metrics_count_requests_by_endpoint_not_path(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink
) -> None:
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, METRICS_ENABLED=True) as app:
        client = app.test_client()
        before = _sample(
            "coopstock_http_requests_total", method="GET", endpoint="health.healthz", status="200"
        )
        for _ in range(3):
            client.get("/healthz")
        client.get("/no/such/page/42")
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=")
    series = _series(response.get_data(as_text=True))
    healthz = [
        value
        for labels, value in series["coopstock_http_requests_total"]
        if labels == {"method": "GET", "endpoint": "health.healthz", "status": "200"}
    ]
    assert healthz == [before + 3]
    endpoints = {labels["endpoint"] for labels, _ in series["coopstock_http_requests_total"]}
    assert "unmatched" in endpoints
    assert not any("/" in endpoint for endpoint in endpoints)
    assert any(
        labels.get("endpoint") == "health.healthz"
        for labels, _ in series["coopstock_http_request_duration_seconds_count"]
    )
    # Zero from the start, so an alert can see the first failure as an increase.
    kinds = {labels["kind"] for labels, _ in series["coopstock_transfer_failures_total"]}
    assert kinds == {"payout", "dividend", "redemption"}
    assert "coopstock_orders_paid_total" in series
    # Tasks run inline here: no broker to read queues from, so no depth is made up.
    assert series.get("coopstock_queue_depth", []) == []


def test_metrics_with_a_token_refuse_callers_without_it(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink
) -> None:
    with app_on_copy(
        tmp_path, migrated_sqlite, smtp_sink, METRICS_ENABLED=True, METRICS_TOKEN="s3cret-token"
    ) as app:
        client = app.test_client()
        refused = client.get("/metrics")
        wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
        allowed = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert "MARKETPLACE_METRICS_TOKEN" in refused.get_data(as_text=True)
    assert wrong.status_code == 401
    assert allowed.status_code == 200
    assert "coopstock_orders_paid_total" in allowed.get_data(as_text=True)


def test_every_answer_carries_a_request_id_and_a_callers_id_is_kept(client: object) -> None:
    made = client.get("/healthz")  # type: ignore[attr-defined]
    again = client.get("/healthz")  # type: ignore[attr-defined]
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-4f2a9c1e-77"})  # type: ignore[attr-defined]
    unsafe = client.get("/healthz", headers={"X-Request-ID": "<script>alert(1)</script>"})  # type: ignore[attr-defined]
    assert len(made.headers["X-Request-ID"]) == 32
    assert made.headers["X-Request-ID"] != again.headers["X-Request-ID"]
    assert kept.headers["X-Request-ID"] == "lb-4f2a9c1e-77"
    assert len(unsafe.headers["X-Request-ID"]) == 32


def test_log_lines_of_a_request_carry_its_id(app: Flask, caplog: pytest.LogCaptureFixture) -> None:
    @app.get("/_test/log")
    def log_something() -> str:
        logging.getLogger("marketplace.test").warning("Sent a receipt to bea@example.com")
        return "ok"

    with caplog.at_level(logging.INFO):
        response = app.test_client().get("/_test/log", headers={"X-Request-ID": "req-12345678"})
    record = next(r for r in caplog.records if r.name == "marketplace.test")
    assert record.request_id == "req-12345678"  # type: ignore[attr-defined]
    assert record.getMessage() == "Sent a receipt to [email]"
    assert response.headers["X-Request-ID"] == "req-12345678"


def test_a_paid_order_and_its_webhook_lag_are_counted_once_at_commit(buying: Buying) -> None:
    paid_before = _sample("coopstock_orders_paid_total")
    lag_before = _sample("coopstock_webhook_lag_seconds_count")
    order = buying.bought((buying.photo, "standard", "M"))
    assert _sample("coopstock_orders_paid_total") == paid_before + 1
    assert _sample("coopstock_webhook_lag_seconds_count") == lag_before + 1
    # The same payment announced again under a new event id: that event is settled (its lag
    # counts) but the order was paid already.
    again = payment_succeeded(order["payment"]["payment_intent_id"])
    for _ in range(3):
        assert deliver(buying.client, again).status_code == 200
    assert buying.get(order["id"])["status"] == "paid"
    assert _sample("coopstock_orders_paid_total") == paid_before + 1
    assert _sample("coopstock_webhook_lag_seconds_count") == lag_before + 2


def test_a_rolled_back_change_counts_nothing(app: Flask, factory: Factory) -> None:
    buyer = factory.buyer()
    failed_before = _sample("coopstock_transfer_failures_total", kind="payout")
    paid_before = _sample("coopstock_orders_paid_total")

    def pay_then_fail() -> None:
        with unit_of_work() as session:
            order = Order(buyer_id=buyer.id, total_cents=500, currency="USD")
            session.add(order)
            session.flush()
            order.status = "paid"
            raise RuntimeError("the use case failed")

    with pytest.raises(RuntimeError):
        pay_then_fail()
    line = PayoutLine()
    line.status = "failed"  # outside any session: nothing to commit, nothing counted
    assert _sample("coopstock_orders_paid_total") == paid_before
    assert _sample("coopstock_transfer_failures_total", kind="payout") == failed_before
    assert db.session.info.get("observability_pending_counts") is None


def test_the_operations_page_is_for_admins_and_linked_from_the_admin_menu(
    app: Flask, client: object, auth: AuthActions, factory: Factory
) -> None:
    buyer = factory.buyer()
    auth.login(buyer.email)
    assert client.get("/admin/operations/").status_code == 403  # type: ignore[attr-defined]
    auth.logout()
    admin = factory.admin()
    auth.login(admin.email)
    page = client.get("/admin/operations/")  # type: ignore[attr-defined]
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "The task queue is not on Redis here" in text
    assert "Webhook lag" in text
    assert "No failed tasks" in text
    assert 'href="/admin/operations/"' in client.get("/admin/").get_data(as_text=True)  # type: ignore[attr-defined]
    retried = post_form(
        client,  # type: ignore[arg-type]
        "/admin/operations/failed/abc/retry",
        from_page="/admin/operations/",
        follow_redirects=True,
    )
    assert "The task queue is not on Redis here: there are no failed tasks to retry." in (
        retried.get_data(as_text=True)
    )


def test_the_demos_console_mail_goes_to_the_outbox_and_the_log_names_no_one(
    app: Flask, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["MAIL_BACKEND"] = "console"
    message: mail.OutgoingEmail = {
        "to": "dee.lognot@example.com",
        "subject": "Reset your password",
        "body": "Hello Dee Lognot, follow http://localhost/reset/abc",
    }
    with caplog.at_level(logging.INFO):
        mail.deliver(message)
    [written] = (Path(app.instance_path) / "outbox").glob("*.eml")
    text = written.read_text()
    assert "To: dee.lognot@example.com" in text
    assert "Hello Dee Lognot" in text
    assert str(written) in caplog.text
    assert "Reset your password" in caplog.text
    assert "lognot" not in caplog.text.lower()
