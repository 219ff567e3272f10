"""On PostgreSQL with the real worker: publishing a work has its related work prepared."""

from __future__ import annotations

import secrets
import string

import pytest
from flask import Flask

from marketplace.assets import services as assets
from marketplace.catalogue.models import RelatedWorks
from marketplace.extensions import db
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.shop import wait_for

pytestmark = pytest.mark.services


def prepared(asset_id: int) -> RelatedWorks | None:
    db.session.expire_all()
    return db.session.get(RelatedWorks, asset_id)


def test_the_worker_prepares_related_work_when_a_curator_publishes(services_app: Flask) -> None:
    word = "".join(secrets.choice(string.ascii_lowercase) for _ in range(12))
    artist, others = Catalogue(), Catalogue()
    older = artist.add("Quay at noon", "quay", age_days=1)
    alike = others.add(f"Lighthouse {word}", f"{word}, sea")
    wait_for(lambda: prepared(alike) is not None and prepared(older) is not None)
    waiting = artist.add(f"Harbour {word}", f"{word}, boats", status="pending_review")

    assets.review(Factory().admin(), waiting, "approve")

    wait_for(lambda: prepared(waiting) is not None)
    row = prepared(waiting)
    assert row is not None
    assert row.similar_ids == [alike]
    assert row.artist_ids == [older]
    wait_for(lambda: getattr(prepared(older), "artist_ids", None) == [waiting])
    client = services_app.test_client()
    page = client.get(f"/assets/{waiting}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/assets/{alike}-lighthouse-{word}"' in page
