"""On PostgreSQL an asset page reads outside a transaction (``READ_ONLY_PAGES``): no BEGIN and
no ROLLBACK around its statements, and its connection goes back to the pool as it came, so
the next page that writes runs in a transaction again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_request_context, request

from marketplace.extensions import db
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.web import AuthActions

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
