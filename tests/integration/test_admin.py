"""Admin pages and endpoints: refused to others, roles, and the audit log."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, api_token, post_form

ADMIN_PAGES = [
    "/admin/",
    "/admin/applications",
    "/admin/users",
    "/admin/audit",
    "/admin/member-classes",
]


def test_admin_pages_are_refused_to_members_and_buyers(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.member("member@example.org")
    auth.login("member@example.org")
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == 403, page
    auth.logout()
    for page in ADMIN_PAGES:
        response = client.get(page)
        assert response.status_code == 302, page
        assert "/login" in response.headers["Location"], page


def test_admin_pages_render_for_admins(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.admin("root@example.org")
    factory.applicant()
    auth.login("root@example.org")
    for page in ADMIN_PAGES:
        assert client.get(page).status_code == 200, page


def test_grant_and_revoke_admin_role_is_audited(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    boss = factory.admin("boss@example.org")
    member = factory.member("helper@example.org", admin=boss)
    buyer = factory.buyer("buyer@example.org")
    auth.login("boss@example.org")

    refused = post_form(
        client,
        f"/admin/users/{buyer.id}/admin",
        {"grant": "1"},
        from_page="/admin/users",
        follow_redirects=True,
    )
    assert "Only members of the co-op can be made admins" in refused.get_data(as_text=True)

    post_form(client, f"/admin/users/{member.id}/admin", {"grant": "1"}, from_page="/admin/users")
    headers = api_token(client, "helper@example.org")
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == [
        "buyer",
        "member",
        "admin",
    ]

    post_form(client, f"/admin/users/{member.id}/admin", {"grant": "0"}, from_page="/admin/users")
    assert client.get("/api/v1/me", headers=headers).get_json()["roles"] == ["buyer", "member"]

    log = client.get(
        "/api/v1/admin/audit-log", headers=api_token(client, "boss@example.org")
    ).get_json()
    actions = [e["action"] for e in log["results"]]
    assert actions[:2] == ["accounts.admin_revoked", "accounts.admin_granted"]
    latest = log["results"][0]
    assert latest["actor"]["label"] == "boss@example.org"
    assert latest["before"] == {"is_admin": True}
    assert latest["after"] == {"is_admin": False}
    assert "membership.application_approved" in actions
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "helper@example.org" in page


def test_the_last_admin_cannot_be_removed(client: FlaskClient, factory: Factory) -> None:
    admin = factory.admin("only@example.org")
    headers = api_token(client, "only@example.org")
    response = client.delete(f"/api/v1/admin/users/{admin.id}/roles/admin", headers=headers)
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "last_admin"


def test_admin_role_through_the_api(client: FlaskClient, factory: Factory) -> None:
    boss = factory.admin("api-boss@example.org")
    member = factory.member(admin=boss)
    headers = api_token(client, "api-boss@example.org")
    granted = client.put(f"/api/v1/admin/users/{member.id}/roles/admin", headers=headers)
    assert granted.status_code == 200
    assert "admin" in granted.get_json()["roles"]
    assert client.put("/api/v1/admin/users/99999/roles/admin", headers=headers).status_code == 404
    users = client.get("/api/v1/admin/users?role=admin", headers=headers).get_json()
    assert users["total"] == 2
    assert client.get("/api/v1/admin/users?per_page=500", headers=headers).status_code == 422


def test_create_admin_command(runner: object, client: FlaskClient) -> None:
    result = runner.invoke(
        args=["users", "create-admin", "cli@example.org", "--password", "cli passphrase"]
    )  # type: ignore[attr-defined]
    assert result.exit_code == 0, result.output
    assert "Created admin cli@example.org" in result.output
    me = client.get(
        "/api/v1/me", headers=api_token(client, "cli@example.org", "cli passphrase")
    ).get_json()
    assert me["roles"] == ["buyer", "admin"]
    weak = runner.invoke(args=["users", "create-admin", "weak@example.org", "--password", "short"])  # type: ignore[attr-defined]
    assert weak.exit_code != 0
    assert "at least 10" in weak.output
