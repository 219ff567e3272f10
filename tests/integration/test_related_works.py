"""Related work is prepared once by a task when work goes on sale or changes, then read by pages."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from marketplace.accounts.models import User
from marketplace.assets import services as assets
from marketplace.catalogue.models import RelatedWorks
from marketplace.catalogue.related_store import refresh_all
from marketplace.database import unit_of_work
from marketplace.extensions import db
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory

ASSET_LINK = re.compile(r'href="/assets/(\d+)(?:-[a-z0-9-]*)?"')


def stored(asset_id: int) -> RelatedWorks | None:
    db.session.expire_all()
    return db.session.get(RelatedWorks, asset_id)


def row(asset_id: int) -> RelatedWorks:
    found = stored(asset_id)
    assert found is not None, f"no related work prepared for asset {asset_id}"
    return found


def section_ids(page: str, section_id: str) -> list[int]:
    if f'id="{section_id}"' not in page:
        return []
    start = page.index(f'id="{section_id}"')
    return [int(i) for i in ASSET_LINK.findall(page[start : page.index("</section>", start)])]


def page_of(client: FlaskClient, asset_id: int) -> str:
    response = client.get(f"/assets/{asset_id}", follow_redirects=True)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_publishing_prepares_the_lists_and_the_page_reads_them_not_a_computation(
    app: Flask, client: FlaskClient
) -> None:
    artist, others = Catalogue(), Catalogue()
    older = artist.add("Quay in fog", "quay", age_days=2)
    lighthouse = others.add("Lighthouse", "harbour, sea")
    waiting = artist.add("Harbour at dawn", "harbour, boats, sea", status="pending_review")
    assert stored(waiting) is None, "nothing prepared for work not on sale"

    assets.review(Factory().admin(), waiting, "approve")

    prepared = row(waiting)
    assert prepared.similar_ids == [lighthouse]
    assert prepared.artist_ids == [older]
    assert row(older).artist_ids == [waiting], "the artist's other pages show the new work"
    assert row(lighthouse).similar_ids == [waiting], "so do the pages of work like it"

    # The page shows what was stored, in the stored order: it does not search by itself.
    unrelated = others.add("Desert road", "desert")
    with unit_of_work() as session:
        kept = session.get(RelatedWorks, waiting)
        assert kept is not None
        kept.similar_ids = [unrelated, lighthouse]
    page = page_of(client, waiting)
    assert section_ids(page, "similar-title") == [unrelated, lighthouse]
    assert section_ids(page, "more-title") == [older]


def test_work_taken_off_sale_leaves_every_list_and_loses_its_own(
    app: Flask, client: FlaskClient
) -> None:
    artist = Catalogue()
    first = artist.add("Harbour at dawn", "harbour", age_days=2)
    second = artist.add("Harbour at noon", "harbour", age_days=1)
    third = artist.add("Harbour at dusk", "harbour")
    assert row(first).artist_ids == [third, second]

    owner = db.session.get(User, artist.member.user_id)
    assert owner is not None
    assets.withdraw(owner, third)

    assert stored(third) is None
    assert row(first).artist_ids == [second]
    assert row(second).artist_ids == [first]
    assert third not in section_ids(page_of(client, first), "similar-title")


def test_until_prepared_the_page_shows_the_artist_newest_work_and_no_similar_work(
    app: Flask, client: FlaskClient
) -> None:
    artist = Catalogue()
    older = artist.add("Harbour at dawn", "harbour", age_days=2)
    newer = artist.add("Harbour at noon", "harbour", age_days=1)
    shown = artist.add("Harbour at dusk", "harbour")
    with unit_of_work() as session:
        session.execute(sa.delete(RelatedWorks))

    page = page_of(client, shown)
    assert section_ids(page, "more-title") == [newer, older]
    assert section_ids(page, "similar-title") == []


def test_the_backfill_prepares_every_work_on_sale_missing_its_lists(
    app: Flask, runner: FlaskCliRunner
) -> None:
    artist = Catalogue()
    ids = [artist.add(f"Harbour {n}", "harbour", age_days=n) for n in range(3)]
    hidden = artist.add("Harbour draft", "harbour", status="pending_review")
    before = {i: (row(i).similar_ids, row(i).artist_ids) for i in ids}
    with unit_of_work() as session:
        session.execute(sa.delete(RelatedWorks))

    result = runner.invoke(args=["catalogue", "refresh-related"])

    assert result.exit_code == 0, result.output
    assert f"Related work prepared for {len(ids)} works." in result.output
    assert {i: (row(i).similar_ids, row(i).artist_ids) for i in ids} == before
    assert stored(hidden) is None
    assert refresh_all() == 0, "nothing missing any more"
    assert refresh_all(missing_only=False) == len(ids)
