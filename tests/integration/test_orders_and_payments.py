"""Buying licences end to end on the fast tier: SQLite, tasks inline, the real Stripe emulator.

Webhooks are Stripe-shaped events signed here (the emulator cannot reach the test client);
the app re-reads every PaymentIntent, charge and refund from the emulator before acting.
"""

from __future__ import annotations

import json
import random
import urllib.request
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order
from marketplace.payments import reconciliation, settlement
from marketplace.payments import services as payments
from marketplace.payments.models import ReconciliationIssue, StripeEvent
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import (
    DECLINED_CARD,
    THREE_D_SECURE_CARD,
    WEBHOOK_SECRET,
    deliver,
    dispute_event,
    payment_method,
    payment_succeeded,
    signature_header,
    stripe_event,
    stripe_settings,
)
from tests.fixtures.stripe_emulator import (
    StripeEmulator,
    running_stripe_emulator,
    stripe_client,
)
from tests.fixtures.web import api_token


class Buying:
    """A buyer, an admin and two published photos by one member, with API headers."""

    def __init__(self, app: Flask, emulator: StripeEmulator) -> None:
        self.app, self.emulator = app, emulator
        self.client: FlaskClient = app.test_client()
        factory = Factory()
        self.buyer = factory.buyer()
        self.admin = factory.admin()
        self.catalogue = Catalogue()
        self.photo = self.catalogue.add("Harbour at dawn", "harbour", size=(4000, 3000))
        self.other = self.catalogue.add("Lighthouse", "lighthouse", size=(3000, 2000))
        self.headers = api_token(self.client, self.buyer.email)
        self.admin_headers = api_token(self.client, self.admin.email)

    def order(self, *items: tuple[int, str, str]) -> dict[str, Any]:
        response = self.client.post(
            "/api/v1/orders",
            json={"items": [{"asset_id": a, "licence": lic, "size": s} for a, lic, s in items]},
            headers=self.headers,
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def pay(self, order_id: int, card: str = "4242424242424242") -> dict[str, Any]:
        response = self.client.post(
            f"/api/v1/orders/{order_id}/payment",
            json={"payment_method": payment_method(self.emulator.base_url, card)},
            headers=self.headers,
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def get(self, order_id: int) -> dict[str, Any]:
        response = self.client.get(f"/api/v1/orders/{order_id}", headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()  # type: ignore[no-any-return]

    def bought(self, *items: tuple[int, str, str]) -> dict[str, Any]:
        """An order, paid, confirmed by its webhook."""
        order = self.order(*items)
        paid = self.pay(order["id"])
        assert deliver(self.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
        return self.get(order["id"])


@pytest.fixture
def buying(shop_app: Flask, stripe_emulator: StripeEmulator) -> Buying:
    return Buying(shop_app, stripe_emulator)


def _entries(order_id: int) -> list[str]:
    return sorted(
        db.session.execute(
            sa.select(JournalEntry.idempotency_key).where(JournalEntry.order_id == order_id)
        ).scalars()
    )


def _balanced() -> None:
    body = ledger.trial_balance(db.session(), "USD")
    assert body.total_debits_cents == body.total_credits_cents


def test_an_order_takes_prices_from_the_server(buying: Buying) -> None:
    response = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"asset_id": buying.photo, "licence": "standard", "size": "M", "price_cents": 1}
            ]
        },
        headers=buying.headers,
    )
    assert response.status_code == 201
    order = response.get_json()
    assert order["status"] == "pending_payment"
    assert order["currency"] == "USD"
    assert order["total_cents"] == 4500 == order["items"][0]["price_cents"]


@pytest.mark.parametrize(
    ("items", "status"),
    [
        ([], 422),
        ([{"asset_id": "x", "licence": "standard", "size": "M"}], 422),
        ([{"asset_id": 999999, "licence": "standard", "size": "M"}], 422),
        ([{"asset_id": "PHOTO", "licence": "standard", "size": "XL"}], 422),
        ([{"asset_id": "PHOTO", "licence": "platinum", "size": "M"}], 422),
        ([{"asset_id": "PHOTO", "licence": "standard", "size": "M"}] * 2, 422),
    ],
)
def test_bad_orders_are_refused_clearly(
    buying: Buying, items: list[dict[str, Any]], status: int
) -> None:
    for item in items:
        if item["asset_id"] == "PHOTO":
            item["asset_id"] = buying.photo
    response = buying.client.post("/api/v1/orders", json={"items": items}, headers=buying.headers)
    assert response.status_code == status
    assert response.get_json()["error"]["message"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar() == 0


def test_paying_and_the_webhook_issue_licences_and_post_the_sale(
    buying: Buying, smtp_sink: SmtpSink
) -> None:
    order = buying.order((buying.photo, "standard", "M"), (buying.other, "extended", "S"))
    paid = buying.pay(order["id"])
    assert paid["status"] == "processing"
    assert paid["payment_intent_id"].startswith("pi_")
    # Stripe said yes, but only the webhook makes the order paid.
    assert buying.get(order["id"])["status"] == "pending_payment"
    assert deliver(buying.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
    body = buying.get(order["id"])
    assert body["status"] == "paid"
    assert len(body["licences"]) == 2
    assert {(lic["licence"], lic["size"]) for lic in body["licences"]} == {
        ("standard", "M"),
        ("extended", "S"),
    }
    assert _entries(order["id"]) == [f"order:{order['id']}:paid"]
    _balanced()
    member_id = buying.catalogue.member.id
    # 50 % of 4500 and 75 % of 1500 + 10000.
    assert ledger.member_balance(db.session(), member_id, "USD") == 2250 + 8625
    smtp_sink.wait_for(buying.buyer.email, f"order #{order['id']}")
    with buying.app.app_context():
        from marketplace.assets.models import Asset

        assert db.session.get(Asset, buying.photo).times_licensed == 1  # type: ignore[union-attr]


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
    assert _entries(order["id"]) == [f"order:{order['id']}:paid"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Licence)).scalar() == 1
    _balanced()


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
        assert _entries(order["id"]) == [f"order:{order['id']}:paid"]
        smtp_sink.wait_for(buying.buyer.email, f"order #{order['id']}")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Licence)).scalar() == 3
    _balanced()
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


