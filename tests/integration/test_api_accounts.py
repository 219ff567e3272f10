"""Accounts through the JSON API, and how it answers bad input."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.web import TEST_PASSWORD, api_token


def _error(response: object) -> dict[str, str]:
    body = response.get_json()  # type: ignore[attr-defined]
    assert set(body) == {"error"}, body
    assert body["error"]["message"], body
    return body["error"]


def test_sign_up_returns_a_buyer(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={"email": "api@example.org", "password": TEST_PASSWORD, "display_name": "Api"},
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "api@example.org"
    assert body["roles"] == ["buyer"]
    assert isinstance(body["id"], int)


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        (
            {"email": "a@example.org", "password": "short", "display_name": "A"},
            422,
            "weak_password",
        ),
        (
            {"email": "not-an-email", "password": TEST_PASSWORD, "display_name": "A"},
            422,
            "invalid_input",
        ),
        ({"password": TEST_PASSWORD, "display_name": "A"}, 422, "missing_field"),
        ({"email": 5, "password": TEST_PASSWORD, "display_name": "A"}, 422, "invalid_input"),
        (
            {"email": "a@example.org", "password": TEST_PASSWORD, "display_name": "   "},
            422,
            "invalid_input",
        ),
    ],
)
def test_sign_up_rejects_bad_input_with_a_sentence(
    client: FlaskClient, payload: dict[str, object], status: int, code: str
) -> None:
    response = client.post("/api/v1/users", json=payload)
    assert response.status_code == status
    assert _error(response)["code"] == code


def test_malformed_json_is_a_400_not_a_500(client: FlaskClient) -> None:
    response = client.post("/api/v1/users", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert _error(response)["code"] == "malformed_json"
    response = client.post("/api/v1/users", json=["a", "list"])
    assert response.status_code == 400
    response = client.post(
        "/api/v1/users", data="email=x", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert _error(response)["code"] == "expected_json"


def test_duplicate_email_is_a_409(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("dup@example.org")
    response = client.post(
        "/api/v1/users",
        json={"email": "Dup@Example.org", "password": TEST_PASSWORD, "display_name": "D"},
    )
    assert response.status_code == 409
    assert _error(response)["code"] == "email_taken"


def test_token_from_credentials_and_me(client: FlaskClient, factory: Factory) -> None:
    user = factory.buyer("me@example.org")
    response = client.post(
        "/api/v1/tokens", json={"email": "me@example.org", "password": TEST_PASSWORD}
    )
    assert response.status_code == 201
    body = response.get_json()
    assert body["token"].startswith("cs_")
    assert body["user"] == {
        "id": user.id,
        "email": "me@example.org",
        "display_name": "Bea Buyer",
        "roles": ["buyer"],
    }
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["roles"] == ["buyer"]
    assert "member" not in me.get_json()


def test_wrong_password_is_401_and_repeated_failures_429(
    client: FlaskClient, factory: Factory
) -> None:
    factory.buyer("guess@example.org")
    statuses = [
        client.post(
            "/api/v1/tokens", json={"email": "guess@example.org", "password": f"wrong {i}"}
        ).status_code
        for i in range(11)
    ]
    assert statuses == [401] * 10 + [429]
    limited = client.post(
        "/api/v1/tokens", json={"email": "guess@example.org", "password": TEST_PASSWORD}
    )
    assert limited.status_code == 429
    assert _error(limited)["code"] == "rate_limited"
    assert "Retry-After" in limited.headers


def test_the_limit_is_per_account_and_looser_per_address(
    client: FlaskClient, factory: Factory
) -> None:
    factory.buyer("victim@example.org")
    factory.buyer("neighbour@example.org")
    for i in range(10):
        client.post(
            "/api/v1/tokens", json={"email": "victim@example.org", "password": f"wrong {i}"}
        )
    blocked = client.post(
        "/api/v1/tokens", json={"email": "victim@example.org", "password": TEST_PASSWORD}
    )
    assert blocked.status_code == 429
    other = client.post(
        "/api/v1/tokens", json={"email": "neighbour@example.org", "password": TEST_PASSWORD}
    )
    assert other.status_code == 201
    for i in range(40):
        client.post(
            "/api/v1/tokens", json={"email": f"spray{i}@example.org", "password": "guess guess"}
        )
    sprayed = client.post(
        "/api/v1/tokens", json={"email": "neighbour@example.org", "password": TEST_PASSWORD}
    )
    assert sprayed.status_code == 429, "50 failures from one address block it"


def test_successful_sign_ins_do_not_use_up_the_limit(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("busy@example.org")
    for _ in range(15):
        assert (
            client.post(
                "/api/v1/tokens", json={"email": "busy@example.org", "password": TEST_PASSWORD}
            ).status_code
            == 201
        )


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer cs_nope"}, "invalid_token"),
        ({"Authorization": "Basic eA=="}, "missing_token"),
    ],
)
def test_missing_or_invalid_token_is_401(
    client: FlaskClient, headers: dict[str, str], code: str
) -> None:
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert _error(response)["code"] == code


def test_revoked_token_stops_working(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("rev@example.org")
    headers = api_token(client, "rev@example.org")
    token_id = client.get("/api/v1/tokens", headers=headers).get_json()["results"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_tokens_of_others_are_not_found(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("one@example.org")
    factory.buyer("two@example.org")
    one, two = api_token(client, "one@example.org"), api_token(client, "two@example.org")
    token_id = client.get("/api/v1/tokens", headers=one).get_json()["results"][0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=two).status_code == 404
    assert client.get("/api/v1/me", headers=one).status_code == 200


def test_api_is_csrf_exempt_but_ignores_session_cookies(
    client: FlaskClient, factory: Factory
) -> None:
    from tests.fixtures.web import AuthActions

    factory.buyer("cookie@example.org")
    AuthActions(client).login("cookie@example.org")
    assert client.get("/api/v1/me").status_code == 401


def test_password_reset_through_the_api(
    client: FlaskClient, factory: Factory, smtp_sink: SmtpSink
) -> None:
    import re

    factory.buyer("apireset@example.org")
    assert (
        client.post("/api/v1/password-resets", json={"email": "apireset@example.org"}).status_code
        == 202
    )
    assert (
        client.post("/api/v1/password-resets", json={"email": "unknown@example.org"}).status_code
        == 202
    )
    body = body_of(smtp_sink.wait_for("apireset@example.org", "Reset"))
    token = re.search(r"/reset-password/(\S+)", body)
    assert token
    weak = client.post(
        "/api/v1/password-resets/confirm", json={"token": token.group(1), "password": "short"}
    )
    assert weak.status_code == 422
    ok = client.post(
        "/api/v1/password-resets/confirm",
        json={"token": token.group(1), "password": "new passphrase 1"},
    )
    assert ok.status_code == 200
    again = client.post(
        "/api/v1/password-resets/confirm",
        json={"token": token.group(1), "password": "new passphrase 2"},
    )
    assert again.status_code == 410
    assert _error(again)["code"] == "reset_token_used"
    bogus = client.post(
        "/api/v1/password-resets/confirm", json={"token": "bogus", "password": "new passphrase 2"}
    )
    assert bogus.status_code == 422


def test_change_password_through_the_api(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("apichange@example.org")
    headers = api_token(client, "apichange@example.org")
    wrong = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": "nope", "new_password": "fresh passphrase"},
    )
    assert wrong.status_code == 422
    assert _error(wrong)["code"] == "wrong_password"
    ok = client.post(
        "/api/v1/me/password",
        headers=headers,
        json={"current_password": TEST_PASSWORD, "new_password": "fresh passphrase"},
    )
    assert ok.status_code == 200
    assert (
        client.post(
            "/api/v1/tokens",
            json={"email": "apichange@example.org", "password": "fresh passphrase"},
        ).status_code
        == 201
    )


def test_unknown_api_route_and_method_answer_json(client: FlaskClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert _error(missing)["code"] == "not_found"
    wrong_method = client.put("/api/v1/users")
    assert wrong_method.status_code == 405
    assert _error(wrong_method)["code"] == "method_not_allowed"
