"""Paying twice for one licence, on the fast tier (SQLite, tasks inline, the Stripe emulator).

One standing (valid or disputed) licence per buyer, asset, licence kind and size: the
database refuses a second; a payment is refused while another of the buyer's orders is being
paid for the same work; a duplicate payment that gets through anyway (a 3-D Secure payment
finished after another order was paid) issues no licence and is refunded automatically; and
checking the cart out twice, or repeating an order with its ``Idempotency-Key``, gives the
same order back.
"""

from __future__ import annotations

import json
import logging
import re
import urllib.request
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from tests.fixtures.buying import (
    Buying,
    assert_balanced,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
    entry_keys_of,
)
from tests.fixtures.payments import (
    DECLINED_CARD,
    THREE_D_SECURE_CARD,
    deliver,
    payment_method,
    payment_succeeded,
)
from tests.fixtures.web import NO_TAX_PLACE, AuthActions, post_form

_items = iter(range(5_000, 10**6))


def _issue(buying: Buying, size: str = "M", kind: str = "standard") -> Licence:
    with unit_of_work() as session:
        terms = licensing.current_terms(session, kind)
        return licensing.issue(
            session,
            holder_id=buying.buyer.id,
            asset_id=buying.photo,
            terms_id=terms.id,
            size=size,
            price_cents=4500,
            currency="USD",
            order_id=1,
            order_item_id=next(_items),
        )


def test_the_database_refuses_a_second_standing_licence(buying: Buying) -> None:
    first = _issue(buying)
    with pytest.raises(IntegrityError), unit_of_work():
        _issue(buying)
    # Another size or kind is another licence; a disputed one still stands.
    _issue(buying, size="L")
    _issue(buying, kind="extended")
    with unit_of_work() as session:
        licensing.mark_disputed(session, first.id)
    with pytest.raises(IntegrityError), unit_of_work():
        _issue(buying)
    # Once it has ended (refunded, or a dispute lost) the buyer may license it again.
    with unit_of_work() as session:
        licensing.revoke(session, first.id, "refunded")
    _issue(buying)


def _pay_response(buying: Buying, order_id: int, card: str = "4242424242424242") -> Any:
    return buying.client.post(
        f"/api/v1/orders/{order_id}/payment",
        json={"payment_method": payment_method(buying.emulator.base_url, card)},
        headers=buying.headers,
    )


