"""The page cache in Redis: two web processes share pages and each other's invalidations."""

from __future__ import annotations

import secrets
import string
import uuid
from collections.abc import Iterator

import pytest
from flask import Flask

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.assets import services as assets
from marketplace.extensions import db
from marketplace.page_cache import HEADER, CachedPage, RedisPageStore, get_store
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_config
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.services import ServicesEnv
from tests.fixtures.web import IsolatedClient

pytestmark = pytest.mark.services


@pytest.fixture
def two_web_processes(services_env: ServicesEnv, smtp_sink: SmtpSink) -> Iterator[list[Flask]]:
    """Two apps on the same PostgreSQL and Redis, as two gunicorn workers or machines are."""
    prefix = f"test-pages-{uuid.uuid4().hex[:8]}:"
    apps = [
        create_app(
            app_config(
                services_env.instance,
                services_env.database_url,
                smtp_sink,
                PAGE_CACHE="redis",
                PAGE_CACHE_REDIS_URL=services_env.redis_url,
                PAGE_CACHE_KEY_PREFIX=prefix,
            )
        )
        for _ in range(2)
    ]
    for app in apps:
        app.test_client_class = IsolatedClient
    yield apps
    for app in apps:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_pages_and_invalidations_are_shared_through_redis(two_web_processes: list[Flask]) -> None:
    first, second = two_web_processes
    word = "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))
    page = f"/search?q={word}"
    with first.app_context():
        assert isinstance(get_store(), RedisPageStore)
        catalogue = Catalogue()
        asset_id = catalogue.add(f"Lighthouse {word}", status="pending_review")
        owner = db.session.get(User, catalogue.member.user_id)
    one, other = first.test_client(), second.test_client()

    assert one.get(page).headers[HEADER] == "miss"
    assert other.get(page).headers[HEADER] == "hit", "the second process reads the first's page"

    with first.app_context():
        assets.review(Factory().admin(), asset_id, "approve")
    published = other.get(page)
    assert published.headers[HEADER] == "miss", "the second process saw the first's change"
    assert f"Lighthouse {word}" in published.get_data(as_text=True)
    assert one.get(page).headers[HEADER] == "hit"

    with second.app_context():
        assert owner is not None
        assets.withdraw(db.session.merge(owner), asset_id)
    withdrawn = one.get(page)
    assert withdrawn.headers[HEADER] == "miss"
    assert f"Lighthouse {word}" not in withdrawn.get_data(as_text=True)


def test_a_page_rendered_before_a_change_is_never_served_after_it(
    two_web_processes: list[Flask],
) -> None:
    first, _ = two_web_processes
    with first.app_context():
        store = get_store()
        assert isinstance(store, RedisPageStore)
        generation, _ = store.lookup("http://localhost/search?q=late")
        store.invalidate()
        # A slow render that started before the change finishes after it.
        store.put(generation, "http://localhost/search?q=late", CachedPage(200, [], b"old"))
        assert store.lookup("http://localhost/search?q=late") == (generation + 1, None)
