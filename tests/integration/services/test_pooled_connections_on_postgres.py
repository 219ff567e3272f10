"""Pooled PostgreSQL connections are pinged only after they sat idle
(``marketplace.database.ping_when_idle``): one the server dropped meanwhile is replaced before
a request uses it, and a connection back in use at once costs no ping."""

from __future__ import annotations

import time

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import PING_AFTER_IDLE_S
from marketplace.extensions import db
from tests.fixtures.services import PG_ADMIN_URL

pytestmark = pytest.mark.services

BACKEND = sa.text("SELECT pg_backend_pid()")


def pooled_backend() -> int:
    """The backend of the connection a request would take from the pool, given back."""
    pid = int(db.session.execute(BACKEND).scalar_one())
    db.session.remove()
    return pid


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
    services_app: Flask,
) -> None:
    assert not services_app.config["SQLALCHEMY_ENGINE_OPTIONS"].get("pool_pre_ping")
    db.engine.dispose()  # the pool then holds one connection: the one dropped below
    dropped = pooled_backend()
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        assert admin.execute("SELECT pg_terminate_backend(%s)", (dropped,)).fetchone() == (True,)
    time.sleep(PING_AFTER_IDLE_S + 0.2)
    # The page a visitor asks for next answers, on a new connection.
    assert services_app.test_client().get("/search?q=harbour").status_code == 200
    assert pooled_backend() != dropped


def test_a_connection_back_in_use_at_once_is_not_pinged(services_app: Flask) -> None:
    pings: list[str] = []
    ping = db.engine.dialect.do_ping

    def counted_ping(dbapi_connection: object) -> bool:
        pings.append("ping")
        return ping(dbapi_connection)  # type: ignore[arg-type]

    db.engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]
    db.engine.dispose()  # the pool then holds one connection
    try:
        first = pooled_backend()
        assert pooled_backend() == first
        assert pings == []
        time.sleep(PING_AFTER_IDLE_S + 0.2)
        assert pooled_backend() == first
        assert pings == ["ping"]
    finally:
        del db.engine.dialect.do_ping
