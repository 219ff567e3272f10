"""Changing the dividend policy needs the decision that approved it; members read the history."""

from __future__ import annotations

from flask import Flask

from marketplace.extensions import db
from marketplace.membership.models import MemberClass
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions, api_token

POLICY = "/api/v1/admin/member-classes/policy"
CLASSES = [
    {"code": "founders", "share_pct": "5", "basis": "equal"},
    {"code": "staff", "share_pct": "10", "basis": "service_years"},
    {"code": "artists", "share_pct": "85", "basis": "patronage"},
]


def test_a_policy_change_needs_its_approval_and_is_kept_for_members(
    app: Flask, auth: AuthActions
) -> None:
    client = app.test_client()
    admin = Factory().admin()
    member = Factory().member()
    headers = api_token(client, admin.email)

    unapproved = client.post(POLICY, json={"classes": CLASSES}, headers=headers)
    assert unapproved.status_code == 422
    assert "vote" in unapproved.get_json()["error"]["message"]
    not_a_vote = client.post(POLICY, json={"classes": CLASSES, "vote_id": 999}, headers=headers)
    assert not_a_vote.status_code == 422
    wrong_sum = client.post(
        POLICY,
        json={"classes": CLASSES[:2], "board_decision_ref": "Board minutes 2026-12-01"},
        headers=headers,
    )
    assert wrong_sum.status_code == 422
    assert "100 %" in wrong_sum.get_json()["error"]["message"]
    by_member = client.post(
        POLICY,
        json={"classes": CLASSES, "board_decision_ref": "x"},
        headers=api_token(client, member.email),
    )
    assert by_member.status_code == 403

    changed = client.post(
        POLICY,
        json={
            "classes": CLASSES,
            "board_decision_ref": "Board minutes 2026-12-01, item 2",
            "note": "Staff share doubled",
        },
        headers=headers,
    )
    assert changed.status_code == 201, changed.get_json()
    body = changed.get_json()
    assert body["approved_by"] == "board decision Board minutes 2026-12-01, item 2"
    assert {c["code"]: c["share_pct"] for c in body["after"]}["staff"] == "10"
    staff = db.session.query(MemberClass).filter_by(code="staff").one()
    assert staff.dividend_share_bps == 1_000

    history = client.get(
        "/api/v1/member-classes/policy-history", headers=api_token(client, member.email)
    )
    assert history.status_code == 200
    assert history.get_json()["results"][0]["id"] == body["id"]
    buyer = Factory().buyer()
    assert (
        client.get(
            "/api/v1/member-classes/policy-history", headers=api_token(client, buyer.email)
        ).status_code
        == 403
    )
    auth.login(member.email)
    page = auth.client.get("/account/membership/policy-history").get_data(as_text=True)
    assert "approved by board decision Board minutes 2026-12-01, item 2" in page
    assert "10.00 %" in page
