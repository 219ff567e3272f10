"""What the whole app promises: health, error pages, the OpenAPI document, the schema."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalogue.schema import include_in_schema_comparison
from marketplace.extensions import db
from marketplace.openapi import PATHS


def test_healthz_reports_each_check(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "storage": "ok"},
    }


def test_healthz_names_the_failing_check(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("the media root cannot be made under a file")
    app.extensions["storage"].root = not_a_folder / "media"
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "error"
    assert body["checks"]["storage"].startswith("error")
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"] == "ok"


def test_error_pages_share_the_site_style(client: FlaskClient) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    page = missing.get_data(as_text=True)
    assert "Page not found" in page
    assert 'href="/"' in page
    assert client.get("/members/999").status_code == 404


def test_security_headers_are_set(client: FlaskClient) -> None:
    headers = client.get("/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def _flask_path(rule: str) -> str:
    return rule.replace("<int:", "{").replace("<", "{").replace(">", "}")


def test_openapi_describes_every_api_route_and_nothing_else(
    app: Flask, client: FlaskClient
) -> None:
    routes: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            methods = {m.lower() for m in rule.methods or ()} - {"head", "options"}
            routes.setdefault(_flask_path(rule.rule), set()).update(methods)
    described = {path: set(ops) for path, ops in PATHS.items()}
    assert routes == described
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")


def test_models_and_migrations_agree(app: Flask) -> None:
    with db.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(
                connection, opts={"include_object": include_in_schema_comparison}
            ),
            db.metadata,
        )
    assert differences == []


def test_member_classes_come_from_the_migration(app: Flask) -> None:
    codes = (
        db.session.execute(sa.text("SELECT code FROM member_classes ORDER BY id")).scalars().all()
    )
    assert codes == ["founders", "staff", "artists"]
