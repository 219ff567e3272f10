"""The page cache: public pages shared by anonymous visitors, renewed when the catalogue changes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from marketplace.accounts.models import User
from marketplace.assets import services as assets
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.page_cache import HEADER, CachedPage, MemoryPageStore, get_store
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.use_cases import UseCaseFailed, fail_after
from tests.fixtures.web import AuthActions, csrf_token


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink) -> Iterator[Flask]:
    """The usual test app, with the in-process page cache on (the test profile has it off)."""
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, PAGE_CACHE="memory") as app:
        yield app


@pytest.fixture
def catalogue(app: Flask) -> Catalogue:
    return Catalogue()


def get(client: FlaskClient, path: str, status: int = 200) -> TestResponse:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response


def cache_of(response: TestResponse) -> str | None:
    return response.headers.get(HEADER)


def headers_but_the_cache_header(response: TestResponse) -> list[tuple[str, str]]:
    """The headers a cached answer must repeat: all but the cache's own and the request id
    (each request's own, hit or miss)."""
    return sorted((k, v) for k, v in response.headers.items() if k not in (HEADER, "X-Request-ID"))


def owner(catalogue: Catalogue) -> User:
    user = db.session.get(User, catalogue.member.user_id)
    assert user is not None
    return user


def test_public_pages_are_served_from_the_cache_the_second_time(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    asset_id = catalogue.add("Harbour at dawn", "sea, boats")
    pages = [
        "/",
        "/search?q=harbour",
        f"/assets/{asset_id}-harbour-at-dawn",
        f"/members/{catalogue.member.member_number}",
    ]
    for path in pages:
        first, second = get(client, path), get(client, path)
        assert (cache_of(first), cache_of(second)) == ("miss", "hit"), path
        assert second.get_data() == first.get_data(), path
        assert headers_but_the_cache_header(second) == headers_but_the_cache_header(first), path
        assert "Set-Cookie" not in first.headers, path
        # A token would make the page personal: anonymous visitors get none on these pages.
        assert 'name="csrf-token"' not in first.get_data(as_text=True), path
    assert client.head("/search?q=harbour").headers[HEADER] == "hit"


def test_signed_in_visitors_get_their_own_variant_never_the_anonymous_page(
    app: Flask, client: FlaskClient, catalogue: Catalogue
) -> None:
    catalogue.add("Harbour at dawn", "sea, boats")
    Factory().buyer("bea@example.org", "Bea Buyer")
    anonymous = app.test_client()
    assert cache_of(get(anonymous, "/search?q=harbour")) == "miss"
    AuthActions(client).login("bea@example.org")
    assert cache_of(get(client, "/search?q=harbour")) is None, "the welcome message shows first"

    for expected in ("miss", "hit"):
        page = get(client, "/search?q=harbour")
        assert cache_of(page) == expected
        assert "Bea Buyer" in page.get_data(as_text=True), "their own menu, rendered for them"
        assert 'name="csrf-token"' in page.get_data(as_text=True), "their forms still need it"
        assert page.headers["Cache-Control"] == "private, no-store"
    # What the signed-in visitor saw is not what anonymous visitors get, nor the other way.
    assert cache_of(get(client, "/search?q=boats")) == "miss"
    boats = get(anonymous, "/search?q=boats")
    assert cache_of(boats) == "miss"
    assert "Bea Buyer" not in boats.get_data(as_text=True)
    assert 'name="csrf-token"' not in get(anonymous, "/search?q=harbour").get_data(as_text=True)


def test_publishing_editing_and_withdrawing_show_on_the_next_search(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    asset_id = catalogue.add("Lighthouse at dusk", "coast", status="pending_review")
    search = "/search?q=lighthouse"
    assert "Lighthouse at dusk" not in get(client, search).get_data(as_text=True)
    assert cache_of(get(client, search)) == "hit"

    assets.review(Factory().admin(), asset_id, "approve")
    published = get(client, search)
    assert cache_of(published) == "miss"
    assert "Lighthouse at dusk" in published.get_data(as_text=True)
    assert cache_of(get(client, search)) == "hit"

    assets.update_details(owner(catalogue), asset_id, title="Lighthouse in the storm")
    edited = get(client, search)
    assert cache_of(edited) == "miss"
    assert "Lighthouse in the storm" in edited.get_data(as_text=True)
    assert cache_of(get(client, search)) == "hit"

    assets.withdraw(owner(catalogue), asset_id)
    withdrawn = get(client, search)
    assert cache_of(withdrawn) == "miss"
    assert "Lighthouse in the storm" not in withdrawn.get_data(as_text=True)


def test_changes_no_visitor_can_see_keep_the_cached_pages(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    catalogue.add("Harbour at dawn", "sea")
    waiting = catalogue.add("Harbour at night", "sea", status="pending_review")
    get(client, "/search?q=harbour")
    Factory().buyer()  # a new account is shown nowhere
    assets.update_details(owner(catalogue), waiting, title="Harbour at midnight")
    assert cache_of(get(client, "/search?q=harbour")) == "hit"


def test_a_use_case_that_fails_changes_nothing_and_keeps_the_cache(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    asset_id = catalogue.add("Harbour at dawn", "sea")
    get(client, "/search?q=harbour")

    def rename(session: Session) -> None:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.title = "Renamed"
        session.flush()

    with pytest.raises(UseCaseFailed):
        fail_after(rename)
    assert cache_of(get(client, "/search?q=harbour")) == "hit"


def test_a_member_renaming_themselves_renews_their_pages(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    catalogue.add("Harbour at dawn", "sea")
    get(client, "/search?q=harbour")
    with unit_of_work():
        owner(catalogue).display_name = "Ana Renamed"
    page = get(client, "/search?q=harbour")
    assert cache_of(page) == "miss"
    assert "Ana Renamed" in page.get_data(as_text=True)


def test_the_order_of_the_query_does_not_matter(client: FlaskClient, catalogue: Catalogue) -> None:
    catalogue.add("Harbour at dawn", "sea, boats")
    assert cache_of(get(client, "/search?q=harbour&kind=photo&sort=newest")) == "miss"
    assert cache_of(get(client, "/search?sort=newest&q=harbour&kind=photo")) == "hit"
    assert cache_of(get(client, "/search?kind=photo&q=harbour&sort=newest")) == "hit"
    assert cache_of(get(client, "/search?q=harbour&kind=video&sort=newest")) == "miss"


def test_errors_and_redirects_are_not_kept(client: FlaskClient, catalogue: Catalogue) -> None:
    asset_id = catalogue.add("Harbour at dawn", "sea")
    for _ in range(2):
        assert cache_of(get(client, "/assets/999999", status=404)) == "miss"
        assert cache_of(get(client, "/members/999999", status=404)) == "miss"
        assert cache_of(get(client, f"/assets/{asset_id}", status=301)) == "miss"
        assert cache_of(get(client, "/search?q=harbour&people=maybe", status=422)) == "miss"


def test_a_flashed_message_is_shown_not_a_cached_page(
    client: FlaskClient, auth: AuthActions
) -> None:
    Factory().buyer("bea@example.org")
    assert cache_of(get(client, "/")) == "miss"
    auth.login("bea@example.org")
    auth.logout()
    page = get(client, "/")
    assert cache_of(page) is None
    assert "You are signed out." in page.get_data(as_text=True)
    assert cache_of(get(client, "/")) == "hit"


def test_the_api_and_other_pages_are_never_cached(
    client: FlaskClient, catalogue: Catalogue
) -> None:
    catalogue.add("Harbour at dawn", "sea")
    for path in ("/api/v1/search?q=harbour", "/about", "/members", "/login"):
        assert cache_of(get(client, path)) is None
        assert cache_of(get(client, path)) is None
    # Pages with forms that post keep their CSRF token for anonymous visitors.
    assert csrf_token(client, "/login")


def test_the_memory_store_is_bounded_and_expires() -> None:
    store = MemoryPageStore(max_entries=2, ttl_seconds=60)
    page = CachedPage(200, [("Content-Type", "text/html")], b"<p>hi</p>")
    for key in ("a", "b", "c"):
        store.put(0, key, page)
    assert len(store) == 2
    assert store.lookup("a") == (0, None)
    assert store.lookup("c") == (0, page)
    store.invalidate()
    assert store.lookup("c") == (1, None)
    store.put(0, "late", page)  # rendered before the change: not kept
    assert store.lookup("late") == (1, None)
    expired = MemoryPageStore(max_entries=2, ttl_seconds=0)
    expired.put(0, "a", page)
    assert expired.lookup("a") == (0, None)


def test_the_test_profile_has_the_cache_off(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink
) -> None:
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink) as plain:
        assert get_store() is None
        response = plain.test_client().get("/")
        assert response.status_code == 200
        assert cache_of(response) is None
