"""Health answers for load balancers and orchestrators.

- ``GET /healthz`` (API.md, "Health"): can this instance reach its database, task broker and
  storage? 503 naming the failing check when one is down.
- ``GET /readyz``: may this instance take traffic? The same three answer *and* the database's
  schema is at the migrations' head, so a new version started before its release step ran (or an
  old one left behind after it) stays out of the load balancer instead of failing requests.
- ``GET /livez``: the process answers at all; touches nothing outside it, so a database outage
  never makes an orchestrator restart every web process at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from celery import Celery
from flask import Blueprint, current_app

from marketplace.extensions import db
from marketplace.storage import get_storage

bp = Blueprint("health", __name__)

Check = Callable[[], None]


class SchemaNotAtHead(RuntimeError):
    """The database's migration revision is not the code's head."""


def _database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _broker() -> None:
    celery_app: Celery = current_app.extensions["celery"]
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)


def _storage() -> None:
    get_storage().check()


@cache
def _heads(directory: str) -> frozenset[str]:
    """The head revisions of the migrations in ``directory`` (read once: code does not change)."""
    return frozenset(ScriptDirectory(directory).get_heads())


def _migrations() -> None:
    heads = _heads(str(current_app.extensions["migrate"].directory))
    current = frozenset(
        db.session.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
    )
    if current != heads:
        raise SchemaNotAtHead(
            f"database at {', '.join(sorted(current)) or 'no revision'}, "
            f"code at {', '.join(sorted(heads))}"
        )


def _answer(checks: tuple[tuple[str, Check], ...]) -> tuple[dict[str, Any], int]:
    results: dict[str, str] = {}
    for name, check in checks:
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means "down", and is reported
            current_app.logger.warning("Health check %s failed: %s", name, error)
            results[name] = f"error: {type(error).__name__}"
            db.session.rollback()
        else:
            results[name] = "ok"
    healthy = all(value == "ok" for value in results.values())
    return {"status": "ok" if healthy else "error", "checks": results}, 200 if healthy else 503


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    return _answer((("database", _database), ("broker", _broker), ("storage", _storage)))


@bp.get("/readyz")
def readyz() -> tuple[dict[str, Any], int]:
    return _answer(
        (
            ("database", _database),
            ("broker", _broker),
            ("storage", _storage),
            ("migrations", _migrations),
        )
    )


@bp.get("/livez")
def livez() -> dict[str, str]:
    return {"status": "ok"}
