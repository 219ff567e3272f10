"""Buying licences on the fast tier (SQLite, tasks inline, the real Stripe emulator): orders priced
by the server, paying by card (declined, 3-D Secure, twice), licences issued and the sale
posted by the webhook, and what a buyer already licenses refused."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.orders.models import Order
from tests.fixtures.buying import (
    Buying,
    assert_balanced,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
    entry_keys_of,
)
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import (
    DECLINED_CARD,
    THREE_D_SECURE_CARD,
    deliver,
    payment_method,
    payment_succeeded,
)


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
    assert entry_keys_of(order["id"]) == [f"order:{order['id']}:paid"]
    assert_balanced()
    member_id = buying.catalogue.member.id
    # 50 % of 4500 and 75 % of 1500 + 10000.
    assert ledger.member_balance(db.session(), member_id, "USD") == 2250 + 8625
    smtp_sink.wait_for(buying.buyer.email, f"order #{order['id']}")
    with buying.app.app_context():
        from marketplace.assets.models import Asset

        assert db.session.get(Asset, buying.photo).times_licensed == 1  # type: ignore[union-attr]


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
