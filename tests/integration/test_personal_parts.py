"""Pages cached for every signed-in viewer: nobody's cart, lightboxes, licences or menu in them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.lightboxes import services as lightboxes
from marketplace.lightboxes.models import LightboxItem
from marketplace.orders.services import ItemRequest, add_to_cart
from marketplace.page_cache import HEADER, MemoryPageStore, get_store
from marketplace.personal_parts import CSRF_PLACEHOLDER
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_on_copy
from tests.fixtures.deliveries import licence_for
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.statements import counted
from tests.fixtures.web import AuthActions

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')
CART_COUNT = re.compile(r'data-cart-count="(\d+)"')


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink) -> Iterator[Flask]:
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, PAGE_CACHE="memory") as app:
        yield app


@dataclass
class Person:
    user: User
    client: FlaskClient
    lightbox: str
    cart_lines: int
    admin: bool

    def get(self, path: str) -> TestResponse:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response

    @property
    def marks(self) -> list[str]:
        """What only this person's pages may show."""
        return [self.user.email, self.user.display_name, self.lightbox]


def signed_in(app: Flask, user: User, lightbox: str, cart_lines: int, admin: bool) -> Person:
    client = app.test_client()
    AuthActions(client).login(user.email)
    client.get("/lightboxes")  # shows (and so takes) the welcome message: a flash is never cached
    return Person(user, client, lightbox, cart_lines, admin)


def tokens(page: str) -> set[str]:
    return {a or b for a, b in TOKEN.findall(page)}


def test_two_signed_in_people_never_see_each_others_data_through_the_cache(app: Flask) -> None:
    artist = Catalogue()
    harbour = artist.add("Harbour at dawn", "harbour, boats")
    noon = artist.add("Harbour at noon", "harbour")
    buyer = Factory().buyer("anouk@example.org", "Anouk Zebulon")
    admin = Factory().admin("bartholomew@example.org")
    add_to_cart(buyer, ItemRequest(harbour, "standard", "S"))
    add_to_cart(buyer, ItemRequest(noon, "standard", "S"))
    lightboxes.add_to_new(buyer, "Anouk secret moodboard", harbour)
    licence_for(buyer, noon, "S")
    lightboxes.add_to_new(admin, "Bartholomew campaign", noon)
    ana = signed_in(app, buyer, "Anouk secret moodboard", 2, admin=False)
    bart = signed_in(app, admin, "Bartholomew campaign", 0, admin=True)
    number = artist.member.member_number
    pages = [
        "/",
        "/search?q=harbour",
        f"/assets/{harbour}-harbour-at-dawn",
        f"/members/{number}",
        "/open-books",
    ]

    asset_page = f"/assets/{harbour}-harbour-at-dawn"
    for path in pages:
        seen = [(ana, ana.get(path)), (bart, bart.get(path)), (ana, ana.get(path))]
        assert [r.headers[HEADER] for _, r in seen] == ["miss", "hit", "hit"], path
        own_tokens: dict[str, set[str]] = {}
        for person, response in seen:
            page = response.get_data(as_text=True)
            other = bart if person is ana else ana
            # Their own parts, rendered into the page kept for everyone; nobody else's.
            assert person.user.display_name in page, (path, person.user.email)
            assert CART_COUNT.findall(page) == [str(person.cart_lines)], path
            assert ('href="/admin' in page) == person.admin, path
            if path == asset_page:
                assert person.lightbox in page, (path, person.user.email)
            for mark in other.marks:
                assert mark not in page, (path, person.user.email, mark)
            assert "data-personal=" not in page, path
            assert response.headers["Cache-Control"] == "private, no-store"
            assert CSRF_PLACEHOLDER not in page
            own_tokens.setdefault(person.user.email, set()).update(tokens(page))
        assert not own_tokens[ana.user.email] & own_tokens[bart.user.email], path
    # The lightbox form of a work: each one's own lightboxes.
    noon_page = bart.get(f"/assets/{noon}-harbour-at-noon").get_data(as_text=True)
    assert bart.lightbox in noon_page
    assert ana.lightbox not in noon_page

    # What the cache keeps carries nobody's data, and no token but the placeholder.
    store = get_store()
    assert isinstance(store, MemoryPageStore)
    kept = [page.body.decode() for _, page in store._pages.values()]
    assert len(kept) == len(pages) + 1  # and the noon asset page
    for body in kept:
        for mark in ana.marks + bart.marks:
            assert mark not in body
        assert tokens(body) == {CSRF_PLACEHOLDER}
        assert 'data-personal="account_menu"' in body


