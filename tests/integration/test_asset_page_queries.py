"""The asset page's licence and size picker costs the same few queries however many sizes and
licences it offers, for a visitor and for a buyer, and the cart's choices cost none per line."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.statements import counted
from tests.fixtures.web import AuthActions, post_form

# The asset page before the picker (a price table) ran 7 queries for a visitor and 9 for a
# signed-in buyer; the picker reads the licence terms once for every price, so it runs fewer.
VISITOR_QUERIES = 7
BUYER_QUERIES = 9


def _page_queries(client: FlaskClient, path: str) -> tuple[int, str]:
    client.get(path)  # warm: the first request of an app loads what every request shares
    with counted() as statements:
        page = client.get(path)
    assert page.status_code == 200
    return len(statements), page.get_data(as_text=True)


def test_the_picker_costs_no_query_per_size_or_licence(app: Flask, client: FlaskClient) -> None:
    catalogue = Catalogue()
    small = catalogue.add("Small harbour", "harbour", size=(1000, 700))  # S only
    large = catalogue.add("Large harbour", "harbour", size=(6000, 4000))  # S, M, L, XL
    few, small_page = _page_queries(client, f"/assets/{small}-small-harbour")
    many, large_page = _page_queries(client, f"/assets/{large}-large-harbour")
    assert re.findall(r'name="size" value="(\w+)"', small_page) == ["S"]
    assert re.findall(r'name="size" value="(\w+)"', large_page) == ["S", "M", "L", "XL"]
    assert re.findall(r'name="licence" value="(\w+)"', large_page) == ["standard", "extended"]
    assert few == many
    assert many <= VISITOR_QUERIES, many


def test_a_buyer_s_page_and_cart_cost_no_query_per_choice(app: Flask) -> None:
    buyer = Factory().buyer()
    catalogue = Catalogue()
    first = catalogue.add("Dune", "dune", size=(6000, 4000))
    second = catalogue.add("Oasis", "oasis", size=(1000, 700))
    client = app.test_client()
    AuthActions(client).login(buyer.email)
    signed_in, page = _page_queries(client, f"/assets/{first}-dune")
    # XL under the standard licence: the largest size is chosen first.
    assert "Add to cart — <span data-chosen-price>$125.00</span>" in page
    assert signed_in <= BUYER_QUERIES, signed_in

    post_form(client, "/cart/add", {"asset_id": first, "licence": "standard", "size": "M"})
    one_line, cart = _page_queries(client, "/cart")
    assert cart.count('name="size"') == 4
    post_form(client, "/cart/add", {"asset_id": second, "licence": "extended", "size": "S"})
    two_lines, cart = _page_queries(client, "/cart")
    assert cart.count('name="size"') == 5
    # The second line adds its own price check only, not one query per licence or size.
    assert two_lines - one_line <= 2, (one_line, two_lines)
