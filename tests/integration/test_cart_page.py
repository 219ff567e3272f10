"""The cart page: one place per line to choose licence and size, what a change says, and a line
that can no longer be sold as chosen."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, post_form


def _buyer(app: Flask) -> FlaskClient:
    client = app.test_client()
    AuthActions(client).login(Factory().buyer().email)
    return client


def _checked(cart: str, asset_id: int, name: str) -> list[str]:
    return re.findall(rf'id="line-{asset_id}-{name}-\w+" name="{name}" value="(\w+)" checked', cart)


def test_each_line_has_one_choice_of_licence_and_size_that_changes_it(app: Flask) -> None:
    client = _buyer(app)
    photo = Catalogue().add("Harbour at dawn", "harbour", size=(4200, 2800))
    added = post_form(
        client, "/cart/add", {"asset_id": photo, "licence": "standard", "size": "M"},
        from_page="/cart", follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "Added “Harbour at dawn” (standard licence, size M) to your cart." in added
    assert _checked(added, photo, "licence") == ["standard"]
    assert _checked(added, photo, "size") == ["M"]
    # One form per line holds both choices; no second place (a column, a select) to pick them.
    assert added.count("data-cart-choice") == 1
    assert not re.search(r'<select[^>]*name="(licence|size)"', added)  # the billing place has one
    assert "<dd data-cart-total>$45.00</dd>" in added

    choice = {"asset_id": photo, "licence": "extended", "size": "L", "from": "cart"}
    changed = post_form(
        client, "/cart/add", choice, from_page="/cart", follow_redirects=True
    ).get_data(as_text=True)
    assert "Changed “Harbour at dawn” (extended licence, size L) in your cart." in changed
    assert _checked(changed, photo, "licence") == ["extended"]
    assert _checked(changed, photo, "size") == ["L"]
    assert "<dd data-cart-total>$195.00</dd>" in changed
    assert "Extended licence · 4200 × 2800 px" in changed


def test_a_line_no_longer_on_sale_says_why_and_leaves_the_total(app: Flask) -> None:
    client = _buyer(app)
    catalogue = Catalogue()
    kept = catalogue.add("Dune", "dune", size=(4000, 3000))
    gone = catalogue.add("Oasis", "oasis", size=(4000, 3000))
    for asset_id in (kept, gone):
        post_form(
            client, "/cart/add", {"asset_id": asset_id, "licence": "standard", "size": "S"},
            from_page="/cart",
        )  # fmt: skip
    with unit_of_work() as session:
        asset = session.get(Asset, gone)
        assert asset is not None
        asset.withdrawn_at = utcnow()
    cart = client.get("/cart").get_data(as_text=True)
    assert "1 item in your cart can no longer be licensed as chosen." in cart
    assert f"Asset {gone} is not for sale." in cart
    assert 'class="cart-line cart-line--problem"' in cart
    assert cart.count("data-cart-choice") == 1, "no choice offered for work not on sale"
    assert "<dt>1 licence</dt>" in cart
    assert "<dd data-cart-total>$15.00</dd>" in cart
    assert 'aria-describedby="checkout-help"' in cart
