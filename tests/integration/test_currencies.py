"""Prices per currency on the fast tier: the API lists each currency on sale, an order is placed
in the buyer's currency (asked, chosen or from the language), the switcher on the pages, and the
admin page that sets a currency's table (reviewed, confirmed, audited)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.audit.models import AuditEntry
from marketplace.extensions import db
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, as ``buying``
)
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, post_form


def _prices(client: FlaskClient, asset_id: int, headers: dict[str, str]) -> set[tuple]:
    response = client.get(f"/api/v1/assets/{asset_id}", headers=headers)
    assert response.status_code == 200
    return {
        (p["currency"], p["licence"], p["size"], p["amount_cents"])
        for p in response.get_json()["prices"]
    }


def test_the_api_lists_each_currency_on_sale_at_its_own_table(buying: Buying) -> None:
    # 3000 × 2000 reaches S and M.
    prices = _prices(buying.client, buying.other, buying.headers)
    assert prices == {
        ("USD", "standard", "S", 1500),
        ("USD", "standard", "M", 4500),
        ("USD", "extended", "S", 11500),
        ("USD", "extended", "M", 14500),
        ("EUR", "standard", "S", 1400),
        ("EUR", "standard", "M", 4200),
        ("EUR", "extended", "S", 10900),
        ("EUR", "extended", "M", 13700),
        ("GBP", "standard", "S", 1200),
        ("GBP", "standard", "M", 3600),
        ("GBP", "extended", "S", 9100),
        ("GBP", "extended", "M", 11500),
        ("CAD", "standard", "S", 1900),
        ("CAD", "standard", "M", 5900),
        ("CAD", "extended", "S", 15400),
        ("CAD", "extended", "M", 19400),
    }


def _order(buying: Buying, headers: dict[str, str] | None = None, **body: object) -> dict:
    response = buying.client.post(
        "/api/v1/orders",
        json={"items": [{"asset_id": buying.photo, "licence": "standard", "size": "L"}], **body},
        headers={**buying.headers, **(headers or {})},
    )
    assert response.status_code in (201, 422), response.get_json()
    return {"status": response.status_code, **response.get_json()}


def test_an_order_is_placed_in_the_currency_asked_for_or_the_buyers(buying: Buying) -> None:
    asked = _order(buying, currency="GBP")
    assert (asked["currency"], asked["total_cents"], asked["subtotal_cents"]) == ("GBP", 7500, 7500)
    assert (asked["tax_cents"], asked["tax"]) == (0, [])
    assert asked["items"][0]["price_cents"] == 7500
    assert _order(buying, currency="eur")["currency"] == "EUR"

    assert _order(buying, {"Accept-Language": "fr-FR,fr;q=0.9"})["total_cents"] == 8900
    assert _order(buying, {"Accept-Language": "en-CA"})["currency"] == "CAD"
    plain = _order(buying)
    assert (plain["currency"], plain["total_cents"]) == ("USD", 9500)

    # An account that chose French pays in euros when it asks for nothing else.
    chose = buying.client.patch("/api/v1/me/profile", json={"locale": "fr"}, headers=buying.headers)
    assert chose.status_code == 200, chose.get_json()
    assert _order(buying)["currency"] == "EUR"
    assert _order(buying, currency="USD")["currency"] == "USD"

    refused = _order(buying, currency="CHF")
    assert refused["status"] == 422
    assert refused["error"]["code"] == "currency_not_on_sale"
    assert "USD, EUR, GBP, CAD" in refused["error"]["message"]


def test_the_switcher_changes_the_prices_of_the_asset_page(app: Flask, client: FlaskClient) -> None:
    asset_id = Catalogue().add("Harbour at dawn", "sea")
    page = f"/assets/{asset_id}-harbour-at-dawn"
    english = client.get(page).get_data(as_text=True)
    assert "$45.00" in english
    assert re.search(r"<span data-currency>USD</span>", english)
    for code in ("USD", "EUR", "GBP", "CAD"):
        assert f'name="currency" value="{code}"' in english

    french = client.get(page, headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "42,00\xa0€" in french or "42,00 €" in french
    assert "$45.00" not in french

    # The asset page is cached for every visitor: its switcher asks /currency, whose form
    # carries a CSRF token, and a post without one is refused.
    assert 'action="/currency" method' in english or 'method="get" action="/currency"' in english
    assert client.post("/currency", data={"currency": "GBP", "next": page}).status_code == 400
    chooser = client.get(f"/currency?currency=GBP&next={page}").get_data(as_text=True)
    assert 'value="GBP" data-autosubmit' in chooser
    token = re.search(r'name="csrf_token" value="([^"]+)"', chooser)
    assert token is not None
    switched = client.post(
        "/currency", data={"currency": "GBP", "next": page, "csrf_token": token.group(1)}
    )
    assert switched.status_code == 302
    assert switched.headers["Location"] == page
    assert "currency=GBP" in switched.headers["Set-Cookie"]
    pounds = client.get(page).get_data(as_text=True)
    assert "£36.00" in pounds
    assert "£12.00" in pounds
    assert "$45.00" not in pounds

    assert (
        client.post(
            "/currency",
            data={"currency": "XYZ", "next": "//evil.example", "csrf_token": token.group(1)},
        ).headers["Location"]
        == "/"
    )


def test_an_accounts_choice_is_stored_and_prices_its_cart(app: Flask, client: FlaskClient) -> None:
    asset_id = Catalogue().add("Harbour at dawn", "sea")
    buyer = Factory().buyer()
    AuthActions(client).login(buyer.email)
    post_form(client, "/currency", {"currency": "CAD", "next": "/cart"}, from_page="/cart")
    db.session.expire_all()
    assert db.session.get(type(buyer), buyer.id).currency == "CAD"
    client.delete_cookie("currency")
    post_form(
        client,
        "/cart/add",
        {"asset_id": asset_id, "licence": "standard", "size": "M"},
        from_page="/cart",
    )
    cart = client.get("/cart").get_data(as_text=True)
    assert "CA$59.00" in cart


def test_an_admin_sets_a_currencys_table_after_reviewing_it(
    app: Flask, client: FlaskClient
) -> None:
    admin = Factory().admin()
    AuthActions(client).login(admin.email)
    index = client.get("/admin/currencies/").get_data(as_text=True)
    assert "€14.00" in index
    assert "CA$19.00" in index
    assert "$15.00" in index

    form = {
        f"size_{c}": v
        for c, v in (
            ("S", "15"),
            ("M", "42"),
            ("L", "89"),
            ("XL", "119"),
            ("HD", "74"),
            ("4K", "189"),
        )
    }
    form.update(licence_standard="0", licence_extended="99.50")
    review = post_form(client, "/admin/currencies/EUR", form)
    assert review.status_code == 200
    text = review.get_data(as_text=True)
    assert "S: €14.00 → €15.00" in text
    assert "extended: €95.00 → €99.50" in text
    assert (
        db.session.execute(
            sa.select(AuditEntry).where(AuditEntry.action == "currency.prices_set")
        ).first()
        is None
    )

    saved = post_form(
        client,
        "/admin/currencies/EUR",
        {**form, "confirm": "yes"},
        from_page="/admin/currencies/EUR",
    )
    assert saved.status_code == 302
    entry = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "currency.prices_set")
    ).scalar_one()
    assert entry.before == {"S": 1400, "extended": 9500}
    assert entry.after == {"S": 1500, "extended": 9950}
    assert "€15.00" in client.get("/admin/currencies/").get_data(as_text=True)

    bad = post_form(
        client,
        "/admin/currencies/EUR",
        {**form, "size_M": "4.205"},
        from_page="/admin/currencies/EUR",
    )
    assert bad.status_code == 422
    assert "M: at most 2 decimals." in bad.get_data(as_text=True)

    # A new currency goes on sale once its whole table is saved.
    post_form(
        client,
        "/admin/currencies/CHF",
        {**form, "confirm": "yes"},
        from_page="/admin/currencies/CHF",
    )
    assert "CHF" in client.get("/admin/currencies/").get_data(as_text=True)
    assert 'value="CHF"' in client.get("/").get_data(as_text=True)


def test_search_and_home_tiles_show_the_buyers_currency(app: Flask, client: FlaskClient) -> None:
    Catalogue().add("Harbour at dawn", "harbour")
    assert "from $15.00" in client.get("/search?q=harbour").get_data(as_text=True)
    client.set_cookie("currency", "GBP")
    assert "from £12.00" in client.get("/search?q=harbour").get_data(as_text=True)
    assert "from £12.00" in client.get("/").get_data(as_text=True)
    client.delete_cookie("currency")
    french = client.get("/search?q=harbour", headers={"Accept-Language": "fr"})
    assert "14,00" in french.get_data(as_text=True)


def test_pages_still_render_when_the_currencies_cannot_be_read(
    app: Flask, client: FlaskClient
) -> None:
    Catalogue().add("Harbour at dawn", "harbour")
    db.session.execute(sa.text("ALTER TABLE sale_currencies RENAME TO sale_currencies_gone"))
    db.session.commit()
    page = client.get("/search?q=harbour", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "currency-menu" not in text, "no switcher without the currencies"
    assert "15,00" in text, "the settlement currency's prices"
