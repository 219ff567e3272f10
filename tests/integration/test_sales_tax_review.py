"""The sales-tax review's input defects: bad checkout bodies and billing places are clear 4xx
answers naming the field, never a 500 nor a place Stripe Tax does not know."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders import places, taxing
from marketplace.orders.models import Order
from tests.fixtures.buying import Buying, buying_fixture  # noqa: F401 - a fixture
from tests.fixtures.web import AuthActions, post_form


def _fill_cart(buying: Buying) -> None:
    added = buying.client.post(
        "/api/v1/cart/items",
        json={"asset_id": buying.photo, "licence": "standard", "size": "M"},
        headers=buying.headers,
    )
    assert added.status_code in (200, 201), added.get_json()


@pytest.mark.parametrize("body", [[], ["billing"], "billing", 7])
def test_a_checkout_body_that_is_no_json_object_is_a_4xx(buying: Buying, body: object) -> None:
    _fill_cart(buying)
    response = buying.client.post(
        "/api/v1/cart/checkout",
        data=json.dumps(body),
        headers={**buying.headers, "Content-Type": "application/json"},
    )
    assert 400 <= response.status_code < 500, response.get_data(as_text=True)
    assert "error" in response.get_json()


@pytest.mark.parametrize("country", ["EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK", "IC", "AC"])
def test_a_pseudo_territory_is_no_billing_country(buying: Buying, country: str) -> None:
    response = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [{"asset_id": buying.photo, "licence": "standard", "size": "M"}],
            "billing": {"country": country},
        },
        headers=buying.headers,
    )
    assert response.status_code == 422, response.get_json()
    assert "billing.country" in response.get_json()["error"]["fields"]


@pytest.mark.parametrize(("country", "region"), [("US", "ZZ"), ("US", "ON"), ("CA", "WA")])
def test_a_region_must_be_a_real_state_or_province(
    buying: Buying, country: str, region: str
) -> None:
    response = buying.client.post(
        "/api/v1/orders",
        json={
            "items": [{"asset_id": buying.photo, "licence": "standard", "size": "M"}],
            "billing": {"country": country, "region": region},
        },
        headers=buying.headers,
    )
    assert response.status_code == 422, response.get_json()
    assert "billing.region" in response.get_json()["error"]["fields"]


def test_the_cart_offers_countries_only(buying: Buying) -> None:
    with buying.app.test_request_context():
        codes = {code for code, _ in taxing.country_choices()}
    assert codes == places.COUNTRY_CODES
    assert len(codes) == 249  # ISO 3166-1 alpha-2
    assert {"FR", "US", "CA", "DE", "AX", "SS"} <= codes
    assert not codes & {"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB", "XK"}


def _add_on_the_page(buying: Buying) -> None:
    post_form(
        buying.client,
        "/cart/add",
        {"asset_id": buying.photo, "licence": "standard", "size": "M"},
        from_page="/cart",
    )


def _cart_page_checkout(buying: Buying, form: dict[str, str]) -> str:
    """Check the cart out through the page with ``form``; the page it lands on."""
    _add_on_the_page(buying)
    response = post_form(
        buying.client, "/cart/checkout", form, from_page="/cart", follow_redirects=True
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _orders() -> int:
    return int(db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one())


def test_the_site_s_checkout_requires_the_billing_country(buying: Buying) -> None:
    AuthActions(buying.client).login(buying.buyer.email)
    _add_on_the_page(buying)
    page = buying.client.get("/cart").get_data(as_text=True)
    assert re.search(r'<select[^>]*id="billing-country"[^>]*\brequired\b', page)
    landed = _cart_page_checkout(buying, {})
    assert "Choose the country you are in: the tax depends on it." in landed
    assert _orders() == 0


def test_the_site_s_checkout_requires_a_us_state(buying: Buying) -> None:
    AuthActions(buying.client).login(buying.buyer.email)
    landed = _cart_page_checkout(buying, {"country": "US"})
    assert "billing.region is needed in US" in landed
    assert _orders() == 0
    landed = _cart_page_checkout(buying, {"country": "US", "region": "WA"})
    assert _orders() == 1
    order = db.session.execute(sa.select(Order)).scalar_one()
    assert (order.billing_country, order.billing_region, order.tax_cents) == ("US", "WA", 293)


def test_the_api_s_checkout_without_billing_charges_no_tax(buying: Buying) -> None:
    _fill_cart(buying)
    response = buying.client.post("/api/v1/cart/checkout", headers=buying.headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["tax_cents"] == 0