def test_a_payment_waits_for_no_webhook_to_refuse_paying_twice(buying: Buying) -> None:
    """The first order's payment went through at Stripe, its webhook is not here yet: paying
    a second order for the same licence is refused, not charged."""
    first = buying.order((buying.photo, "standard", "M"))
    second = buying.order((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    assert buying.pay(first["id"])["status"] == "processing"
    refused = _pay_response(buying, second["id"])
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["error"]["code"] == "already_licensed"
    assert f"order {first['id']}" in refused.get_json()["error"]["message"]
    assert db.session.get(Order, second["id"]).payment_intent_id is None  # type: ignore[union-attr]


def test_a_declined_payment_does_not_block_another_order(buying: Buying) -> None:
    first = buying.order((buying.photo, "standard", "M"))
    second = buying.order((buying.photo, "standard", "M"))
    assert buying.pay(first["id"], DECLINED_CARD)["status"] == "failed"
    assert buying.pay(second["id"])["status"] == "processing"


def _authenticate(buying: Buying, asked: dict[str, Any]) -> None:
    """What stripe.handleCardAction does in the page, against the emulator (which charges)."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{buying.emulator.base_url}/v1/payment_intents/{asked['payment_intent_id']}"
        "/_authenticate?success=true",
        data=json.dumps({"key": "pk_test_x", "client_secret": asked["client_secret"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass


def test_a_duplicate_payment_that_got_through_is_refunded_not_licensed(
    buying: Buying, caplog: pytest.LogCaptureFixture
) -> None:
    """The first order waits for 3-D Secure (no money taken, so the second may be paid); the
    buyer then finishes it too. Both are charged: the second to settle issues no licence and
    its item is refunded at Stripe by the refund service; the ledger balances."""
    first = buying.order((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    second = buying.order((buying.photo, "standard", "M"))
    asked = buying.pay(first["id"], THREE_D_SECURE_CARD)
    assert asked["status"] == "requires_action"
    paid = buying.pay(second["id"])
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    assert buying.get(second["id"])["status"] == "paid"

    _authenticate(buying, asked)
    deliver(buying.client, payment_succeeded(asked["payment_intent_id"]))
    # The batch left it to the one-at-a-time path on purpose; nothing failed on the way.
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert not [r.getMessage() for r in caplog.records if "failed" in r.getMessage()]

    order = buying.get(first["id"])
    duplicate, other = order["items"]
    assert order["status"] == "partially_refunded"
    assert (duplicate["status"], duplicate["licence_id"]) == ("refunded", None)
    assert other["status"] == "active"
    assert other["licence_id"] is not None
    standing = db.session.execute(
        sa.select(Licence).where(Licence.asset_id == buying.photo, Licence.status == "valid")
    ).scalars()
    assert [lic.order_id for lic in standing] == [second["id"]]
    refund = db.session.execute(
        sa.select(Refund).where(Refund.order_id == first["id"])
    ).scalar_one()
    assert (refund.status, refund.item_ids, refund.requested_by_id) == (
        "succeeded",
        [duplicate["id"]],
        None,
    )
    assert refund.amount_cents == duplicate["price_cents"]
    assert entry_keys_of(first["id"]) == sorted(
        [f"order:{first['id']}:paid", f"refund:{refund.id}"]
    )
    assert_balanced()
    # A replay of the payment changes nothing.
    deliver(buying.client, payment_succeeded(asked["payment_intent_id"]))
    assert db.session.execute(sa.select(sa.func.count()).select_from(Refund)).scalar() == 1


def test_checking_the_cart_out_twice_gives_the_same_order(buying: Buying) -> None:
    def checkout(headers: dict[str, str]) -> Any:
        return buying.client.post("/api/v1/cart/checkout", headers=headers)

    added = buying.client.post(
        "/api/v1/cart/items",
        json={"asset_id": buying.photo, "licence": "standard", "size": "M"},
        headers=buying.headers,
    )
    assert added.status_code == 201
    made = checkout(buying.headers)
    assert made.status_code == 201, made.get_json()
    again = checkout(buying.headers)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == made.get_json()["id"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar() == 1
    # With a key, the key names the order: the same key, the same order.
    buying.client.post(
        "/api/v1/cart/items",
        json={"asset_id": buying.other, "licence": "standard", "size": "S"},
        headers=buying.headers,
    )
    keyed = {**buying.headers, "Idempotency-Key": "cart-try-1"}
    second = checkout(keyed)
    assert second.status_code == 201
    assert second.get_json()["id"] != made.get_json()["id"]
    assert checkout(keyed).get_json()["id"] == second.get_json()["id"]
    # Once the order it became is no longer waiting for payment, an empty cart is just empty.
    with unit_of_work() as session:
        session.execute(sa.update(Order).values(status="cancelled"))
    empty = checkout(buying.headers)
    assert empty.status_code == 422


def test_the_checkout_form_posted_twice_opens_the_same_order(buying: Buying) -> None:
    client = buying.app.test_client()
    AuthActions(client).login(buying.buyer.email)
    post_form(
        client,
        "/cart/add",
        {"asset_id": buying.photo, "licence": "standard", "size": "M"},
        from_page="/cart",
    )
    token_page = "/cart"
    first = post_form(client, "/cart/checkout", NO_TAX_PLACE, from_page=token_page)
    second = post_form(client, "/cart/checkout", NO_TAX_PLACE, from_page=token_page)
    assert first.status_code == second.status_code == 302
    assert re.search(r"/orders/(\d+)/pay", first.headers["Location"])
    assert second.headers["Location"] == first.headers["Location"]


def test_an_order_repeated_with_its_idempotency_key_is_the_same_order(buying: Buying) -> None:
    items = {"items": [{"asset_id": buying.photo, "licence": "standard", "size": "M"}]}
    keyed = {**buying.headers, "Idempotency-Key": "order-7f3a"}
    made = buying.client.post("/api/v1/orders", json=items, headers=keyed)
    assert made.status_code == 201
    again = buying.client.post("/api/v1/orders", json=items, headers=keyed)
    assert again.status_code == 200
    assert again.get_json()["id"] == made.get_json()["id"]
    other = {"items": [{"asset_id": buying.other, "licence": "standard", "size": "M"}]}
    reused = buying.client.post("/api/v1/orders", json=other, headers=keyed)
    assert reused.status_code == 422
    assert reused.get_json()["error"]["code"] == "idempotency_key_reused"
    too_long = {**buying.headers, "Idempotency-Key": "x" * 256}
    assert buying.client.post("/api/v1/orders", json=items, headers=too_long).status_code == 422
    # Without a key, each request is a new order.
    assert (
        buying.client.post("/api/v1/orders", json=items, headers=buying.headers).status_code == 201
    )
    assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar() == 2