def test_the_token_on_a_page_from_the_cache_is_the_viewers_own(app: Flask) -> None:
    artist = Catalogue()
    harbour = artist.add("Harbour at dawn", "harbour")
    first = signed_in(app, Factory().buyer(), "first", 0, admin=False)
    second = signed_in(app, Factory().buyer(), "second", 0, admin=False)
    path = f"/assets/{harbour}-harbour-at-dawn"
    first.get(path)
    page = second.get(path)
    assert page.headers[HEADER] == "hit"
    (token,) = tokens(page.get_data(as_text=True))

    saved = second.client.post(
        "/lightboxes/add", data={"csrf_token": token, "asset_id": harbour, "new_name": "Mine"}
    )

    assert saved.status_code == 302, saved.get_data(as_text=True)[:500]
    assert LightboxItem.query.filter_by(asset_id=harbour).count() == 1


def test_members_see_their_own_work_profile_and_home_page_not_the_shared_ones(app: Flask) -> None:
    artist = Catalogue()
    harbour = artist.add("Harbour at dawn", "harbour")
    owner = db.session.get(User, artist.member.user_id)
    assert owner is not None
    client = app.test_client()
    AuthActions(client).login(owner.email)
    client.get("/lightboxes")
    own_profile = f"/members/{artist.member.member_number}"
    for path in (f"/assets/{harbour}-harbour-at-dawn", own_profile, "/"):
        response = client.get(path)
        assert response.status_code == 200
        assert HEADER not in response.headers, path
    assert f'href="{own_profile}"' in client.get("/").get_data(as_text=True)


def test_a_signed_in_page_counts_the_cart_as_it_is_now_in_the_session_statement(
    app: Flask,
) -> None:
    """Every signed-in page reads the viewer's cart lines in the statement that finds their
    sign-in session (one statement, not two), and each view shows the cart as it is then."""
    artist = Catalogue()
    harbour = artist.add("Harbour at dawn", "harbour, boats")
    noon = artist.add("Harbour at noon", "harbour")
    buyer = Factory().buyer("anouk@example.org", "Anouk Zebulon")
    ana = signed_in(app, buyer, "", 0, admin=False)
    path = f"/assets/{harbour}-harbour-at-dawn"

    def cart_counts(page: str) -> list[str]:
        with counted() as statements:
            found = CART_COUNT.findall(ana.get(page).get_data(as_text=True))
        counting = [s for s in statements if "FROM cart_items" in s]
        assert len(counting) == 1, page
        assert "FROM sign_in_sessions" in counting[0], page
        return found

    counts = []
    for work in [None, harbour, noon]:
        if work is not None:
            add_to_cart(buyer, ItemRequest(work, "standard", "S"))
        counts.append(cart_counts(path))
    assert counts == [["0"], ["1"], ["2"]]
    dusk = artist.add("Harbour at dusk", "harbour")
    add_to_cart(buyer, ItemRequest(dusk, "standard", "S"))
    assert cart_counts("/search?q=harbour") == ["3"]
    assert CART_COUNT.findall(ana.get("/cart").get_data(as_text=True)) == ["3"]


def test_a_signed_in_asset_page_reads_the_viewers_lightboxes_with_the_works_sale_state(
    app: Flask,
) -> None:
    """One statement, not two, on every signed-in view of an asset page, cached or not; the
    form offers the viewer's lightboxes last changed first, as on any other page."""
    artist = Catalogue()
    harbour = artist.add("Harbour at dawn", "harbour")
    noon = artist.add("Harbour at noon", "harbour")
    buyer = Factory().buyer("anouk@example.org", "Anouk Zebulon")
    lightboxes.add_to_new(buyer, "Anouk older box", noon)
    lightboxes.add_to_new(buyer, "Anouk newer box", noon)
    ana = signed_in(app, buyer, "", 0, admin=False)
    newcomer = signed_in(app, Factory().buyer(), "", 0, admin=False)
    path = f"/assets/{harbour}-harbour-at-dawn"
    for person, expected in ((ana, "miss"), (ana, "hit"), (newcomer, "hit")):
        with counted() as statements:
            response = person.get(path)
        assert response.headers[HEADER] == expected
        reading = [s for s in statements if "lightboxes" in s]
        assert len(reading) == 1, reading
        assert "FROM assets" in reading[0]
        page = response.get_data(as_text=True)
        if person is ana:
            assert page.index("Anouk newer box") < page.index("Anouk older box")
        else:
            assert "Anouk" not in page
            assert "Name your first lightbox" in page
