"""Stripe's webhooks and the checks behind them, on the fast tier: Stripe-shaped events signed here
(the emulator cannot reach the test client) and applied once whatever their order or number;
failed events retried, lost webhooks and abandoned orders caught, payments reconciled."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order
from marketplace.payments import reconciliation, settlement
from marketplace.payments import services as payments
from marketplace.payments.models import ReconciliationIssue, StripeEvent
from tests.fixtures.buying import (
    Buying,
    assert_balanced,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
    entry_keys_of,
)
from tests.fixtures.config import app_on_copy
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import (
    DECLINED_CARD,
    WEBHOOK_SECRET,
    deliver,
    payment_method,
    payment_succeeded,
    signature_header,
    stripe_settings,
)
from tests.fixtures.stripe_emulator import running_stripe_emulator


def test_replayed_and_duplicated_webhooks_change_nothing(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    intent = order["payment"]["payment_intent_id"]
    first = payment_succeeded(intent)
    events = [first] * 5 + [payment_succeeded(intent) for _ in range(5)]
    random.shuffle(events)
    for event in events:
        assert deliver(buying.client, event).status_code == 200
    assert buying.get(order["id"])["status"] == "paid"
    assert len(buying.get(order["id"])["licences"]) == 1
    assert entry_keys_of(order["id"]) == [f"order:{order['id']}:paid"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Licence)).scalar() == 1
    assert_balanced()


def test_one_task_settles_the_other_pending_payments_in_its_batch(
    buying: Buying, smtp_sink: SmtpSink
) -> None:
    """Events stored but not processed yet (one task queued for them all, or theirs still
    queued): the first task to run settles them all, each order once, and later tasks find
    nothing left to do."""
    third = buying.catalogue.add("Salt marsh", "marsh", size=(3000, 2000))
    orders = [
        buying.order((buying.photo, "standard", "M")),
        buying.order((buying.other, "extended", "S"), (third, "standard", "S")),
    ]
    intents = [buying.pay(order["id"])["payment_intent_id"] for order in orders]
    # The first order's event twice (two ids, one PaymentIntent), and one Stripe never made.
    events = [payment_succeeded(i) for i in (*intents, intents[0], "pi_unknown_to_stripe")]
    with unit_of_work() as session:
        for event in events:
            session.add(
                StripeEvent(id=event["id"], type=event["type"], payload=event, status="pending")
            )
    payments.process_event(events[1]["id"])
    db.session.expire_all()
    statuses = {e.id: (e.status, e.attempts) for e in db.session.query(StripeEvent)}
    assert [statuses[e["id"]] for e in events[:3]] == [("processed", 1)] * 3
    # Left out of the batch, and applied alone: its failure is recorded, for a retry.
    assert statuses[events[3]["id"]] == ("failed", 1)
    for event in events[:3]:
        payments.process_event(event["id"])
    for order in orders:
        body = buying.get(order["id"])
        assert body["status"] == "paid"
        assert len(body["licences"]) == len(order["items"])
        assert entry_keys_of(order["id"]) == [f"order:{order['id']}:paid"]
        smtp_sink.wait_for(buying.buyer.email, f"order #{order['id']}")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Licence)).scalar() == 3
    assert_balanced()
    member_id = buying.catalogue.member.id
    # 50 % of 4500; 75 % of 1500 + 10000; 50 % of the salt marsh's 1500.
    assert ledger.member_balance(db.session(), member_id, "USD") == 2250 + 8625 + 750


def test_bad_or_stale_signatures_are_400_and_store_nothing(buying: Buying) -> None:
    event = payment_succeeded("pi_forged")
    payload = json.dumps(event).encode()
    for header in (
        signature_header(payload, "whsec_wrong"),
        signature_header(payload, WEBHOOK_SECRET, at=1_000_000_000),
        "",
    ):
        response = buying.client.post(
            "/webhooks/stripe", data=payload, headers={"Stripe-Signature": header}
        )
        assert response.status_code == 400
        assert response.get_json()["error"]["code"] == "bad_signature"
    assert db.session.execute(sa.select(sa.func.count()).select_from(StripeEvent)).scalar() == 0


def test_failed_events_are_kept_retried_and_can_be_run_again(buying: Buying) -> None:
    event = payment_succeeded("pi_unknown_to_stripe")
    assert deliver(buying.client, event).status_code == 200
    stored = db.session.get(StripeEvent, event["id"])
    assert stored is not None
    db.session.refresh(stored)
    assert (stored.status, stored.attempts) == ("failed", 1)
    assert stored.last_error
    assert payments.retry_due_events() == 0  # backing off
    with unit_of_work() as session:
        session.execute(
            sa.update(StripeEvent)
            .where(StripeEvent.id == event["id"])
            .values(next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    assert payments.retry_due_events() == 1
    db.session.refresh(stored)
    assert (stored.status, stored.attempts) == ("failed", 2)
    payments.rerun_event(event["id"])
    db.session.refresh(stored)
    assert stored.attempts == 3


def test_a_lost_webhook_is_caught_by_the_pending_order_check(buying: Buying) -> None:
    order = buying.order((buying.photo, "standard", "M"))
    buying.pay(order["id"])
    assert settlement.recheck_pending_orders() == 0  # too recent to worry about
    with unit_of_work() as session:
        session.execute(
            sa.update(Order)
            .where(Order.id == order["id"])
            .values(payment_started_at=utcnow() - timedelta(minutes=11))
        )
    assert settlement.recheck_pending_orders() == 1
    assert buying.get(order["id"])["status"] == "paid"


def test_orders_left_unpaid_for_a_day_are_cancelled(buying: Buying) -> None:
    never_paid = buying.order((buying.photo, "standard", "M"))
    declined = buying.order((buying.other, "standard", "S"))
    buying.pay(declined["id"], DECLINED_CARD)
    paid_late = buying.order((buying.photo, "standard", "L"))
    buying.pay(paid_late["id"])  # its webhook was lost
    assert settlement.cancel_abandoned_orders() == 0  # too recent
    with unit_of_work() as session:
        session.execute(sa.update(Order).values(created_at=utcnow() - timedelta(days=2)))
    assert settlement.cancel_abandoned_orders() == 2
    assert buying.get(never_paid["id"])["status"] == "cancelled"
    assert buying.get(declined["id"])["status"] == "cancelled"
    assert buying.get(paid_late["id"])["status"] == "paid"
    # A cancelled order cannot be paid any more.
    response = buying.client.post(
        f"/api/v1/orders/{never_paid['id']}/payment",
        json={"payment_method": payment_method(buying.emulator.base_url)},
        headers=buying.headers,
    )
    assert response.status_code == 409


def test_reconciliation_finds_a_payment_the_app_has_not_recorded(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink
) -> None:
    # An emulator of its own: reconciliation reads every PaymentIntent of the Stripe account.
    with (
        running_stripe_emulator(tmp_path / "stripe") as emulator,
        app_on_copy(tmp_path, migrated_sqlite, smtp_sink, **stripe_settings(emulator)) as app,
    ):
        buying = Buying(app, emulator)
        order = buying.order((buying.photo, "standard", "M"))
        paid = buying.pay(order["id"])
        today = utcnow().date()
        assert reconciliation.reconcile_day(today) == 1
        issue = db.session.execute(sa.select(ReconciliationIssue)).scalar_one()
        assert (issue.kind, issue.reference) == ("payment_not_recorded", paid["payment_intent_id"])
        assert reconciliation.reconcile_day(today) == 0  # found once
        deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
        with unit_of_work() as session:
            session.execute(sa.delete(ReconciliationIssue))
        assert reconciliation.reconcile_day(today) == 0
