"""Only published proposals go to a vote: an admin cannot put a member's draft to one (which
would publish it) through the API or the page, nor their own draft before publishing it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask.testing import FlaskClient

from marketplace.accounts.models import User
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, api_token, post_form

TERMS = {"quorum_pct": 50, "majority": "simple"}


def _closes_at() -> datetime:
    return datetime.now(UTC) + timedelta(days=7)


def _draft(client: FlaskClient, headers: dict[str, str]) -> int:
    made = client.post(
        "/api/v1/proposals",
        headers=headers,
        json={"title": "Secret plan", "body": "Not ready for anyone's eyes.", "draft": True},
    )
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def _status(client: FlaskClient, headers: dict[str, str], proposal_id: int) -> str:
    found = client.get(f"/api/v1/proposals/{proposal_id}", headers=headers)
    assert found.status_code == 200, found.get_json()
    return str(found.get_json()["status"])


def _admin_member(factory: Factory) -> User:
    """A member who is also an admin: they may see their own drafts."""
    return factory.admin(factory.member().email)


def test_the_api_does_not_put_a_members_draft_to_a_vote(
    client: FlaskClient, factory: Factory
) -> None:
    admin = factory.admin()
    author = api_token(client, factory.member(admin=admin).email)
    other = api_token(client, factory.member(admin=admin).email)
    draft = _draft(client, author)
    body = {**TERMS, "closes_at": _closes_at().isoformat()}
    refused = client.post(
        f"/api/v1/admin/proposals/{draft}/vote", headers=api_token(client, admin.email), json=body
    )
    # The admin may not read another member's draft, so it is not there for them: 404.
    assert refused.status_code == 404, refused.get_json()
    assert _status(client, author, draft) == "draft"
    assert client.get(f"/api/v1/proposals/{draft}", headers=other).status_code == 404
    assert client.get("/api/v1/votes", headers=other).get_json()["results"] == []


def test_the_api_does_not_put_the_admins_own_draft_to_a_vote(
    client: FlaskClient, factory: Factory
) -> None:
    headers = api_token(client, _admin_member(factory).email)
    draft = _draft(client, headers)
    body = {**TERMS, "closes_at": _closes_at().isoformat()}
    refused = client.post(f"/api/v1/admin/proposals/{draft}/vote", headers=headers, json=body)
    assert refused.status_code == 409, refused.get_json()
    error = refused.get_json()["error"]
    assert error["code"] == "proposal_not_published"
    assert "publish" in error["message"].lower()
    assert _status(client, headers, draft) == "draft"


def test_the_page_does_not_put_a_draft_to_a_vote(client: FlaskClient, factory: Factory) -> None:
    admin = factory.admin()
    others_draft = _draft(client, api_token(client, factory.member(admin=admin).email))
    chair = _admin_member(factory)
    headers = api_token(client, chair.email)
    own_draft = _draft(client, headers)
    AuthActions(client).login(chair.email)
    form = {"closes_at": _closes_at().strftime("%Y-%m-%dT%H:%M"), "quorum_pct": "50"}
    path = f"/admin/governance/proposals/{others_draft}/vote"
    assert client.get(path).status_code == 404
    assert post_form(client, path, form, from_page="/admin/governance").status_code == 404

    path = f"/admin/governance/proposals/{own_draft}/vote"
    shown = client.get(path)
    assert shown.status_code == 409
    assert "publish" in shown.get_data(as_text=True).lower()
    posted = post_form(client, path, {**form, "majority": "simple"}, from_page="/admin/governance")
    assert posted.status_code == 409, posted.get_data(as_text=True)
    assert _status(client, headers, own_draft) == "draft"
