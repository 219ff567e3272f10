"""The sales-tax review's input defects: bad checkout bodies and billing places are clear 4xx
answers naming the field, never a 500 nor a place Stripe Tax does not know."""

from __future__ import annotations

import json

import pytest

from marketplace.orders import places, taxing
from tests.fixtures.buying import Buying, buying_fixture  # noqa: F401 - a fixture


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
