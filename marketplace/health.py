"""``GET /healthz``: can this instance reach its database, task broker and storage?"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from celery import Celery
from flask import Blueprint, current_app

from marketplace.extensions import db
from marketplace.storage import get_storage

bp = Blueprint("health", __name__)


def _database() -> None:
    db.session.execute(sa.text("SELECT 1"))


def _broker() -> None:
    celery_app: Celery = current_app.extensions["celery"]
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=3)


def _storage() -> None:
    get_storage().check()


@bp.get("/healthz")
def healthz() -> tuple[dict[str, Any], int]:
    checks: dict[str, str] = {}
    for name, check in (("database", _database), ("broker", _broker), ("storage", _storage)):
        try:
            check()
        except Exception as error:  # noqa: BLE001 - any failure means "down", and is reported
            current_app.logger.warning("Health check %s failed: %s", name, error)
            checks[name] = f"error: {type(error).__name__}"
        else:
            checks[name] = "ok"
    healthy = all(value == "ok" for value in checks.values())
    if not healthy:
        db.session.rollback()
    return {"status": "ok" if healthy else "error", "checks": checks}, 200 if healthy else 503
