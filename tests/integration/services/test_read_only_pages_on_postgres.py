"""On PostgreSQL an asset page reads outside a transaction (``READ_ONLY_PAGES``): no BEGIN and
no ROLLBACK around its statements, and its connection goes back to the pool as it came, so
the next page that writes runs in a transaction again. The only write on the way, a session's
"last seen", still lands; a page from the cache takes no connection at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_request_context, request

from marketplace import create_app
from marketplace.accounts.models import SignInSession
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.page_cache import HEADER
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_config
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.mail import SmtpSink
from tests.fixtures.services import ServicesEnv
from tests.fixtures.web import AuthActions, IsolatedClient

pytestmark = pytest.mark.services


@pytest.fixture
def statements(services_app: Flask) -> Iterator[list[tuple[str | None, bool]]]:
    """Each statement's page and whether its connection was in autocommit when it ran."""
    seen: list[tuple[str | None, bool]] = []

    def record(conn: sa.Connection, *_args: Any) -> None:
        endpoint = request.endpoint if has_request_context() else None
        seen.append((endpoint, bool(conn.connection.dbapi_connection.autocommit)))  # type: ignore[union-attr]

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)


def test_an_asset_page_reads_outside_a_transaction_and_the_next_page_is_in_one(
    services_app: Flask, statements: list[tuple[str | None, bool]]
) -> None:
    harbour = Catalogue().add("Harbour at dawn", "harbour")
    email = unique_email("reader")
    Factory().buyer(email, "Rhea Reader")
    client = services_app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    db.engine.dispose()  # one pooled connection, used by every request below
    for viewer in (client, services_app.test_client()):  # signed in, then a visitor
        statements.clear()
        page = viewer.get(f"/assets/{harbour}", follow_redirects=True)
        assert page.status_code == 200
        assert "Harbour at dawn" in page.get_data(as_text=True)
        assert statements
        assert all(
            endpoint == "portfolio.detail" and autocommit for endpoint, autocommit in statements
        ), statements

        statements.clear()
        assert client.get("/account").status_code == 200
        assert statements
        assert not any(autocommit for _, autocommit in statements), statements


def test_a_readers_last_seen_is_written_on_an_asset_page_read_outside_a_transaction(
    services_app: Flask, statements: list[tuple[str | None, bool]]
) -> None:
    harbour = Catalogue().add("Harbour at noon", "harbour")
    email = unique_email("returning")
    user = Factory().buyer(email, "Rory Returning")
    client = services_app.test_client()
    assert AuthActions(client).login(email).status_code == 302
    long_ago = utcnow() - timedelta(hours=2)
    db.session.execute(
        sa.update(SignInSession)
        .where(SignInSession.user_id == user.id)
        .values(last_seen_at=long_ago)
    )
    db.session.commit()
    statements.clear()

    assert client.get(f"/assets/{harbour}", follow_redirects=True).status_code == 200

    assert all(autocommit for _, autocommit in statements), statements
    db.session.expire_all()
    seen = db.session.execute(
        sa.select(SignInSession.last_seen_at).where(SignInSession.user_id == user.id)
    ).scalar_one()
    assert seen > long_ago + timedelta(hours=1)


@pytest.fixture
def cached_app(services_env: ServicesEnv, smtp_sink: SmtpSink, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(
        app_config(tmp_path / "instance", services_env.database_url, smtp_sink, PAGE_CACHE="memory")
    )
    app.test_client_class = IsolatedClient  # each request in its own app context, as served
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_an_asset_page_from_the_cache_takes_no_connection(cached_app: Flask) -> None:
    harbour = Catalogue().add("Harbour at dusk", "harbour")
    visitor = cached_app.test_client()
    path = visitor.get(f"/assets/{harbour}").headers["Location"]
    db.session.remove()  # the test's own connection back in the pool
    checkouts: list[object] = []

    def count(*args: Any) -> None:
        checkouts.append(args)

    sa.event.listen(db.engine, "checkout", count)
    try:
        answers = [visitor.get(path) for _ in range(2)]
    finally:
        sa.event.remove(db.engine, "checkout", count)
    assert [a.headers[HEADER] for a in answers] == ["miss", "hit"]
    assert len(checkouts) == 1  # the miss, which rendered the page
