"""The buyer's and the admin's pages for orders: cart, checkout, order, refunds, events."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.lightboxes import services as lightboxes
from marketplace.orders.models import CartItem, Order
from marketplace.payments.models import Refund
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import deliver, payment_method, payment_succeeded
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.web import NO_TAX_PLACE, AuthActions, post_form


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def _cart(client: FlaskClient) -> list[tuple[int, str, str]]:
    db.session.expire_all()
    return [
        (c.asset_id, c.licence, c.size)
        for c in db.session.execute(sa.select(CartItem).order_by(CartItem.id)).scalars()
    ]


def test_cart_checkout_and_the_pay_page(shop_app: Flask, stripe_emulator: StripeEmulator) -> None:
    buyer = Factory().buyer()
    catalogue = Catalogue()
    photo = catalogue.add("Harbour at dawn", "harbour", size=(4000, 3000))
    client = _signed_in(shop_app, buyer.email)
    asset_page = client.get(f"/assets/{photo}", follow_redirects=True).get_data(as_text=True)
    assert "Add to cart" in asset_page

    added = post_form(
        client,
        "/cart/add",
        {"asset_id": photo, "licence": "standard", "size": "M"},
        from_page="/cart",
        follow_redirects=True,
    )
    assert "Added “Harbour at dawn”" in added.get_data(as_text=True)
    assert _cart(client) == [(photo, "standard", "M")]
    # The cart changes the licence and size in place.
    post_form(client, "/cart/add", {"asset_id": photo, "choice": "extended:L"}, from_page="/cart")
    assert _cart(client) == [(photo, "extended", "L")]
    cart = client.get("/cart").get_data(as_text=True)
    assert "$195.00" in cart  # L 9500 + extended 10000
    # A size the photo cannot reach is refused with the reason, and nothing changes.
    refused = post_form(
        client,
        "/cart/add",
        {"asset_id": photo, "choice": "standard:XL"},
        from_page="/cart",
        follow_redirects=True,
    )
    assert refused.status_code == 200
    assert _cart(client) == [(photo, "extended", "L")]

    checkout = post_form(client, "/cart/checkout", NO_TAX_PLACE, from_page="/cart")
    assert checkout.status_code == 302
    order_id = int(re.search(r"/orders/(\d+)/pay", checkout.headers["Location"]).group(1))  # type: ignore[union-attr]
    assert _cart(client) == []
    pay_page = client.get(f"/orders/{order_id}/pay")
    assert pay_page.status_code == 200
    html = pay_page.get_data(as_text=True)
    assert f'src="{stripe_emulator.base_url}/js.stripe.com/coop/v3/"' in html
    assert stripe_emulator.base_url in pay_page.headers["Content-Security-Policy"]
    assert "$195.00" in html

    # The page's own payment call: JSON with the CSRF header, as checkout.js sends it.
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    answer = client.post(
        f"/orders/{order_id}/payment",
        json={"payment_method": payment_method(stripe_emulator.base_url)},
        headers={"X-CSRFToken": token},
    ).get_json()
    assert answer["status"] == "processing"
    assert client.get(f"/orders/{order_id}/status").get_json()["status"] == "pending_payment"
    deliver(client, payment_succeeded(answer["payment_intent_id"]))
    assert client.get(f"/orders/{order_id}/status").get_json()["status"] == "paid"
    detail = client.get(f"/orders/{order_id}").get_data(as_text=True)
    assert "Download size " in detail
    assert "Certificate" in detail
    assert f"#{order_id}" in client.get("/account/orders").get_data(as_text=True)
    # Paid: the pay page sends the buyer to the order.
    assert client.get(f"/orders/{order_id}/pay").status_code == 302
    # Somebody else's order does not exist for them.
    stranger = _signed_in(shop_app, Factory().buyer().email)
    assert stranger.get(f"/orders/{order_id}").status_code == 404


def test_a_lightbox_item_goes_to_the_cart_at_the_largest_size(shop_app: Flask) -> None:
    buyer = Factory().buyer()
    photo = Catalogue().add("Fjord", "fjord", size=(4000, 3000))
    lightbox = lightboxes.create(buyer, "Ideas")
    lightboxes.add_item(buyer, lightbox.id, photo)
    client = _signed_in(shop_app, buyer.email)
    page = client.get(f"/lightboxes/{lightbox.id}").get_data(as_text=True)
    assert "Add to cart" in page
    post_form(client, "/cart/add", {"asset_id": photo}, from_page=f"/lightboxes/{lightbox.id}")
    assert _cart(client) == [(photo, "standard", "L")]


def test_admin_pages_refund_and_rerun(shop_app: Flask, stripe_emulator: StripeEmulator) -> None:
    admin = Factory().admin()
    buyer = Factory().buyer()
    catalogue = Catalogue()
    first = catalogue.add("Dune", "dune", size=(4000, 3000))
    second = catalogue.add("Oasis", "oasis", size=(4000, 3000))
    buyer_client = _signed_in(shop_app, buyer.email)
    for asset in (first, second):
        post_form(
            buyer_client,
            "/cart/add",
            {"asset_id": asset, "choice": "standard:S"},
            from_page="/cart",
        )
    post_form(buyer_client, "/cart/checkout", NO_TAX_PLACE, from_page="/cart")
    order = db.session.execute(sa.select(Order)).scalar_one()
    html = buyer_client.get(f"/orders/{order.id}/pay").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    intent = buyer_client.post(
        f"/orders/{order.id}/payment",
        json={"payment_method": payment_method(stripe_emulator.base_url)},
        headers={"X-CSRFToken": token},
    ).get_json()["payment_intent_id"]
    deliver(buyer_client, payment_succeeded(intent))

    client = _signed_in(shop_app, admin.email)
    assert f"#{order.id}" in client.get("/admin/orders?status=paid").get_data(as_text=True)
    page = client.get(f"/admin/orders/{order.id}").get_data(as_text=True)
    assert "Refund selected items" in page
    assert buyer_client.get(f"/admin/orders/{order.id}").status_code in (302, 403)
    # Nothing ticked is a mistake, not "everything".
    nothing = post_form(
        client,
        f"/admin/orders/{order.id}/refund",
        {},
        follow_redirects=True,
        from_page=f"/admin/orders/{order.id}",
    )
    assert "Tick the items to refund" in nothing.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Refund)).scalar() == 0
    item_id = order.items[0].id
    post_form(
        client,
        f"/admin/orders/{order.id}/refund",
        {"items": item_id},
        from_page=f"/admin/orders/{order.id}",
    )
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "partially_refunded"  # type: ignore[union-attr]
    post_form(
        client,
        f"/admin/orders/{order.id}/refund",
        {"scope": "all"},
        from_page=f"/admin/orders/{order.id}",
    )
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "refunded"  # type: ignore[union-attr]

    events = client.get("/admin/payments/events").get_data(as_text=True)
    assert "payment_intent.succeeded" in events
    event_id = re.search(r"(evt_[0-9a-f]+)", events).group(1)  # type: ignore[union-attr]
    rerun = post_form(
        client,
        f"/admin/payments/events/{event_id}/rerun",
        from_page="/admin/payments/events",
        follow_redirects=True,
    )
    assert f"Event {event_id} queued again" in rerun.get_data(as_text=True)
    assert client.get("/admin/payments/reconciliation").status_code == 200
    assert buyer_client.get("/admin/payments/events").status_code in (302, 403)
