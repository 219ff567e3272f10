"""Accounts through the pages: sign up, sign in and out, passwords, reset by email."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.accounts.models import PasswordResetToken, User
from marketplace.extensions import db
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.web import TEST_PASSWORD, AuthActions, post_form


def test_sign_up_makes_a_buyer_and_signs_in(client: FlaskClient, auth: AuthActions) -> None:
    response = auth.signup("Newcomer@Example.org", name="New Comer")
    assert response.status_code == 302
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.email == "newcomer@example.org"
    assert user.roles == ["buyer"]
    assert user.password_hash.startswith("$argon2id$")
    assert "New Comer" in client.get("/account").get_data(as_text=True)


def test_sign_up_refuses_duplicate_email_with_a_sentence(
    auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("taken@example.org")
    response = auth.signup("TAKEN@example.org")
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_sign_up_refuses_short_and_common_passwords(auth: AuthActions) -> None:
    assert (
        "at least 10"
        in auth.signup("a@example.org", password="short").get_data(as_text=True).lower()
    )
    response = auth.signup("b@example.org", password="1234567890")
    assert response.status_code == 422
    assert "too easy to guess" in response.get_data(as_text=True)


def test_form_without_csrf_token_is_refused(client: FlaskClient) -> None:
    response = client.post(
        "/signup",
        data={
            "email": "x@example.org",
            "display_name": "X",
            "password": TEST_PASSWORD,
            "confirm": TEST_PASSWORD,
        },
    )
    assert response.status_code == 400
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 0


def test_wrong_password_is_refused_and_right_one_signs_in(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("bea@example.org")
    wrong = auth.login("bea@example.org", "not the password")
    assert wrong.status_code == 401
    assert "do not match" in wrong.get_data(as_text=True)
    assert client.get("/account").status_code == 302
    assert auth.login("bea@example.org").status_code == 302
    assert client.get("/account").status_code == 200
    auth.logout()
    assert client.get("/account").status_code == 302


def test_session_cookie_is_httponly_and_samesite(auth: AuthActions, factory: Factory) -> None:
    factory.buyer("cookie@example.org")
    response = auth.login("cookie@example.org")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_repeated_failed_logins_are_rate_limited(auth: AuthActions, factory: Factory) -> None:
    factory.buyer("target@example.org")
    statuses = [
        auth.login("target@example.org", f"guess number {i}").status_code for i in range(12)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10:] == [429, 429]
    assert auth.login("target@example.org").status_code == 429


def test_change_password_signs_out_other_sessions(
    app: object, client: FlaskClient, auth: AuthActions, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.buyer("change@example.org")
    other_device = client.application.test_client()
    AuthActions(other_device).login("change@example.org")
    auth.login("change@example.org")
    new_password = "a brand new passphrase"
    response = post_form(
        client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "new_password": new_password, "confirm": new_password},
        from_page="/account",
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other_device.get("/account").status_code == 302
    smtp_sink.wait_for("change@example.org", "password was changed")
    auth.logout()
    assert auth.login("change@example.org", new_password).status_code == 302


def test_change_password_with_wrong_current_password(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("wrong@example.org")
    auth.login("wrong@example.org")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": "nope nope nope",
            "new_password": "x" * 3 + "another pass",
            "confirm": "x" * 3 + "another pass",
        },
        from_page="/account",
    )
    assert response.status_code == 422
    assert "current password is not right" in response.get_data(as_text=True)


def _reset_link(smtp_sink: SmtpSink, email: str) -> str:
    message = smtp_sink.wait_for(email, "Reset your password")
    match = re.search(r"http://localhost(/reset-password/\S+)", body_of(message))
    assert match, body_of(message)
    return match.group(1)


def test_password_reset_by_email(
    client: FlaskClient, auth: AuthActions, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.buyer("forgetful@example.org")
    response = post_form(client, "/forgot-password", {"email": "forgetful@example.org"})
    assert response.status_code == 302
    link = _reset_link(smtp_sink, "forgetful@example.org")
    assert client.get(link).status_code == 200
    response = post_form(
        client, link, {"password": "remembered at last", "confirm": "remembered at last"}
    )
    assert response.status_code == 302
    auth.logout()
    assert auth.login("forgetful@example.org", "remembered at last").status_code == 302
    again = client.get(link)
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)


def test_password_reset_for_unknown_email_says_the_same_and_sends_nothing(
    client: FlaskClient, smtp_sink: SmtpSink
) -> None:
    response = post_form(
        client, "/forgot-password", {"email": "nobody@example.org"}, follow_redirects=True
    )
    assert "If an account uses that address" in response.get_data(as_text=True)
    assert smtp_sink.messages == []


def test_expired_reset_link_is_refused(
    client: FlaskClient, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.buyer("late@example.org")
    post_form(client, "/forgot-password", {"email": "late@example.org"})
    link = _reset_link(smtp_sink, "late@example.org")
    token = db.session.execute(sa.select(PasswordResetToken)).scalar_one()
    token.expires_at = token.created_at - timedelta(seconds=1)
    db.session.commit()
    response = client.get(link)
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    assert client.get("/reset-password/not-a-token").status_code == 400


def test_api_tokens_are_listed_and_revocable_from_the_account_page(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.buyer("tokens@example.org")
    auth.login("tokens@example.org")
    created = post_form(client, "/account/tokens", {"name": "my script"}, from_page="/account")
    assert created.status_code == 201
    raw = re.search(r"(cs_[A-Za-z0-9_-]{20,})", created.get_data(as_text=True))
    assert raw, "the new token is shown once"
    headers = {"Authorization": f"Bearer {raw.group(1)}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()["results"][0]["id"]
    revoked = post_form(client, f"/account/tokens/{token_id}/revoke", from_page="/account")
    assert revoked.status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
