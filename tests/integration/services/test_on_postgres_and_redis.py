"""The services tier: PostgreSQL, Redis and a real Celery worker process, as in production."""

from __future__ import annotations

import io
import re
import threading

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask.testing import FlaskClient

from marketplace.catalogue.schema import include_in_schema_comparison
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.membership import services as membership
from tests.fixtures.factories import STATEMENT, Factory, jpeg_bytes, unique_email
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.services import ROOT, ServicesEnv
from tests.fixtures.use_cases import UseCaseFailed, fail_after
from tests.fixtures.web import AuthActions, api_token, post_form

pytestmark = pytest.mark.services


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(ROOT / "migrations"))
    return config


def test_migrations_build_postgres_from_empty_and_match_the_models(
    services_env: ServicesEnv, services_app: Flask
) -> None:
    with db.engine.connect() as connection:
        assert connection.dialect.name == "postgresql"
        version = connection.execute(
            sa.text("SELECT version_num FROM alembic_version")
        ).scalar_one()
        differences = compare_metadata(
            MigrationContext.configure(
                connection, opts={"include_object": include_in_schema_comparison}
            ),
            db.metadata,
        )
    assert version == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert differences == []


def test_whole_membership_flow_through_the_pages(services_app: Flask, smtp_sink: SmtpSink) -> None:
    client = services_app.test_client()
    auth = AuthActions(client)
    admin_email, artist_email = unique_email("pgadmin"), unique_email("pgartist")
    Factory().admin(admin_email)

    assert auth.signup(artist_email, name="Paula Postgres").status_code == 302
    applied = post_form(
        client,
        "/membership/apply",
        {
            "statement": STATEMENT,
            "portfolio_url": "https://example.org/paula",
            "samples": [(io.BytesIO(jpeg_bytes()), "harbour.jpg")],
        },
        content_type="multipart/form-data",
    )
    assert applied.status_code == 302
    # The confirmation email went through Redis to the worker process, which sent it by SMTP.
    smtp_sink.wait_for(artist_email, "received your membership application")
    auth.logout()

    auth.login(admin_email)
    application_id = applied.headers["Location"].rsplit("/", 1)[1]
    decided = post_form(
        client,
        f"/admin/applications/{application_id}",
        {"decision": "approve", "member_class": "founders", "reason": "Welcome."},
    )
    assert decided.status_code == 302
    welcome = smtp_sink.wait_for(artist_email, "Welcome to the co-op")
    number = re.search(r"/members/(\d+)", body_of(welcome))
    assert number
    profile = client.get(f"/members/{number.group(1)}").get_data(as_text=True)
    assert "Paula Postgres" in profile


def test_whole_membership_flow_through_the_api(services_app: Flask, smtp_sink: SmtpSink) -> None:
    client = services_app.test_client()
    admin_email, artist_email = unique_email("apiadmin"), unique_email("apiartist")
    Factory().admin(admin_email)
    signed_up = client.post(
        "/api/v1/users",
        json={
            "email": artist_email,
            "password": "correct horse battery",
            "display_name": "Api Artist",
        },
    )
    assert signed_up.status_code == 201
    artist, admin = api_token(client, artist_email), api_token(client, admin_email)
    created = client.post(
        "/api/v1/membership/applications", headers=artist, json={"statement": STATEMENT}
    )
    assert created.status_code == 201
    duplicate = client.post(
        "/api/v1/membership/applications", headers=artist, json={"statement": STATEMENT}
    )
    assert duplicate.status_code == 409
    decided = client.post(
        f"/api/v1/admin/membership/applications/{created.get_json()['id']}/decision",
        headers=admin,
        json={"decision": "approve"},
    )
    assert decided.status_code == 200
    me = client.get("/api/v1/me", headers=artist).get_json()
    assert me["roles"] == ["buyer", "member"]
    assert me["member"]["member_number"] >= 1
    smtp_sink.wait_for(artist_email, "Welcome to the co-op")


def test_admin_page_is_refused_to_a_member(services_app: Flask) -> None:
    client: FlaskClient = services_app.test_client()
    email = unique_email("pgmember")
    Factory().member(email)
    AuthActions(client).login(email)
    assert client.get("/admin/").status_code == 403
    assert client.get("/api/v1/admin/users", headers=api_token(client, email)).status_code == 403


def test_a_task_is_sent_only_after_commit(services_app: Flask, smtp_sink: SmtpSink) -> None:
    kept, dropped = unique_email("kept"), unique_email("dropped")
    with pytest.raises(UseCaseFailed):
        fail_after(
            lambda session: queue_email(
                session, dropped, "Never sent", "password_changed", user={"display_name": "X"}
            )
        )
    with unit_of_work() as session:
        queue_email(
            session, kept, "Sent after commit", "password_changed", user={"display_name": "Y"}
        )
    smtp_sink.wait_for(kept, "Sent after commit")
    assert smtp_sink.to(dropped) == []


def test_password_reset_email_arrives_from_the_worker(
    services_app: Flask, smtp_sink: SmtpSink
) -> None:
    client = services_app.test_client()
    email = unique_email("reset")
    Factory().buyer(email)
    assert client.post("/api/v1/password-resets", json={"email": email}).status_code == 202
    link = re.search(r"/reset-password/(\S+)", body_of(smtp_sink.wait_for(email, "Reset")))
    assert link
    confirmed = client.post(
        "/api/v1/password-resets/confirm",
        json={"token": link.group(1), "password": "a new passphrase"},
    )
    assert confirmed.status_code == 200


def test_concurrent_approvals_get_distinct_member_numbers(services_app: Flask) -> None:
    factory = Factory()
    admin = factory.admin()
    applicants = [factory.applicant() for _ in range(6)]
    application_ids = [membership.open_application(a).id for a in applicants]  # type: ignore[union-attr]
    admin_id = admin.id
    errors: list[BaseException] = []

    def approve(application_id: int) -> None:
        with services_app.app_context():
            try:
                decider = db.session.get(type(admin), admin_id)
                membership.decide_application(decider, application_id, "approve")
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)

    threads = [threading.Thread(target=approve, args=(i,)) for i in application_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    numbers = db.session.execute(sa.text("SELECT member_number FROM members")).scalars().all()
    assert len(numbers) == len(set(numbers))


def test_one_open_application_is_enforced_by_the_database(
    services_app: Flask, services_env: ServicesEnv
) -> None:
    user = Factory().applicant()
    url = services_env.database_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as connection, pytest.raises(psycopg.errors.UniqueViolation):
        connection.execute(
            "INSERT INTO membership_applications (user_id, statement, portfolio_url, status, "
            "submitted_at, decision_reason) VALUES (%s, 'x', '', 'pending', now(), '')",
            (user.id,),
        )


def test_healthz_on_postgres_and_redis(services_app: Flask) -> None:
    response = services_app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "broker": "ok", "storage": "ok"}


def test_login_rate_limit_is_kept_in_redis(services_app: Flask) -> None:
    email = unique_email("limited")
    Factory().buyer(email)
    first, second = services_app.test_client(), services_app.test_client()
    # Two clients (as two gunicorn workers would be) share the count through Redis.
    for i in range(5):
        first.post("/api/v1/tokens", json={"email": email, "password": f"wrong {i}"})
    for i in range(5):
        second.post("/api/v1/tokens", json={"email": email, "password": f"wrong again {i}"})
    assert (
        first.post("/api/v1/tokens", json={"email": email, "password": "nope"}).status_code == 429
    )
