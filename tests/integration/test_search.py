"""Search relevance and filters, the same cases on SQLite FTS5 and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.database import utcnow
from tests.fixtures.catalogue import Catalogue


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def search_app(request: pytest.FixtureRequest) -> Flask:
    app: Flask = request.getfixturevalue("app" if request.param == "sqlite" else "services_app")
    return app


@pytest.fixture
def catalogue(search_app: Flask) -> Catalogue:
    return Catalogue()


def test_stemming_finds_other_forms(search_app: Flask, catalogue: Catalogue) -> None:
    runner = catalogue.add("Woman running on the beach", "jogging, sport")
    client = search_app.test_client()
    assert catalogue.search(client, "run") == [runner]
    assert catalogue.search(client, "runs") == [runner]
    assert catalogue.search(client, "Beaches") == [runner]


def test_several_words_narrow_the_results(search_app: Flask, catalogue: Catalogue) -> None:
    both = catalogue.add("Red boat in the harbour", "boat, red, harbour")
    catalogue.add("Red door", "door, red")
    catalogue.add("Blue boat", "boat, blue")
    client = search_app.test_client()
    assert catalogue.search(client, "red boat") == [both]
    assert len(catalogue.search(client, "red")) == 2


def test_quoted_words_match_as_a_phrase(search_app: Flask, catalogue: Catalogue) -> None:
    phrase = catalogue.add("Ice cream on a summer day")
    catalogue.add("Cream cheese with ice cubes")
    client = search_app.test_client()
    assert catalogue.search(client, '"ice cream"') == [phrase]
    assert len(catalogue.search(client, "ice cream")) == 2


def test_minus_excludes_a_word(search_app: Flask, catalogue: Catalogue) -> None:
    dog = catalogue.add("Dog in the park", "dog, park")
    catalogue.add("Cat in the park", "cat, park")
    client = search_app.test_client()
    assert catalogue.search(client, "park -cat") == [dog]


def test_title_and_keywords_outrank_description(search_app: Flask, catalogue: Catalogue) -> None:
    in_description = catalogue.add(
        "Evening street", "city, night", "A quiet street; far off a lighthouse blinks."
    )
    in_title = catalogue.add("Lighthouse at dusk", "coast, evening")
    in_keywords = catalogue.add("Rocky coast", "lighthouse, rocks")
    client = search_app.test_client()
    found = catalogue.search(client, "lighthouse")
    assert set(found[:2]) == {in_title, in_keywords}
    assert found[2] == in_description


def test_only_work_for_sale_is_ever_shown(search_app: Flask, catalogue: Catalogue) -> None:
    shown = catalogue.add("Glacier lagoon", "ice, glacier")
    for status in ("processing", "pending_review", "rejected", "failed"):
        catalogue.add(f"Glacier {status}", "glacier", status=status)
    catalogue.add("Glacier withdrawn", "glacier", withdrawn=True)
    client = search_app.test_client()
    assert catalogue.search(client, "glacier") == [shown]
    assert catalogue.search(client) == [shown]


def test_filters_combine(search_app: Flask, catalogue: Catalogue) -> None:
    wanted = catalogue.add("Market crowd", "market", size=(4000, 6000), people=True)
    catalogue.add("Market stall", "market", size=(6000, 4000), people=True)
    catalogue.add("Empty market", "market", size=(4000, 6000), people=False)
    catalogue.add("Market video", "market", kind="video", size=(1080, 1920), people=True)
    catalogue.add("Tiny market", "market", size=(800, 1200), people=True)
    client = search_app.test_client()
    found = catalogue.search(
        client, "market", kind="photo", orientation="portrait", people="yes", min_mp="10"
    )
    assert found == [wanted]
    panorama = catalogue.add("Market street panorama", "market", size=(9000, 3000))
    assert catalogue.search(client, "market", orientation="panoramic") == [panorama]


def test_newest_first_and_pages(search_app: Flask, catalogue: Catalogue) -> None:
    ids = [catalogue.add(f"Tulip field {n}", "tulip", age_days=n) for n in range(5)]
    client = search_app.test_client()
    assert catalogue.search(client, "tulip", sort="newest") == ids
    first = client.get(
        "/api/v1/search",
        query_string={
            "q": "tulip",
            "sort": "newest",
            "per_page": "2",
            "page": "2",
            "contributor": str(catalogue.member.member_number),
        },
    ).get_json()
    assert [r["id"] for r in first["results"]] == ids[2:4]
    assert (first["total"], first["total_exact"], first["page"], first["per_page"]) == (
        5,
        True,
        2,
        2,
    )
    since = (utcnow() - timedelta(days=2, hours=1)).date().isoformat()
    assert catalogue.search(client, "tulip", sort="newest", added_since=since) == ids[:3]


@pytest.mark.parametrize(
    "args",
    [
        {"kind": "sculpture"},
        {"orientation": "round"},
        {"sort": "cheapest"},
        {"contributor": "abc"},
        {"people": "maybe"},
        {"min_mp": "lots"},
        {"added_since": "yesterday"},
        {"per_page": "500"},
        {"page": "0"},
    ],
)
def test_bad_search_arguments_are_a_422(client: FlaskClient, args: dict[str, str]) -> None:
    response = client.get("/api/v1/search", query_string=args)
    assert response.status_code == 422
    assert response.get_json()["error"]["message"]


def test_odd_queries_do_not_break_the_engine(search_app: Flask, catalogue: Catalogue) -> None:
    catalogue.add("Quote test", "quote")
    client = search_app.test_client()
    for q in [
        '"',
        "-",
        "AND OR NOT",
        "quote*",
        "quote NEAR(",
        "'; DROP TABLE assets; --",
        "-quote",
        "é",
    ]:
        response = client.get("/api/v1/search", query_string={"q": q})
        assert response.status_code == 200, (q, response.get_json())


def test_the_search_page_keeps_every_filter_in_the_url(app: Flask, client: FlaskClient) -> None:
    catalogue = Catalogue()
    catalogue.add("Harbour at dawn", "boats", size=(3000, 2000))
    catalogue.add("Harbour at night", "boats", size=(2000, 3000))
    page = client.get("/search?q=harbour&orientation=landscape&sort=newest")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Harbour at dawn" in html
    assert "Harbour at night" not in html
    assert '<input type="radio" name="orientation" value="landscape" checked>' in html
    assert '<option value="newest" selected>' in html
    assert client.get("/search?orientation=round").status_code == 422
    assert "No photos or videos match “zebra”" in client.get("/search?q=zebra").get_data(
        as_text=True
    )


def test_colour_matches_by_distance(search_app: Flask, catalogue: Catalogue) -> None:
    red = catalogue.add("Poppy", "flower", colours=["#d01c1f", "#2a5a1e"])
    orange_red = catalogue.add("Tulip", "flower", colours=["#e03a20"])
    catalogue.add("Cornflower", "flower", colours=["#3050c0"])
    catalogue.add("No colours yet", "flower")
    client = search_app.test_client()
    assert set(catalogue.search(client, "flower", colour="cc2020")) == {red, orange_red}
    assert catalogue.search(client, "flower", colour="#2f4fbf") != []
    assert client.get("/api/v1/search?colour=reddish").status_code == 422


def test_did_you_mean_and_broader_searches(search_app: Flask, catalogue: Catalogue) -> None:
    from marketplace.catalogue.vocabulary import refresh_vocabulary

    catalogue.add("Mountain lake", "mountain, lake, reflection")
    catalogue.add("Mountain hut", "mountain, hut, snow")
    refresh_vocabulary()
    client = search_app.test_client()
    misspelt = client.get("/api/v1/search", query_string={"q": "mountian"}).get_json()
    assert misspelt["did_you_mean"] == "mountain"
    fine = client.get("/api/v1/search", query_string={"q": "mountain"}).get_json()
    assert fine["did_you_mean"] is None
    nothing = client.get(
        "/api/v1/search",
        query_string={"q": "mountain giraffe", "contributor": str(catalogue.member.member_number)},
    ).get_json()
    assert nothing["total"] == 0
    assert nothing["broader_searches"] == ["mountain"]
    # The page runs the corrected search, and offers the words as typed.
    page = client.get("/search?q=mountian").get_data(as_text=True)
    assert "Showing results for <strong>mountain</strong>" in page
    assert "Mountain lake" in page
    assert 'href="/search?q=mountian&amp;as_typed=1">mountian</a>' in page


def test_index_term_filters_follow_the_asset(search_app: Flask, catalogue: Catalogue) -> None:
    """Video, square and panoramic (on SQLite also people and portrait) are full-text index
    terms: they must follow every change."""
    import sqlalchemy as sa

    from marketplace.assets.models import Asset
    from marketplace.database import unit_of_work

    video = catalogue.add("Waterfall clip", "waterfall", kind="video", size=(1920, 1080))
    square = catalogue.add("Waterfall tile", "waterfall", size=(2000, 2000))
    wide = catalogue.add("Waterfall valley", "waterfall", size=(9000, 3000))
    client = search_app.test_client()
    assert catalogue.search(client, "waterfall", kind="video") == [video]
    assert catalogue.search(client, "waterfall", orientation="square") == [square]
    assert catalogue.search(client, "waterfall", orientation="panoramic") == [wide]
    assert catalogue.search(client, "waterfall", kind="video", orientation="square") == []
    # A crop makes the square one panoramic: the index follows the new dimensions.
    with unit_of_work() as session:
        session.execute(sa.update(Asset).where(Asset.id == square).values(width=6000))
    assert catalogue.search(client, "waterfall", orientation="square") == []
    assert set(catalogue.search(client, "waterfall", orientation="panoramic")) == {square, wide}
    # People, and portrait: a new judgement and a rotation.
    assert catalogue.search(client, "waterfall", people="yes") == []
    assert catalogue.search(client, "waterfall", orientation="portrait") == []
    with unit_of_work() as session:
        session.execute(sa.update(Asset).where(Asset.id == video).values(has_people=True))
        session.execute(sa.update(Asset).where(Asset.id == wide).values(width=2000, height=9000))
    assert catalogue.search(client, "waterfall", people="yes") == [video]
    assert set(catalogue.search(client, "waterfall", people="no")) == {square, wide}
    assert catalogue.search(client, "waterfall", orientation="portrait") == [wide]
    assert catalogue.search(client, "waterfall", orientation="portrait", people="yes") == []


def test_most_licensed_sort(search_app: Flask, catalogue: Catalogue) -> None:
    import sqlalchemy as sa

    from marketplace.assets.models import Asset
    from marketplace.database import unit_of_work

    ids = [catalogue.add(f"Lantern {n}", "lantern") for n in range(3)]
    with unit_of_work() as session:
        for asset_id, sold in zip(ids, (5, 0, 9), strict=True):
            session.execute(
                sa.update(Asset).where(Asset.id == asset_id).values(times_licensed=sold)
            )
    client = search_app.test_client()
    assert catalogue.search(client, "lantern", sort="most_licensed") == [ids[2], ids[0], ids[1]]
    assert catalogue.search(client, sort="most_licensed") == [ids[2], ids[0], ids[1]]


def test_the_newest_matches_are_ranked_and_the_total_says_when_it_stops(
    search_app: Flask, catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    from marketplace.catalogue import engines

    ids = [catalogue.add(f"Pebble {n}", "pebble", age_days=10 - n) for n in range(6)]
    monkeypatch.setattr(engines, "RANK_CAP", 4)
    client = search_app.test_client()
    for q in ("pebble", ""):
        body = client.get(
            "/api/v1/search",
            query_string={"q": q, "sort": "newest", "contributor": catalogue.member.member_number},
        ).get_json()
        # The cap keeps the newest, never whichever rows the index met first.
        assert [r["id"] for r in body["results"]] == ids[::-1][:4]
        assert (body["total"], body["total_exact"]) == (4, False)
    monkeypatch.setattr(engines, "RANK_CAP", 6)
    body = client.get("/api/v1/search", query_string={"q": "pebble"}).get_json()
    assert (body["total"], body["total_exact"]) == (6, True)


def test_sqlite_ranks_fewer_phrase_matches(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A phrase reads word positions: SQLite ranks its newest PHRASE_RANK_CAP matches only."""
    from marketplace.catalogue import engines

    catalogue = Catalogue()
    ids = [catalogue.add(f"Paper boat {n}", "paper, boat", age_days=10 - n) for n in range(4)]
    monkeypatch.setattr(engines, "PHRASE_RANK_CAP", 2)
    body = client.get("/api/v1/search", query_string={"q": '"paper boat"'}).get_json()
    assert [r["id"] for r in body["results"]] == ids[::-1][:2]
    assert (body["total"], body["total_exact"]) == (2, False)
    assert "More than 2 results" in client.get('/search?q="paper boat"').get_data(as_text=True)
    # Words without a phrase count to RANK_CAP, as before.
    body = client.get("/api/v1/search", query_string={"q": "paper boat"}).get_json()
    assert (body["total"], body["total_exact"]) == (4, True)


@pytest.mark.services
def test_postgres_searches_the_newest_window_first(
    services_app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past WINDOW_ROWS assets, PostgreSQL looks among the newest first, all when few match."""
    from marketplace.catalogue import engines

    catalogue = Catalogue()
    old_rare = catalogue.add("Comet over the hills", "comet, sky", age_days=30)
    commons = [catalogue.add(f"Sky {n}", "sky", age_days=20 - n) for n in range(6)]
    client = services_app.test_client()
    monkeypatch.setattr(engines, "WINDOW_ROWS", 2)
    # Few matches in all: the whole catalogue is searched, exactly.
    body = client.get("/api/v1/search", query_string={"q": "comet"}).get_json()
    assert ([r["id"] for r in body["results"]], body["total_exact"]) == ([old_rare], True)
    # Many, by the planner's estimate: the newest window only, and an estimated total.
    monkeypatch.setattr(engines, "FULL_SCAN_MAX", 0)
    body = client.get("/api/v1/search", query_string={"q": "sky", "sort": "newest"}).get_json()
    assert [r["id"] for r in body["results"]] == commons[::-1][:2]
    assert body["total_exact"] is False
    assert body["total"] >= 2
