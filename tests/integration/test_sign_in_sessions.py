"""Sign-in sessions live on the server: signing out ends them, even for a copied cookie.

Flask's session cookie is signed, not stored, so without a server-side record a cookie captured
before sign-out (from a shared computer, a proxy log, a stolen backup) kept working.
"""

from __future__ import annotations

import re
from datetime import timedelta

from flask.testing import FlaskClient

from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.web import TEST_PASSWORD, AuthActions, post_form


def _replay(client: FlaskClient, name: str, value: str) -> FlaskClient:
    """A fresh browser that holds only a copy of one cookie."""
    thief = client.application.test_client()
    thief.set_cookie(name, value)
    return thief


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    return cookie.value


def test_a_session_cookie_captured_before_sign_out_no_longer_opens_the_account(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("captured@example.org")
    assert auth.login("captured@example.org").status_code == 302
    captured = _cookie(client, "session")
    assert _replay(client, "session", captured).get("/account").status_code == 200

    assert auth.logout().status_code == 302

    replayed = _replay(client, "session", captured).get("/account")
    assert replayed.status_code == 302
    assert "/login" in replayed.headers["Location"]


def test_a_remember_me_cookie_captured_before_sign_out_no_longer_signs_in(
    client: FlaskClient, factory: Factory
) -> None:
    factory.buyer("remembered@example.org")
    response = post_form(
        client,
        "/login",
        {"email": "remembered@example.org", "password": TEST_PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    remembered = _cookie(client, "remember_token")
    assert _replay(client, "remember_token", remembered).get("/account").status_code == 200

    assert AuthActions(client).logout().status_code == 302

    assert _replay(client, "remember_token", remembered).get("/account").status_code == 302


def test_the_account_page_lists_sessions_and_signs_out_the_others(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("devices@example.org")
    laptop = client.application.test_client()
    laptop.environ_base["HTTP_USER_AGENT"] = "Laptop browser"
    AuthActions(laptop).login("devices@example.org")
    client.environ_base["HTTP_USER_AGENT"] = "Phone browser"
    auth.login("devices@example.org")

    page = client.get("/account").get_data(as_text=True)
    assert "Laptop browser" in page
    assert "Phone browser" in page

    response = post_form(client, "/account/sessions/end-others", from_page="/account")
    assert response.status_code == 302
    assert laptop.get("/account").status_code == 302
    page = client.get("/account").get_data(as_text=True)
    assert "Laptop browser" not in page


def test_a_password_reset_ends_every_session(
    client: FlaskClient, auth: AuthActions, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.buyer("reset-all@example.org")
    auth.login("reset-all@example.org")
    captured = _cookie(client, "session")
    stranger = client.application.test_client()
    assert (
        post_form(stranger, "/forgot-password", {"email": "reset-all@example.org"}).status_code
        == 302
    )
    message = smtp_sink.wait_for("reset-all@example.org", "Reset your password")
    match = re.search(r"http://localhost(/reset-password/\S+)", body_of(message))
    assert match, body_of(message)
    password = "a fresh reset passphrase"
    post_form(stranger, match.group(1), {"password": password, "confirm": password})

    assert _replay(client, "session", captured).get("/account").status_code == 302
    assert stranger.get("/account").status_code == 200


def test_sessions_ended_long_ago_are_purged(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    from marketplace.accounts.models import SignInSession
    from marketplace.accounts.sessions import KEEP_ENDED, purge_ended_sessions
    from marketplace.database import unit_of_work, utcnow
    from marketplace.extensions import db

    factory.buyer("purged@example.org")
    auth.login("purged@example.org")
    auth.logout()
    auth.login("purged@example.org")
    ended = db.session.execute(
        db.select(SignInSession).where(SignInSession.revoked_at.is_not(None))
    ).scalar_one()
    assert purge_ended_sessions() == 0
    with unit_of_work():
        ended.revoked_at = utcnow() - KEEP_ENDED - timedelta(minutes=1)
    assert purge_ended_sessions() == 1
    assert client.get("/account").status_code == 200
