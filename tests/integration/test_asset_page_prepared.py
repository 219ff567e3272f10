"""The asset page reads what was prepared for it: related work as tiles from one query of
columns, the licence menu kept until terms change, keyword links built without a url_for each.
The page must still say exactly what it said when it computed all of it per view."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient

from marketplace.catalogue.models import RelatedWorks
from marketplace.catalogue.related_store import refresh_all
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import services as licensing
from marketplace.licensing import terms as licence_terms
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.statements import counted

TILE = re.compile(
    r'<a class="tile__link" href="/assets/(\d+)-([a-z0-9-]+)">\s*<img class="tile__img"'
)


def page_queries(client: FlaskClient, path: str) -> tuple[int, str]:
    client.get(path)  # warm: the first request of an app loads what every request shares
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements), response.get_data(as_text=True)


def cents(amount: str) -> int:
    """ "1,250.00" -> 125000."""
    return int(amount.replace(",", "").replace(".", ""))


def thumbnails(*asset_ids: int) -> None:
    with unit_of_work() as session:
        for asset_id in asset_ids:
            session.execute(
                sa.text("UPDATE assets SET thumbnail_key = :key WHERE id = :id"),
                {"key": f"thumbnails/{asset_id}.jpg", "id": asset_id},
            )


def test_related_tiles_cost_one_query_however_many_tiles(app: Flask, client: FlaskClient) -> None:
    artist, others = Catalogue(), Catalogue()
    lone = artist.add("Harbour alone", "quay")
    other = artist.add("Field", "field")
    crowded = others.add("Harbour crowded", "harbour, boats")
    alike = [others.add(f"Harbour boats {n}", "harbour, boats") for n in range(8)]
    thumbnails(lone, other, crowded, *alike)
    refresh_all()

    few, lone_page = page_queries(client, f"/assets/{lone}-harbour-alone")
    many, crowded_page = page_queries(client, f"/assets/{crowded}-harbour-crowded")
    assert [int(i) for i, _ in TILE.findall(lone_page)] == [other]
    tiles = TILE.findall(crowded_page)
    assert len(tiles) == 16  # 8 similar, 8 more from the same member
    assert {int(i) for i, _ in tiles} == set(alike)
    with app.test_request_context():
        for asset_id, slug in tiles:
            # The same canonical address url_for gives, without a query for its slug.
            canonical = url_for("portfolio.detail", asset_id=int(asset_id))
            assert canonical == f"/assets/{asset_id}-{slug}"
    assert f'src="/assets/{alike[0]}/media/thumbnail"' in crowded_page
    assert many == few, (few, many)


def test_tiles_name_the_member_and_say_video(app: Flask, client: FlaskClient) -> None:
    artist, others = Catalogue(), Catalogue()
    main = artist.add("Waves at night", "waves, sea")
    others.add("Waves rolling", "waves, sea", kind="video", size=(1920, 1080))
    refresh_all()
    page = client.get(f"/assets/{main}-waves-at-night").get_data(as_text=True)
    start = page.index('id="similar-title"')
    similar = page[start : page.index("</section>", start)]
    name = others.member.display_name
    assert f"{name} · Video" in similar
    assert 'title="Waves rolling">Waves rolling</span>' in similar


def test_keyword_links_are_what_url_for_gives(app: Flask, client: FlaskClient) -> None:
    words = ["ice cream", "café", "rock & roll", "a/b", "100%", "why?"]
    asset = Catalogue().add("Summer stall", ", ".join(words))
    page = client.get(f"/assets/{asset}-summer-stall").get_data(as_text=True)
    links = re.findall(r'<a class="keyword" href="([^"]+)">([^<]+)</a>', page)
    with app.test_request_context():
        expected = [
            (url_for("catalogue.search", q=word).replace("&", "&amp;"), word) for word in words
        ]
    assert [(href, word.replace("&amp;", "&")) for href, word in links] == expected


def test_new_licence_terms_show_on_the_next_view(app: Flask, client: FlaskClient) -> None:
    asset = Catalogue().add("Dune", "dune", size=(6000, 4000))
    path = f"/assets/{asset}-dune"
    before = client.get(path).get_data(as_text=True)
    assert 'data-price-extended="$' in before
    current = licensing.current_terms(db.session(), "extended")
    licence_terms.save_terms(
        Factory().admin(),
        "extended",
        summary="Extended, now with a new summary.",
        permits=list(current.permits),
        full_text=current.full_text,
        royalty_bps=current.royalty_bps,
        surcharge_cents=current.surcharge_cents + 10_000,
    )
    after = client.get(path).get_data(as_text=True)
    assert "Extended, now with a new summary." in after
    old = re.findall(r'data-price-extended="\$([\d,.]+)"', before)
    new = re.findall(r'data-price-extended="\$([\d,.]+)"', after)
    assert len(old) == len(new) == 4
    for was, now in zip(old, new, strict=True):
        assert cents(now) - cents(was) == 10_000


def test_work_gone_off_sale_since_the_lists_were_prepared_is_replaced_by_the_next_kept(
    app: Flask, client: FlaskClient
) -> None:
    """The page reads the first eight of each list; until the worker prepares the lists again,
    work that left the sale in between gives its place to the next one kept, in order."""
    artist, others = Catalogue(), Catalogue()
    main = artist.add("Harbour crowded", "harbour, boats")
    alike = [others.add(f"Harbour boats {n}", "harbour, boats") for n in range(12)]
    thumbnails(*alike)
    refresh_all()
    order = alike[::-1]  # as a worker kept them, most alike first: more than the page shows
    with unit_of_work() as session:
        kept = session.get(RelatedWorks, main)
        assert kept is not None
        kept.similar_ids = order
    path = f"/assets/{main}-harbour-crowded"
    assert [int(i) for i, _ in TILE.findall(client.get(path).get_data(as_text=True))] == order[:8]

    gone = {order[1], order[4], order[6]}
    with unit_of_work() as session:  # not through the service: the lists stay as they were
        session.execute(
            sa.text("UPDATE assets SET withdrawn_at = CURRENT_TIMESTAMP WHERE id IN (:a, :b, :c)"),
            dict(zip("abc", sorted(gone), strict=True)),
        )
    with counted() as statements:
        page = client.get(path).get_data(as_text=True)
    shown = [int(i) for i, _ in TILE.findall(page)]
    assert shown == [i for i in order if i not in gone][:8]
    tile_queries = [s for s in statements if s.startswith("SELECT assets.id, assets.title,")]
    assert len(tile_queries) == 2  # the first eight, then the rest
