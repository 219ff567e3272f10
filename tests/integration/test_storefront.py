"""The storefront as the server sends it: the home page's searches, the justified results with
their prices and actions, the filters, the empty state, "did you mean" and quick-save."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, csrf_token


@contextmanager
def counted_queries(app: Flask) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


def test_results_are_tiles_at_their_own_shape_with_price_and_actions(
    client: FlaskClient,
) -> None:
    catalogue = Catalogue()
    wide = catalogue.add("Harbour at dawn", "boats", size=(3000, 2000))
    tall = catalogue.add("Harbour lighthouse", "lighthouse", size=(1000, 3000))
    with unit_of_work() as session:
        session.execute(
            sa.update(Asset).where(Asset.id == wide).values(thumbnail_key=f"thumbnails/{wide}.jpg")
        )
    html = client.get("/search?q=harbour").get_data(as_text=True)

    tiles = dict(re.findall(r'<li class="jtile (ar-\d+)">\s*<a[^>]+href="/assets/(\d+)-', html))
    assert tiles == {"ar-150": str(wide), "ar-35": str(tall)}
    # The thumbnail's own size (400 px on the long edge), so the browser reserves its space.
    assert re.search(
        rf'src="/assets/{wide}/media/thumbnail"\s+alt="Harbour at dawn" width="400" height="267" '
        'loading="lazy" decoding="async"',
        html,
    )
    assert "from $15.00" in html  # size S, standard licence: the cheapest
    assert f'href="/search?similar={wide}"' in html
    # Nobody is signed in: Save leads to sign-in and back to this search.
    assert 'href="/login?next=/search?q%3Dharbour"' in html
    assert "data-quick-save=" not in html


def test_the_results_cost_the_same_queries_for_6_or_40_works(
    app: Flask, client: FlaskClient
) -> None:
    catalogue = Catalogue()
    # Six or more: a first page of fewer than five also asks the vocabulary for spellings.
    for n in range(6):
        catalogue.add(f"Harbour {n}", "boats")
    # The first page a process serves also reads the price tables it then keeps for 30 s
    # (currencies.services): warm it up, so both counts are of a page like any other.
    assert client.get("/search?q=boats").status_code == 200
    with counted_queries(app) as few:
        assert client.get("/search?q=harbour").status_code == 200
    for n in range(6, 40):
        catalogue.add(f"Harbour {n}", "boats", kind="video" if n % 5 == 0 else "photo")
    with counted_queries(app) as many:
        page = client.get("/search?q=harbour").get_data(as_text=True)
    assert page.count('class="jtile ') == 40
    assert len(many) == len(few), many


def test_filters_show_counts_and_pages_keep_every_filter(client: FlaskClient) -> None:
    catalogue = Catalogue()
    for n in range(50):
        catalogue.add(f"Field {n}", "field", size=(3000, 2000))
    catalogue.add("Field clip", "field", kind="video", size=(1920, 1080))
    html = client.get("/search?q=field&orientation=landscape").get_data(as_text=True)
    assert re.search(
        r'value="photo"[^>]*>\s*<span class="sf-option__label">Photos</span>'
        r'<span class="sf-option__count">50</span>',
        html,
    )
    assert re.search(
        r'<span class="sf-option__label">Videos</span>'
        r'<span class="sf-option__count">1</span>',
        html,
    )
    assert "Filters (1)" in html
    assert 'href="/search?q=field&amp;orientation=landscape&amp;page=2"' in html
    # The filter in use, with a link that removes it.
    assert re.search(
        r'<a class="sf-chip sf-chip--remove" href="/search\?q=field">\s*Landscape', html
    )
    # With a kind chosen, only its count: the other kind's would cost a second full search.
    videos = client.get("/search?q=field&kind=video").get_data(as_text=True)
    assert re.search(r'Videos</span><span class="sf-option__count">1</span>', videos)
    assert re.search(r"Photos</span>\s*</label>", videos)


def test_the_empty_state_says_what_is_true_and_offers_ways_out(client: FlaskClient) -> None:
    from marketplace.catalogue.vocabulary import refresh_vocabulary

    catalogue = Catalogue()
    catalogue.add("Harbour at dawn", "harbour, boats", size=(3000, 2000))
    refresh_vocabulary()
    html = client.get("/search?q=harbour&orientation=portrait&kind=photo").get_data(as_text=True)
    assert "No portrait photos match “harbour”" in html
    assert "The catalogue is empty" not in html
    assert re.search(r'href="/search\?q=harbour&amp;kind=photo">\s*Portrait', html)
    assert '<a class="sf-chip" href="/search?q=boats">boats</a>' in html  # popular searches


def test_an_empty_catalogue_says_so(client: FlaskClient) -> None:
    html = client.get("/search").get_data(as_text=True)
    assert "The catalogue is empty so far" in html


def test_home_page_searches_first_with_popular_searches(app: Flask, client: FlaskClient) -> None:
    from marketplace.catalogue.vocabulary import refresh_vocabulary

    catalogue = Catalogue()
    catalogue.add("Harbour at dawn", "harbour, boats", size=(3000, 2000))
    catalogue.add("Boats at rest", "boats", size=(2000, 2000))
    refresh_vocabulary()
    html = client.get("/").get_data(as_text=True)
    hero = html[html.index('<section class="hero') : html.index("</section>")]
    assert 'role="search"' in hero
    assert 'id="home-q"' in hero
    assert hero.index(">boats</a>") < hero.index(">harbour</a>")  # most used first
    assert hero.index('role="search"') < hero.index("Join the co-op")
    assert 'class="jtile ar-100"' in html  # the newest work, at its own shape
    # The vocabulary has no index on its counts: the next pages reuse the answer for a while.
    with counted_queries(app) as statements:
        assert ">boats</a>" in client.get("/").get_data(as_text=True)
    assert not [s for s in statements if "search_terms" in s]


def test_similar_shows_work_like_it(client: FlaskClient) -> None:
    catalogue = Catalogue()
    lake = catalogue.add("Mountain lake", "mountain, lake")
    catalogue.add("Mountain hut", "mountain, hut")
    catalogue.add("City street", "city")
    html = client.get(f"/search?similar={lake}").get_data(as_text=True)
    assert "Similar to “Mountain lake”" in html
    assert "Mountain hut" in html
    assert "City street" not in html
    assert client.get("/search?similar=999999").status_code == 404


def test_quick_save_to_a_new_and_an_existing_lightbox(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    catalogue = Catalogue()
    harbour = catalogue.add("Harbour at dawn", "boats")
    factory.buyer("buyer@example.org")
    # Signed out, the picker's answers send the visitor to sign in.
    assert client.get("/quick-save/lightboxes").status_code == 302
    auth.login("buyer@example.org")
    page = client.get("/search?q=harbour").get_data(as_text=True)
    assert f'data-quick-save="{harbour}"' in page
    headers = {"X-CSRFToken": csrf_token(client, "/search?q=harbour")}

    assert (
        client.post("/quick-save", json={"asset_id": harbour, "name": "Spring"}).status_code == 400
    )
    made = client.post("/quick-save", json={"asset_id": harbour, "name": "Spring"}, headers=headers)
    assert made.status_code == 201
    spring = made.get_json()["lightbox"]
    assert spring["name"] == "Spring"
    again = client.post(
        "/quick-save", json={"asset_id": harbour, "lightbox_id": spring["id"]}, headers=headers
    )
    assert (again.status_code, again.get_json()["created"]) == (200, False)
    listed = client.get(f"/quick-save/lightboxes?asset_id={harbour}").get_json()
    assert listed["lightboxes"] == [
        {"id": spring["id"], "name": "Spring", "item_count": 1, "has_asset": True}
    ]
    refused = client.post(
        "/quick-save", json={"asset_id": 999999, "lightbox_id": spring["id"]}, headers=headers
    )
    assert refused.status_code == 404
