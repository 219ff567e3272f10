"""Paying twice for one licence, on PostgreSQL with the real worker and the Stripe emulator's own
signed webhooks: concurrent checkouts make one order, concurrent payments charge once, a
duplicate payment that gets through is refunded, and the database holds one standing licence."""

from __future__ import annotations

import json
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from tests.fixtures.payments import THREE_D_SECURE_CARD, payment_method
from tests.fixtures.shop import Shop, assert_no_duplicates, order_status, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client

pytestmark = pytest.mark.services

RACERS = 10


def _at_once(app: Flask, calls: list[tuple[str, str, dict[str, Any] | None]], headers: Any) -> list:
    """POST every (path, kind, body) at the same moment, each from its own thread, app context
    and client (so its own database session and connection); the responses, in order."""
    start = threading.Barrier(len(calls))

    def post(call: tuple[str, str, dict[str, Any] | None]) -> tuple[int, Any]:
        path, _, body = call
        with app.app_context():
            client = app.test_client()
            start.wait(10)
            response = client.post(path, json=body, headers=headers)
            return response.status_code, response.get_json()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(post, calls))


def test_ten_concurrent_checkouts_of_one_cart_make_one_order(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Checkout race", "race")
    added = shop.client.post(
        "/api/v1/cart/items",
        json={"asset_id": asset, "licence": "standard", "size": "M"},
        headers=shop.headers,
    )
    assert added.status_code == 201
    answers = _at_once(
        services_app, [("/api/v1/cart/checkout", "checkout", None)] * RACERS, shop.headers
    )
    assert sorted(status for status, _ in answers) == [200] * (RACERS - 1) + [201], answers
    assert len({body["id"] for _, body in answers}) == 1
    orders = db.session.execute(
        sa.select(Order.id).where(Order.buyer_id == shop.buyer.id)
    ).scalars()
    assert list(orders) == [answers[0][1]["id"]]


def test_two_orders_for_one_licence_paid_at_once_charge_once(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Payment race", "race")
    orders = [shop.order(asset), shop.order(asset)]
    answers = _at_once(
        services_app,
        [
            (
                f"/api/v1/orders/{order_id}/payment",
                "pay",
                {"payment_method": payment_method(stripe_emulator.base_url)},
            )
            for order_id in orders
        ],
        shop.headers,
    )
    assert sorted(status for status, _ in answers) == [200, 409], answers
    refused = next(body for status, body in answers if status == 409)
    assert refused["error"]["code"] == "already_licensed"
    charged = orders[[status for status, _ in answers].index(200)]
    wait_for(lambda: order_status(charged) == "paid")
    assert order_status(orders[0] + orders[1] - charged) == "pending_payment"
    assert _standing(shop, asset) == [charged]
    assert_no_duplicates()


def _authenticate(emulator: StripeEmulator, asked: dict[str, Any]) -> None:
    """What stripe.handleCardAction does in the page; the emulator then charges the card."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{emulator.base_url}/v1/payment_intents/{asked['payment_intent_id']}"
        "/_authenticate?success=true",
        data=json.dumps({"key": "pk_test_x", "client_secret": asked["client_secret"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass


def _standing(shop: Shop, asset: int) -> list[int]:
    db.session.expire_all()
    return list(
        db.session.execute(
            sa.select(Licence.order_id).where(
                Licence.holder_user_id == shop.buyer.id,
                Licence.asset_id == asset,
                Licence.status.in_(("valid", "disputed")),
            )
        ).scalars()
    )


def test_a_duplicate_payment_is_refunded_by_the_worker_and_licenses_nothing(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    """The first order waits for 3-D Secure (no money taken: the second may be paid), and the
    buyer finishes it after the second was paid. The emulator's signed webhooks reach the app;
    the worker settles both, licenses the work once and refunds the duplicate item at Stripe."""
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Duplicate harbour", "harbour")
    first, second = shop.order(asset), shop.order(asset)
    asked = shop.client.post(
        f"/api/v1/orders/{first}/payment",
        json={"payment_method": payment_method(stripe_emulator.base_url, THREE_D_SECURE_CARD)},
        headers=shop.headers,
    ).get_json()
    assert asked["status"] == "requires_action", asked
    shop.pay(second)
    wait_for(lambda: order_status(second) == "paid")
    _authenticate(stripe_emulator, asked)
    wait_for(lambda: order_status(first) == "refunded")
    assert _standing(shop, asset) == [second]
    refund = db.session.execute(sa.select(Refund).where(Refund.order_id == first)).scalar_one()
    assert refund.status == "succeeded"
    assert refund.requested_by_id is None
    order = db.session.get(Order, first)
    assert order is not None
    assert order.items[0].licence_id is None
    # Stripe holds exactly one refund, of the whole duplicate payment.
    refunds = stripe_client(stripe_emulator.base_url).v1.refunds.list(
        {"payment_intent": order.payment_intent_id}
    )
    assert [r.amount for r in refunds.data] == [order.total_cents]
    balance = ledger.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
    assert_no_duplicates()


def test_postgresql_refuses_a_second_standing_licence(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Unique dune", "dune")

    def issue(size: str = "M") -> Licence:
        with unit_of_work() as session:
            return licensing.issue(
                session,
                holder_id=shop.buyer.id,
                asset_id=asset,
                terms_id=licensing.current_terms(session, "standard").id,
                size=size,
                price_cents=4500,
                currency="USD",
                order_id=0,
                order_item_id=None,
            )

    first = issue()
    with pytest.raises(IntegrityError, match="uq_licences_standing"):
        issue()
    issue(size="L")
    with unit_of_work() as session:
        licensing.revoke(session, first.id, "refunded")
    issue()
