"""The layout's parts rendered once per process (``marketplace.fragments``): each reader still
gets their own menu, token and page address, in their own language, with the cache off."""

from __future__ import annotations

import re
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.fragments import EXTENSION_KEY
from marketplace.licensing import services
from marketplace.licensing import terms as licence_terms
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions

TOKENS = re.compile(r'name="csrf_token" value="([^"]+)"|name="csrf-token" content="([^"]+)"')
NEXT = re.compile(r'name="next" value="([^"]*)"')
SEARCH_BOX = re.compile(r'id="header-q"[^>]*value="([^"]*)"', re.S)


def page_of(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    page = response.get_data(as_text=True)
    assert "fragment-placeholder" not in page, path
    return page


def tokens(page: str) -> set[str]:
    return {a or b for a, b in TOKENS.findall(page)}


def test_two_signed_in_readers_each_get_their_own_menu_and_token(app: Flask) -> None:
    harbour = Catalogue().add("Harbour at dawn", "harbour")
    ana_user = Factory().buyer("anouk@example.org", "Anouk Zebulon")
    bart_user = Factory().buyer("bartholomew@example.org", "Bartholomew Quince")
    ana, bart = app.test_client(), app.test_client()
    AuthActions(ana).login(ana_user.email)
    AuthActions(bart).login(bart_user.email)

    for path in (f"/assets/{harbour}-harbour-at-dawn", "/search?q=harbour", "/about"):
        ana_page, bart_page, ana_again = (
            page_of(ana, path),
            page_of(bart, path),
            page_of(ana, path),
        )
        for page, own, other in ((ana_page, ana_user, bart_user), (bart_page, bart_user, ana_user)):
            assert own.display_name in page, path
            assert own.email in page, path
            assert other.display_name not in page, path
            assert other.email not in page, path
            # One token on the page, the session's own: the menu's sign-out form has it too.
            assert len(tokens(page)) == 1, path
        assert tokens(ana_page) == tokens(ana_again)
        assert not tokens(ana_page) & tokens(bart_page)
    assert app.extensions[EXTENSION_KEY], "the layout's parts were kept"

    # A new name shows at once: the menu is kept by what it shows of the person.
    user = db.session.get(User, bart_user.id)
    assert user is not None
    user.display_name = "Bart Renamed"
    db.session.commit()
    assert "Bart Renamed" in page_of(bart, "/about")


def test_each_page_sends_the_switchers_back_to_itself_and_shows_its_own_search(
    client: FlaskClient,
) -> None:
    words = ["harbour", '<b>boats"</b>', "harbour"]
    for path, query in [(f"/search?{urlencode({'q': w})}", w) for w in words] + [("/about", "")]:
        page = page_of(client, path)
        # Both switchers (language, currency) send the reader back here; the box shows the
        # words searched for, escaped.
        assert set(NEXT.findall(page)) == {str(escape(path))}, path
        assert SEARCH_BOX.findall(page) == [str(escape(query))], path
        assert "<b>boats" not in page


def test_a_visitor_on_a_shared_page_gets_no_token_and_no_session(client: FlaskClient) -> None:
    harbour = Catalogue().add("Harbour at dawn", "harbour")
    for _ in range(2):  # rendered, then copied
        response = client.get(f"/assets/{harbour}-harbour-at-dawn")
        page = response.get_data(as_text=True)
        assert tokens(page) == set()
        assert "Set-Cookie" not in response.headers
        assert 'method="get" action="/language"' in page
    # A page that posts (sign-in) has the visitor's token in its switchers.
    login = page_of(client, "/login")
    assert len(tokens(login)) == 1
    assert 'method="post" action="/language"' in login


def test_each_language_has_its_own_layout(client: FlaskClient) -> None:
    english = page_of(client, "/about")
    french = client.get("/about", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Skip to main content" in english
    assert "Skip to main content" not in french
    assert "Skip to main content" in page_of(client, "/about")


def test_an_address_that_spells_a_placeholder_is_shown_as_it_is(client: FlaskClient) -> None:
    harbour = Catalogue().add("Harbour at dawn", "harbour")
    for word in ("fragment-placeholder-token-7f3a", "fragment-placeholder-query-7f3a"):
        for path in (f"/assets/{harbour}-harbour-at-dawn?z={word}", f"/search?q={word}"):
            response = client.get(path)
            assert response.status_code == 200, path
            # Shown as the reader asked for it: no token, no session started.
            assert "Set-Cookie" not in response.headers, path
            assert path in NEXT.findall(response.get_data(as_text=True)), path


CURRENT = re.compile(r'href="([^"]+)"\s*aria-current="(?:page|true)"')


def test_the_page_marked_current_and_the_search_box_follow_the_page_in_any_order(
    app: Flask,
) -> None:
    member = Factory().member("mira@example.org")
    admin = Factory().admin("ada@example.org")
    number = member.member.member_number if member.member else None
    for email in (None, member.email, admin.email):
        client = app.test_client()
        if email is not None:
            AuthActions(client).login(email)
        pages = {"/": [], "/search": ["/search"], "/about": ["/about"] if email is None else []}
        if email == member.email:
            pages[f"/members/{number}"] = [f"/members/{number}"]
            pages["/members"] = ["/members"]
        if email == admin.email:
            pages["/admin/"] = ["/admin/"]
        for order in (list(pages), list(reversed(pages))):
            for path in order:
                page = page_of(client, path)
                assert set(CURRENT.findall(page)) == set(pages[path]), (email, path)
                # No search box in the header on the home page (its own is the hero's).
                assert ('id="header-q"' in page) == (path != "/"), (email, path)
        if email == member.email:
            assert f'href="/members/{number}"' in page_of(client, "/about")
        assert ('href="/admin/"' in page_of(client, "/about")) == (email == admin.email)


def test_new_licence_terms_show_at_once_on_every_asset_page(client: FlaskClient) -> None:
    """The rights an asset page lists are kept per terms version: new terms replace them."""
    catalogue = Catalogue()
    dawn, noon = (catalogue.add(f"Harbour at {t}", "harbour") for t in ("dawn", "noon"))
    before = page_of(client, f"/assets/{dawn}-harbour-at-dawn")
    current = services.current_terms(db.session(), "standard")
    licence_terms.save_terms(
        Factory().admin(),
        "standard",
        summary="Use it in anything printed, up to 1,000 copies.",
        permits=["Print runs up to 1,000 copies", *current.permits[1:]],
        full_text=current.full_text,
        royalty_bps=current.royalty_bps,
        surcharge_cents=current.surcharge_cents,
    )
    for path in (f"/assets/{dawn}-harbour-at-dawn", f"/assets/{noon}-harbour-at-noon"):
        page = page_of(client, path)
        assert "Use it in anything printed, up to 1,000 copies." in page, path
        assert "Print runs up to 1,000 copies" in page, path
        assert "Use it in anything printed" not in before