def test_a_declined_card_leaves_the_order_ready_for_another_try(buying: Buying) -> None:
    order = buying.order((buying.photo, "standard", "M"))
    declined = buying.pay(order["id"], DECLINED_CARD)
    assert declined["status"] == "failed"
    assert "declined" in declined["error"].lower()
    assert declined["payment_intent_id"].startswith("pi_")
    assert buying.get(order["id"])["status"] == "pending_payment"
    again = buying.pay(order["id"])
    assert again["status"] == "processing"
    assert again["payment_intent_id"] != declined["payment_intent_id"]


def test_three_d_secure_is_finished_in_the_page_then_confirmed(buying: Buying) -> None:
    order = buying.order((buying.photo, "standard", "M"))
    asked = buying.pay(order["id"], THREE_D_SECURE_CARD)
    assert asked["status"] == "requires_action"
    assert asked["client_secret"].startswith(asked["payment_intent_id"])
    # What stripe.handleCardAction does in the page, against the emulator.
    intent = asked["payment_intent_id"]
    authenticated = urllib.request.Request(  # noqa: S310 - loopback
        f"{buying.emulator.base_url}/v1/payment_intents/{intent}/_authenticate?success=true",
        data=json.dumps({"key": "pk_test_x", "client_secret": asked["client_secret"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(authenticated, timeout=10):  # noqa: S310 - loopback
        pass
    confirmed = buying.client.post(
        f"/api/v1/orders/{order['id']}/payment/confirm", headers=buying.headers
    ).get_json()
    assert confirmed["status"] == "processing"
    deliver(buying.client, payment_succeeded(intent))
    assert buying.get(order["id"])["status"] == "paid"


def test_paying_twice_never_starts_a_second_payment(buying: Buying) -> None:
    order = buying.order((buying.photo, "standard", "M"))
    first = buying.pay(order["id"])
    second = buying.pay(order["id"])
    assert second["payment_intent_id"] == first["payment_intent_id"]
    stored = db.session.get(Order, order["id"])
    assert stored is not None
    db.session.refresh(stored)
    assert stored.payment_attempts == 1


def test_what_the_buyer_already_licenses_is_refused(buying: Buying) -> None:
    buying.bought((buying.photo, "standard", "M"))
    for licence, size in (("standard", "M"), ("standard", "S")):
        response = buying.client.post(
            "/api/v1/orders",
            json={"items": [{"asset_id": buying.photo, "licence": licence, "size": size}]},
            headers=buying.headers,
        )
        assert response.status_code == 409
        assert response.get_json()["error"]["code"] == "already_licensed"
    # A higher tier is a real upgrade.
    buying.order((buying.photo, "extended", "M"))
    buying.order((buying.photo, "standard", "L"))


def test_refunds_reverse_exactly_the_refunded_items(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    first_item, second_item = order["items"]
    response = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"items": [first_item["id"]]},
        headers=buying.admin_headers,
    )
    assert response.status_code == 202, response.get_json()
    body = buying.get(order["id"])
    assert body["status"] == "partially_refunded"
    statuses = {lic["asset_id"]: lic["status"] for lic in body["licences"]}
    assert statuses == {buying.photo: "refunded", buying.other: "valid"}
    member_id = buying.catalogue.member.id
    assert ledger.member_balance(db.session(), member_id, "USD") == 750  # 50 % of 1500 left
    # Stripe's charge.refunded for the same refund is recognised, not applied twice.
    assert (
        deliver(
            buying.client, stripe_event("charge.refunded", {"id": _charge_of(order["id"])})
        ).status_code
        == 200
    )
    assert len(_entries(order["id"])) == 2
    # The rest, then nothing left.
    refund_all = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund", json={}, headers=buying.admin_headers
    )
    assert refund_all.status_code == 202
    assert buying.get(order["id"])["status"] == "refunded"
    again = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund", json={}, headers=buying.admin_headers
    )
    assert again.status_code == 409
    assert ledger.member_balance(db.session(), member_id, "USD") == 0
    _balanced()
    # Only admins refund.
    assert (
        buying.client.post(
            f"/api/v1/admin/orders/{order['id']}/refund", json={}, headers=buying.headers
        ).status_code
        == 403
    )
    # Stripe refunded no more than was paid.
    refunds = stripe_client(buying.emulator.base_url).v1.refunds.list(
        {"payment_intent": order["payment"]["payment_intent_id"]}
    )
    assert sum(r.amount for r in refunds.auto_paging_iter()) == order["total_cents"]


def _charge_of(order_id: int) -> str:
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order is not None
    assert order.charge_id
    return order.charge_id


def test_a_refund_event_before_the_payment_event_settles_the_payment_first(buying: Buying) -> None:
    order = buying.order((buying.photo, "standard", "M"))
    paid = buying.pay(order["id"])
    intent = stripe_client(buying.emulator.base_url).v1.payment_intents.retrieve(
        paid["payment_intent_id"]
    )
    charge = intent.to_dict()["latest_charge"]
    charge_id = charge["id"] if isinstance(charge, dict) else charge
    deliver(buying.client, stripe_event("charge.refunded", {"id": charge_id}))
    assert buying.get(order["id"])["status"] == "paid"
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    assert _entries(order["id"]) == [f"order:{order['id']}:paid"]
    assert len(buying.get(order["id"])["licences"]) == 1


def test_disputes_suspend_licences_until_won_and_reverse_when_lost(buying: Buying) -> None:
    won = buying.bought((buying.photo, "standard", "M"))
    lost = buying.bought((buying.other, "standard", "S"))
    won_charge, lost_charge = _charge_of(won["id"]), _charge_of(lost["id"])
    deliver(
        buying.client,
        dispute_event(
            "charge.dispute.created", "dp_won", won_charge, won["total_cents"], "needs_response"
        ),
    )
    body = buying.get(won["id"])
    assert body["status"] == "disputed"
    licence_id = body["licences"][0]["id"]
    download = buying.client.get(f"/api/v1/licences/{licence_id}/download", headers=buying.headers)
    assert download.status_code == 410
    deliver(
        buying.client,
        dispute_event("charge.dispute.closed", "dp_won", won_charge, won["total_cents"], "won"),
    )
    assert buying.get(won["id"])["status"] == "paid"
    assert buying.get(won["id"])["licences"][0]["status"] == "valid"

    deliver(
        buying.client,
        dispute_event(
            "charge.dispute.created", "dp_lost", lost_charge, lost["total_cents"], "needs_response"
        ),
    )
    closed = dispute_event(
        "charge.dispute.closed", "dp_lost", lost_charge, lost["total_cents"], "lost"
    )
    # Stripe's withdrawal for a lost dispute carries its fee; 20.00 here, not the US default 15.00,
    # so the test shows the fee is read from Stripe's object.
    closed["data"]["object"]["balance_transactions"] = [
        {
            "id": "txn_dp_lost",
            "object": "balance_transaction",
            "amount": -lost["total_cents"] - 2000,
            "fee": 2000,
            "currency": "usd",
            "type": "adjustment",
        }  # fmt: skip
    ]
    deliver(buying.client, closed)
    deliver(buying.client, closed)
    body = buying.get(lost["id"])
    assert body["status"] == "refunded"
    assert body["licences"][0]["status"] == "refunded"
    assert _entries(lost["id"]) == [
        "dispute:dp_lost:lost",
        "dispute_fee:dp_lost",
        f"order:{lost['id']}:paid",
    ]
    fee_entry = ledger.entry_for_key(db.session(), "dispute_fee:dp_lost")
    assert fee_entry is not None
    assert {(line.account.code, line.side, line.amount_cents) for line in fee_entry.lines} == {
        ("5100", "debit", 2000),
        ("1100", "credit", 2000),
    }
    assert ledger.member_balance(db.session(), buying.catalogue.member.id, "USD") == 2250
    _balanced()


def test_an_inquiry_closed_without_a_chargeback_keeps_the_sale(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    charge = _charge_of(order["id"])
    opened = dispute_event(
        "charge.dispute.created",
        "dp_inquiry",
        charge,
        order["total_cents"],
        "warning_needs_response",
    )
    deliver(buying.client, opened)
    assert buying.get(order["id"])["status"] == "disputed"
    closed = dispute_event(
        "charge.dispute.closed", "dp_inquiry", charge, order["total_cents"], "warning_closed"
    )
    deliver(buying.client, closed)
    body = buying.get(order["id"])
    assert body["status"] == "paid"
    assert body["licences"][0]["status"] == "valid"
    assert _entries(order["id"]) == [f"order:{order['id']}:paid"]


def test_two_pending_orders_for_the_same_licence_cannot_both_be_paid(buying: Buying) -> None:
    first = buying.order((buying.photo, "standard", "M"))
    second = buying.order((buying.photo, "standard", "M"))
    paid = buying.pay(first["id"])
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    response = buying.client.post(
        f"/api/v1/orders/{second['id']}/payment",
        json={"payment_method": payment_method(buying.emulator.base_url)},
        headers=buying.headers,
    )
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "already_licensed"


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
