"""Buying on the production stack: PostgreSQL, Redis, the real Celery worker, and webhooks the
Stripe emulator itself delivers over HTTP to the app served on a real socket."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from flask import Flask

from marketplace import create_app
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.ledger.models import JournalLine
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order
from marketplace.payments import services as payments
from marketplace.payments.models import StripeEvent
from tests.fixtures.config import app_config
from tests.fixtures.factories import Factory
from tests.fixtures.payments import (
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    payment_method,
    payment_succeeded,
    signature_header,
)
from tests.fixtures.shop import (
    Shop,
    assert_no_duplicates,
    order_status,
    wait_for,
)
from tests.fixtures.stripe_emulator import TEST_SECRET_KEY, StripeEmulator
from tests.fixtures.web import IsolatedClient, api_token

pytestmark = pytest.mark.services


def test_stripe_webhooks_pay_orders_through_the_worker_and_replays_change_nothing(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    orders = [shop.order(shop.catalogue.add(f"Fjord {n}", "fjord")) for n in range(3)]
    for order_id in orders:
        assert shop.pay(order_id)["status"] == "processing"
    # localstripe delivers payment_intent.succeeded to the app; the worker applies it.
    wait_for(lambda: all(order_status(o) == "paid" for o in orders))
    lines_before = db.session.execute(sa.select(sa.func.count()).select_from(JournalLine)).scalar()

    # Every stored event, delivered again ten times, in random order, with fresh signatures.
    stored = db.session.execute(sa.select(StripeEvent.payload)).scalars().all()
    replays = [payload for payload in stored for _ in range(10)]
    random.shuffle(replays)
    for payload in replays:
        body = json.dumps(payload).encode()
        response = shop.client.post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature_header(body)}
        )
        assert response.status_code == 200
    # The same payments, announced under new event ids (as a second endpoint would see them).
    for order_id in orders:
        intent = db.session.get(Order, order_id).payment_intent_id  # type: ignore[union-attr]
        body = json.dumps(payment_succeeded(intent)).encode()
        shop.client.post(
            "/webhooks/stripe", data=body, headers={"Stripe-Signature": signature_header(body)}
        )
    wait_for(
        lambda: (
            db.session.execute(
                sa.select(sa.func.count())
                .select_from(StripeEvent)
                .where(StripeEvent.status == "pending")
            ).scalar()
            == 0
        )
    )
    assert all(order_status(o) == "paid" for o in orders)
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(JournalLine)).scalar()
        == lines_before
    )
    assert_no_duplicates()


def test_a_double_click_and_two_tabs_pay_once(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    shop = Shop(services_app, stripe_emulator)
    order_id = shop.order(shop.catalogue.add("Glacier", "glacier"))
    methods = [payment_method(stripe_emulator.base_url) for _ in range(4)]

    def click(method: str) -> dict[str, Any]:
        with services_app.app_context():
            response = services_app.test_client().post(
                f"/api/v1/orders/{order_id}/payment",
                json={"payment_method": method},
                headers=shop.headers,
            )
            assert response.status_code == 200, response.get_json()
            return response.get_json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(click, methods))
    assert len({a["payment_intent_id"] for a in answers}) == 1
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order is not None
    assert order.payment_attempts == 1


def test_two_buyers_checking_out_at_once_each_pay_once(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Aurora", "aurora")
    other_buyer = Factory().buyer()
    other_headers = api_token(shop.client, other_buyer.email)

    def checkout(headers: dict[str, str]) -> int:
        with services_app.app_context():
            client = services_app.test_client()
            added = client.post(
                "/api/v1/cart/items",
                json={"asset_id": asset, "licence": "standard", "size": "M"},
                headers=headers,
            )
            assert added.status_code == 201, added.get_json()
            order = client.post("/api/v1/cart/checkout", headers=headers)
            assert order.status_code == 201, order.get_json()
            order_id = int(order.get_json()["id"])
            paid = client.post(
                f"/api/v1/orders/{order_id}/payment",
                json={"payment_method": payment_method(stripe_emulator.base_url)},
                headers=headers,
            )
            assert paid.status_code == 200
            return order_id

    with ThreadPoolExecutor(2) as pool:
        orders = list(pool.map(checkout, [shop.headers, other_headers]))
    wait_for(lambda: all(order_status(o) == "paid" for o in orders))
    assert_no_duplicates()


def test_an_event_whose_task_was_lost_is_picked_up_again(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    """A worker killed while holding the task (or a lost message): the event stays pending in
    the database, and the retry beat queues it again for a live worker."""
    shop = Shop(services_app, stripe_emulator)
    order_id = shop.order(shop.catalogue.add("Dune", "dune"))
    intent = shop.pay(order_id)["payment_intent_id"]
    event = payment_succeeded(intent)
    with unit_of_work() as session:  # stored, as the webhook stores it, but its task never ran
        session.add(
            StripeEvent(
                id=event["id"],
                type=event["type"],
                payload=event,
                status="pending",
                received_at=utcnow() - timedelta(minutes=6),
            )
        )
    assert payments.retry_due_events() >= 1
    wait_for(lambda: order_status(order_id) == "paid")
    assert_no_duplicates()


def _queued(broker: Any, queue: str, task: str) -> int:
    """How many messages for ``task`` wait in ``queue`` (kombu's Redis list)."""
    return sum(json.loads(raw)["headers"]["task"] == task for raw in broker.lrange(queue, 0, -1))


def test_a_burst_of_payments_queues_one_task_that_settles_them_all(
    services_env: Any, smtp_sink: Any, stripe_emulator: StripeEmulator
) -> None:
    """While a settling task is queued and not started, webhooks of payments queue no other:
    that one task settles every payment stored before it started. Once it has started, the
    next webhook queues a task again."""
    queue = f"payments-burst-{uuid.uuid4().hex[:6]}"
    app = create_app(
        app_config(
            services_env.instance,
            services_env.database_url,
            smtp_sink,
            TASKS_INLINE=False,
            CELERY={
                "broker_url": services_env.redis_url,
                "task_ignore_result": True,
                "task_routes": {"payments.*": {"queue": queue}},  # a queue no worker reads
            },
            STRIPE_API_BASE=services_env.stripe_api_base,
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
    )
    app.test_client_class = IsolatedClient
    broker = redis.Redis.from_url(services_env.redis_url)

    def webhook(intent: str) -> str:
        event = payment_succeeded(intent)
        body = json.dumps(event).encode()
        headers = {"Stripe-Signature": signature_header(body)}
        assert shop.client.post("/webhooks/stripe", data=body, headers=headers).status_code == 200
        return str(event["id"])

    with app.app_context():
        try:
            shop = Shop(app, stripe_emulator)
            names = ("fjord", "glacier", "moraine", "tarn")
            orders = [shop.order(shop.catalogue.add(name.title(), name)) for name in names]
            intents = [shop.pay(order_id)["payment_intent_id"] for order_id in orders]
            first = webhook(intents[0])
            for intent in intents[1:3]:
                webhook(intent)
            assert _queued(broker, queue, "payments.process_event") == 1
            payments.process_event(first)  # what the worker runs for that one message
            assert [order_status(order_id) for order_id in orders] == ["paid"] * 3 + [
                "pending_payment"
            ]
            webhook(intents[3])
            assert _queued(broker, queue, "payments.process_event") == 2
            assert_no_duplicates()
        finally:
            broker.delete(queue)
            broker.close()
            db.session.remove()
            db.engine.dispose()


def _start_worker(services_env: Any, queue: str, log_path: Any) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own worker
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                f"--queues={queue}",
                f"--hostname=crash-{uuid.uuid4().hex[:6]}@%h",
            ],
            env=services_env.environ(),
            cwd=Path(__file__).resolve().parents[3],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    wait_for(lambda: b"ready." in log_path.read_bytes(), timeout=60)
    return process


def _waiting_on_a_lock(engine: sa.Engine) -> bool:
    """Is a connection to this database waiting for a row lock? (A new transaction per call:
    PostgreSQL keeps one snapshot of its activity view per transaction.)"""
    with engine.connect() as connection:
        waiting = connection.execute(
            sa.text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        ).scalar()
    return bool(waiting)


def test_a_worker_killed_in_the_middle_of_a_payment_pays_once_after_restart(
    services_env: Any, smtp_sink: Any, stripe_emulator: StripeEmulator, tmp_path: Path
) -> None:
    """SIGKILL the worker while it applies a payment (held on the order's row lock), restart
    it: the half-done transaction is gone, the event is picked up again, and paid once."""
    queue = f"payments-crash-{uuid.uuid4().hex[:6]}"
    app = create_app(
        app_config(
            services_env.instance,
            services_env.database_url,
            smtp_sink,
            TASKS_INLINE=False,
            CELERY={
                "broker_url": services_env.redis_url,
                "task_ignore_result": True,
                "task_routes": {"payments.*": {"queue": queue}},
            },
            STRIPE_API_BASE=services_env.stripe_api_base,
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        )
    )
    app.test_client_class = IsolatedClient
    log_path = tmp_path / "crash-worker.log"
    with app.app_context():
        shop = Shop(app, stripe_emulator)
        order_id = shop.order(shop.catalogue.add("Tundra", "tundra"))
        intent = shop.pay(order_id)["payment_intent_id"]
        engine = sa.create_engine(services_env.database_url)
        worker = _start_worker(services_env, queue, log_path)
        try:
            with engine.connect() as blocker:
                # Hold the order's row: the worker will get this far and wait.
                blocker.execute(sa.text("BEGIN"))
                blocker.execute(
                    sa.text("SELECT id FROM orders WHERE id = :id FOR UPDATE"), {"id": order_id}
                )
                body = json.dumps(payment_succeeded(intent)).encode()
                response = shop.client.post(
                    "/webhooks/stripe",
                    data=body,
                    headers={"Stripe-Signature": signature_header(body)},
                )
                assert response.status_code == 200
                # The worker has read the PaymentIntent and waits for the order's row lock,
                # inside the transaction that would pay the order.
                wait_for(lambda: _waiting_on_a_lock(engine))
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(10)
                blocker.execute(sa.text("ROLLBACK"))
            assert order_status(order_id) == "pending_payment"
            with unit_of_work() as session:  # as if the stuck-event timeout had passed
                session.execute(
                    sa.update(StripeEvent)
                    .values(received_at=utcnow() - timedelta(minutes=6))
                    .where(StripeEvent.status == "pending")
                )
            worker = _start_worker(services_env, queue, log_path)
            assert payments.retry_due_events() >= 1
            wait_for(lambda: order_status(order_id) == "paid")
            assert_no_duplicates()
            licences = sa.select(sa.func.count()).select_from(Licence)
            assert db.session.execute(licences.where(Licence.order_id == order_id)).scalar() == 1
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                worker.wait(30)
            engine.dispose()
            # This app's own pool: closed here, not left to the garbage collector.
            db.session.remove()
            db.engine.dispose()
