"""The membership flow through the JSON API."""

from __future__ import annotations

import hashlib
import io

import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.storage import get_storage
from tests.fixtures.factories import STATEMENT, Factory, jpeg_bytes
from tests.fixtures.mail import SmtpSink
from tests.fixtures.web import api_token


def test_member_classes_are_seeded_data(client: FlaskClient) -> None:
    classes = client.get("/api/v1/member-classes").get_json()
    assert [c["code"] for c in classes] == ["founders", "staff", "artists"]
    assert all(c["name"] and c["description"] for c in classes)
    shares = {c["code"]: (c["dividend_share_pct"], c["dividend_basis"]) for c in classes}
    assert shares["artists"][1] == "patronage"
    assert sum(float(share) for share, _ in shares.values()) == 100


def test_apply_and_be_approved(client: FlaskClient, factory: Factory, smtp_sink: SmtpSink) -> None:
    factory.admin("boss@example.org")
    factory.buyer("artist@example.org")
    artist, admin = api_token(client, "artist@example.org"), api_token(client, "boss@example.org")

    response = client.post(
        "/api/v1/membership/applications",
        headers=artist,
        json={"statement": STATEMENT, "portfolio_url": "https://example.org/me"},
    )
    assert response.status_code == 201
    application = response.get_json()
    assert application["status"] == "pending"
    smtp_sink.wait_for("artist@example.org", "received your membership application")

    sample = jpeg_bytes()
    added = client.post(
        f"/api/v1/membership/applications/{application['id']}/samples",
        headers=artist,
        data={"file": (io.BytesIO(sample), "dawn.jpg")},
        content_type="multipart/form-data",
    )
    assert added.status_code == 201
    stored = added.get_json()["samples"][0]
    assert stored["sha256"] == hashlib.sha256(sample).hexdigest()
    assert stored["content_type"] == "image/jpeg"

    queue = client.get(
        "/api/v1/admin/membership/applications?status=pending", headers=admin
    ).get_json()
    assert queue["total"] == 1
    assert queue["results"][0]["id"] == application["id"]

    decided = client.post(
        f"/api/v1/admin/membership/applications/{application['id']}/decision",
        headers=admin,
        json={"decision": "approve", "reason": "Lovely light."},
    )
    assert decided.status_code == 200
    assert decided.get_json()["status"] == "approved"

    me = client.get("/api/v1/me", headers=artist).get_json()
    assert me["roles"] == ["buyer", "member"]
    assert me["member"]["member_number"] == 1
    assert me["member"]["status"] == "active"
    assert me["member"]["member_class"] == "artists"
    assert me["member"]["joined_on"]
    smtp_sink.wait_for("artist@example.org", "Welcome to the co-op")

    public = client.get("/api/v1/members/1").get_json()
    assert public["display_name"] == "Bea Buyer"
    assert "email" not in public


def test_second_open_application_is_a_409(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("eager@example.org")
    headers = api_token(client, "eager@example.org")
    body = {"statement": STATEMENT, "portfolio_url": ""}
    assert (
        client.post("/api/v1/membership/applications", headers=headers, json=body).status_code
        == 201
    )
    again = client.post("/api/v1/membership/applications", headers=headers, json=body)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "application_open"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"portfolio_url": "https://example.org"}, "statement"),
        ({"statement": "too short"}, "statement"),
        ({"statement": STATEMENT, "portfolio_url": "javascript:alert(1)"}, "portfolio_url"),
    ],
)
def test_bad_applications_are_refused(
    client: FlaskClient, factory: Factory, body: dict[str, str], field: str
) -> None:
    factory.buyer("bad@example.org")
    response = client.post(
        "/api/v1/membership/applications", headers=api_token(client, "bad@example.org"), json=body
    )
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]


