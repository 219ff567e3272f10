"""The tax on the buyer's pages: the cart asks where the buyer is, the pay page shows the tax
before the card is charged, the order page keeps it, and a wrong VAT number is said plainly."""

from __future__ import annotations

import re
from datetime import date

from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import deliver, payment_succeeded
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.web import AuthActions, post_form


def _with_cart(app: Flask) -> FlaskClient:
    buyer = Factory().buyer()
    photo = Catalogue().add("Harbour at dawn", "harbour", size=(4000, 3000))
    client = app.test_client()
    AuthActions(client).login(buyer.email)
    post_form(
        client,
        "/cart/add",
        {"asset_id": photo, "licence": "standard", "size": "M"},
        from_page="/cart",
    )
    return client


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_cart_asks_for_the_billing_place_and_the_pay_page_shows_the_tax(
    shop_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    client = _with_cart(shop_app)
    cart = client.get("/cart").get_data(as_text=True)
    assert 'name="country"' in cart
    assert 'name="tax_id"' in cart
    assert "VAT number (for businesses)" in cart
    assert "+ tax" in _text(cart)  # dollars: the tax is added at checkout
    checkout = post_form(
        client, "/cart/checkout", {"country": "US", "region": "wa"}, from_page="/cart"
    )
    assert checkout.status_code == 302
    pay_page = client.get(checkout.headers["Location"]).get_data(as_text=True)
    words = _text(pay_page)
    # $45.00 at Washington's 6.5 %: $2.925, rounded half up to $2.93, before the card is asked for.
    assert "Subtotal (before tax) $45.00" in words
    assert "Sales tax (US-WA) 6.5% $2.93" in words
    assert "Pay $47.93" in words
    order_id = re.search(r"/orders/(\d+)/pay", checkout.headers["Location"]).group(1)  # type: ignore[union-attr]
    detail = _text(client.get(f"/orders/{order_id}").get_data(as_text=True))
    assert "Sales tax (US-WA) 6.5% $2.93" in detail


def test_a_wrong_vat_number_sends_the_buyer_back_to_the_cart_saying_so(
    shop_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    client = _with_cart(shop_app)
    checkout = post_form(
        client,
        "/cart/checkout",
        {"country": "DE", "tax_id": "DE136695977"},
        from_page="/cart",
        follow_redirects=True,
    )
    page = _text(checkout.get_data(as_text=True))
    assert "is not a valid EU VAT number" in page
    assert "Harbour at dawn" in page  # the cart is kept


def test_the_admin_sales_tax_page_and_its_csv(buying: Buying) -> None:
    placed = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [{"asset_id": buying.photo, "licence": "standard", "size": "M"}],
            "currency": "CAD",
            "billing": {"country": "CA", "region": "ON"},
        },
        headers=buying.headers,
    ).get_json()
    paid = buying.pay(placed["id"])
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    admin = buying.app.test_client()
    AuthActions(admin).login(buying.admin.email)
    page = _text(admin.get("/admin/payments/sales-tax").get_data(as_text=True))
    # CA$59.00 at Ontario's 13 % HST: CA$7.67, and the ledger's 2300-CA-ON says the same.
    assert "CA-ON CAD CA$59.00 CA$7.67 CA$0.00 CA$7.67 Agrees" in page
    today = date.today().isoformat()
    csv_text = admin.get(
        f"/admin/payments/sales-tax?period_start={today}&period_end={today}&format=csv"
    ).get_data(as_text=True)
    assert csv_text.splitlines() == [
        "jurisdiction,currency,taxable_cents,tax_cents,refunded_taxable_cents,"
        "refunded_tax_cents,net_tax_cents,ledger_cents",
        "CA-ON,CAD,5900,767,0,0,767,767",
    ]
    assert buying.client.get("/admin/payments/sales-tax").status_code in (302, 403)

    # The emulator's test cards are French: evidence against the Ontario billing place, which
    # the admin's order page points out (the payment went through).
    order_page = _text(admin.get(f"/admin/orders/{placed['id']}").get_data(as_text=True))
    assert "Card’s country FR" in order_page
    assert "The card was issued in FR but the buyer gave CA as where they are" in order_page


def test_admins_choose_whether_a_currency_s_prices_include_the_tax(buying: Buying) -> None:
    admin = buying.app.test_client()
    AuthActions(admin).login(buying.admin.email)
    listing = admin.get("/admin/currencies/").get_data(as_text=True)
    assert 'name="tax_behavior"' in listing
    page = buying.client.get(f"/assets/{buying.photo}?currency=EUR", follow_redirects=True)
    assert "Price" in page.get_data(as_text=True)
    saved = post_form(
        admin,
        "/admin/currencies/EUR/tax-behavior",
        {"tax_behavior": "exclusive"},
        from_page="/admin/currencies/",
        follow_redirects=True,
    )
    assert "Saved: how EUR prices show the tax." in saved.get_data(as_text=True)
    # Euro prices now have the VAT added: 42.00 € plus 20 % for a French consumer.
    order = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [{"asset_id": buying.photo, "licence": "standard", "size": "M"}],
            "currency": "EUR",
            "billing": {"country": "FR"},
        },
        headers=buying.headers,
    ).get_json()
    assert (order["tax_behavior"], order["subtotal_cents"], order["tax_cents"]) == (
        "exclusive",
        4200,
        840,
    )
    refused = post_form(
        admin,
        "/admin/currencies/EUR/tax-behavior",
        {"tax_behavior": "sometimes"},
        from_page="/admin/currencies/",
        follow_redirects=True,
    )
    assert "Choose whether the prices include the tax." in refused.get_data(as_text=True)


def test_the_asset_page_says_whether_its_price_includes_the_tax(
    shop_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    buyer = Factory().buyer()
    photo = Catalogue().add("Harbour at dawn", "harbour", size=(4000, 3000))
    client = shop_app.test_client()
    AuthActions(client).login(buyer.email)
    dollars = _text(client.get(f"/assets/{photo}", follow_redirects=True).get_data(as_text=True))
    assert "Price before tax: any tax is added at checkout." in dollars
    post_form(client, "/currency", {"currency": "EUR"}, from_page="/currency")
    euros = _text(client.get(f"/assets/{photo}", follow_redirects=True).get_data(as_text=True))
    assert "Price includes VAT where it applies." in euros


def test_the_pay_page_in_french_names_the_vat_and_the_reverse_charge(
    shop_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    client = _with_cart(shop_app)
    headers = {"Accept-Language": "fr"}
    checkout = post_form(
        client,
        "/cart/checkout",
        {"country": "DE", "tax_id": "DE136695976"},
        from_page="/cart",
        headers=headers,
    )
    assert checkout.status_code == 302
    words = _text(client.get(checkout.headers["Location"], headers=headers).get_data(as_text=True))
    assert "TVA (DE) : autoliquidation" in words
    assert "Autoliquidation : TVA due par le preneur" in words
    assert "DE136695976" in words
