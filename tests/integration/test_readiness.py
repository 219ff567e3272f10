"""``/readyz`` (database, broker, storage and migrations at head) and ``/livez`` (the process)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db


def test_readyz_is_ok_on_a_database_at_head(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok", "migrations": "ok"},
    }


def test_readyz_names_migrations_when_the_schema_is_behind(app: Flask, client: FlaskClient) -> None:
    db.session.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {
        "database": "ok",
        "broker": "ok",
        "storage": "ok",
        "migrations": "error: SchemaNotAtHead",
    }
    # /healthz promises only that the services answer: it stays 200 (API.md, "Health").
    assert client.get("/healthz").status_code == 200


def test_readyz_names_the_database_when_it_has_no_schema(app: Flask, client: FlaskClient) -> None:
    db.session.execute(sa.text("DROP TABLE alembic_version"))
    db.session.commit()
    body = client.get("/readyz")
    assert body.status_code == 503
    assert body.get_json()["checks"]["migrations"].startswith("error: ")
    assert body.get_json()["checks"]["database"] == "ok"


def test_readyz_names_storage_when_it_is_down(
    app: Flask, client: FlaskClient, tmp_path: Path
) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("the media root cannot be made under a file")
    app.extensions["storage"].root = not_a_folder / "media"
    response = client.get("/readyz")
    assert response.status_code == 503
    checks = response.get_json()["checks"]
    assert checks["storage"].startswith("error")
    assert checks["migrations"] == "ok"


def test_livez_answers_without_touching_the_services(app: Flask, client: FlaskClient) -> None:
    app.extensions["storage"].root = Path("/proc/no-such-place/media")
    db.session.execute(sa.text("DROP TABLE alembic_version"))
    db.session.commit()
    response = client.get("/livez")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