def test_a_file_that_is_not_an_image_is_refused_and_nothing_is_left(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    factory.buyer("sneaky@example.org")
    headers = api_token(client, "sneaky@example.org")
    response = client.post(
        "/api/v1/membership/applications",
        headers=headers,
        data={"statement": STATEMENT, "samples": (io.BytesIO(b"<?php echo 'hi'; ?>"), "photo.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "not a JPEG" in response.get_json()["error"]["message"]
    assert (
        client.get("/api/v1/membership/applications", headers=headers).get_json()["results"] == []
    )
    root = get_storage().root  # type: ignore[attr-defined]
    assert not any(p.is_file() for p in root.rglob("*")), (
        "a refused upload must leave no file behind"
    )


def test_more_than_ten_samples_are_refused(client: FlaskClient, factory: Factory) -> None:
    factory.buyer("many@example.org")
    files = [(io.BytesIO(jpeg_bytes()), f"{i}.jpg") for i in range(11)]
    response = client.post(
        "/api/v1/membership/applications",
        headers=api_token(client, "many@example.org"),
        data={"statement": STATEMENT, "samples": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    assert "at most 10" in response.get_json()["error"]["message"]


def test_admin_endpoints_need_the_admin_role(client: FlaskClient, factory: Factory) -> None:
    factory.member("plain@example.org")
    headers = api_token(client, "plain@example.org")
    assert client.get("/api/v1/admin/membership/applications", headers=headers).status_code == 403
    assert (
        client.post(
            "/api/v1/admin/membership/applications/1/decision", headers=headers, json={}
        ).status_code
        == 403
    )
    assert client.get("/api/v1/admin/membership/applications").status_code == 401


def test_reject_needs_a_reason_and_decides_once(
    client: FlaskClient, factory: Factory, smtp_sink: SmtpSink
) -> None:
    factory.admin("judge@example.org")
    factory.applicant("hopeful@example.org")
    admin = api_token(client, "judge@example.org")
    application_id = client.get("/api/v1/admin/membership/applications", headers=admin).get_json()[
        "results"
    ][0]["id"]
    url = f"/api/v1/admin/membership/applications/{application_id}/decision"
    assert client.post(url, headers=admin, json={"decision": "reject"}).status_code == 422
    assert client.post(url, headers=admin, json={"decision": "maybe"}).status_code == 422
    assert (
        client.post(
            url, headers=admin, json={"decision": "approve", "member_class": "pirates"}
        ).status_code
        == 422
    )
    rejected = client.post(
        url,
        headers=admin,
        json={"decision": "reject", "reason": "Please show more of your own work."},
    )
    assert rejected.status_code == 200
    assert rejected.get_json()["reason"] == "Please show more of your own work."
    again = client.post(url, headers=admin, json={"decision": "approve"})
    assert again.status_code == 409
    message = smtp_sink.wait_for("hopeful@example.org", "Your membership application")
    assert "Please show more of your own work." in message.get_content()  # type: ignore[attr-defined]
    applicant = api_token(client, "hopeful@example.org")
    assert client.get("/api/v1/me", headers=applicant).get_json()["roles"] == ["buyer"]


def test_member_numbers_count_up_and_classes_apply(client: FlaskClient, factory: Factory) -> None:
    admin = factory.admin()
    first = factory.member(member_class="founders", admin=admin)
    second = factory.member(member_class="staff", admin=admin)
    assert first.member is not None
    assert second.member is not None
    assert (first.member.member_number, second.member.member_number) == (1, 2)
    assert (first.member.member_class.code, second.member.member_class.code) == (
        "founders",
        "staff",
    )


def test_applications_of_others_are_not_found(client: FlaskClient, factory: Factory) -> None:
    factory.applicant("owner@example.org")
    factory.buyer("nosy@example.org")
    owner, nosy = api_token(client, "owner@example.org"), api_token(client, "nosy@example.org")
    application_id = client.get("/api/v1/membership/applications", headers=owner).get_json()[
        "results"
    ][0]["id"]
    assert (
        client.get(f"/api/v1/membership/applications/{application_id}", headers=nosy).status_code
        == 404
    )
    assert (
        client.get(f"/api/v1/membership/applications/{application_id}", headers=owner).status_code
        == 200
    )


def test_member_edits_profile(client: FlaskClient, factory: Factory) -> None:
    factory.member("profile@example.org")
    headers = api_token(client, "profile@example.org")
    response = client.patch(
        "/api/v1/me/profile", headers=headers, json={"bio": "Sea and salt.", "location": "Porto"}
    )
    assert response.status_code == 200
    assert response.get_json()["location"] == "Porto"
    assert client.get("/api/v1/members").get_json()["results"][0]["bio"] == "Sea and salt."
    buyer_headers = api_token(client, factory.buyer().email)
    assert client.patch("/api/v1/me/profile", headers=buyer_headers, json={}).status_code == 403
