"""Fixtures shared by every tier.

The fast tier runs each test on its own copy of a SQLite database migrated once per run, with
tasks run in process and email delivered over SMTP to a real local sink.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from marketplace import create_app
from marketplace.extensions import db
from tests.fixtures.config import app_config, app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.web import AuthActions

pytest_plugins = [
    "tests.fixtures.stripe_emulator",
    "tests.fixtures.payments",
    "tests.fixtures.mail",
    "tests.fixtures.services",
    "tests.fixtures.s3",
    "tests.fixtures.shop",
]


def migrate_to_head(app: Flask) -> None:
    from flask_migrate import upgrade

    with app.app_context():
        upgrade()


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory, smtp_sink_server: SmtpSink) -> Path:
    """A SQLite file migrated from empty by Alembic, copied for each test."""
    folder = tmp_path_factory.mktemp("template")
    database = folder / "template.sqlite"
    app = create_app(app_config(folder / "instance", f"sqlite:///{database}", smtp_sink_server))
    migrate_to_head(app)
    with app.app_context():
        db.engine.dispose()
    return database


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink) -> Iterator[Flask]:
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink) as app:
        yield app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def auth(client: FlaskClient) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def factory(app: Flask) -> Factory:
    return Factory()
