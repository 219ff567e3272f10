"""What the asset page offers each viewer: a visitor's page holds nothing personal, a buyer's
posts to the cart, the artist's own page sells nothing to them; credits of work shown by
permission sit under the preview."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions


def _credit(asset_id: int, author: str, licence: str, url: str | None) -> None:
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.credit_author, asset.credit_licence, asset.credit_url = author, licence, url


def test_a_visitor_s_page_posts_nothing_and_leads_to_sign_in(client: FlaskClient) -> None:
    photo = Catalogue().add("Harbour at dawn", "harbour", size=(4200, 2800))
    page = client.get(f"/assets/{photo}-harbour-at-dawn").get_data(as_text=True)
    # Shared by every visitor through the page cache: no token, no form that posts.
    assert 'name="csrf_token"' not in page
    assert 'method="post"' not in page
    assert 'action="/login"' in page
    assert f'name="next" value="/assets/{photo}-harbour-at-dawn"' in page
    assert "Sign in to buy — <span data-chosen-price>$95.00</span>" in page
    # What each licence allows, in its own words; the chosen one shown, the other ready.
    assert "Up to 500,000 printed copies in total" in page
    assert "Unlimited printed copies" in page
    assert 'data-rights-for="extended" hidden' in page


def test_a_buyer_adds_to_the_cart_and_the_artist_sees_their_own_work(app: Flask) -> None:
    catalogue = Catalogue()
    photo = catalogue.add("Harbour at dawn", "harbour", size=(4200, 2800))
    buyer = app.test_client()
    AuthActions(buyer).login(Factory().buyer().email)
    page = buyer.get(f"/assets/{photo}-harbour-at-dawn").get_data(as_text=True)
    assert 'method="post" action="/cart/add"' in page
    assert "Add to cart — <span data-chosen-price>$95.00</span>" in page

    artist = app.test_client()
    AuthActions(artist).login(catalogue.member.user.email)
    own = artist.get(f"/assets/{photo}-harbour-at-dawn").get_data(as_text=True)
    assert "Add to cart" not in own
    assert "This is your work" in own
    assert "Edit in your portfolio" in own


def test_a_credited_photo_names_its_author_and_links_its_licence(client: FlaskClient) -> None:
    catalogue = Catalogue()
    credited = catalogue.add("Bridge", "bridge")
    _credit(credited, "Sander Klootwijk", "CC-BY-SA-3.0", "https://example.org/bridge-source")
    page = client.get(f"/assets/{credited}-bridge").get_data(as_text=True)
    # The licence links its deed and the source is a separate link: a licence name must never
    # lead to where the file came from.
    assert (
        '<p class="asset-credit small">Photo © Sander Klootwijk · licensed '
        '<a href="https://creativecommons.org/licenses/by-sa/3.0/" rel="license noopener">'
        "CC BY-SA 3.0</a> · "
        '<a href="https://example.org/bridge-source" rel="noopener">source</a></p>'
    ) in page
    # The member who listed a work they did not make is named as its lister, not its author.
    assert "Listed by <a" in page
    assert "Photo by <a" not in page
    unlinked = catalogue.add("Pier", "pier")
    _credit(unlinked, "Ann Author", "Free Art License 1.3", None)
    page = client.get(f"/assets/{unlinked}-pier").get_data(as_text=True)
    credit = '<p class="asset-credit small">Photo © Ann Author · licensed Free Art License 1.3</p>'
    assert credit in page
    plain = catalogue.add("Quay", "quay")
    assert "asset-credit" not in client.get(f"/assets/{plain}-quay").get_data(as_text=True)
