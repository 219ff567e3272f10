"""A proposal's badge and the words beside it come from one state: the call to support shows only
while support counts; once the proposal is in a vote the page says so, and after, its result."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.governance.models import Proposal
from tests.fixtures.factories import Factory
from tests.fixtures.governance import end_vote
from tests.fixtures.web import AuthActions, post_form

SUPPORT_CALL = "Support it if you would like the members to vote on it."


def badge(page: str) -> str:
    found = re.search(
        r'<span class="badge badge--(\w+)" data-standing="(\w+)">([^<]+)</span>', page
    )
    assert found, "no standing badge on the page"
    return f"{found.group(1)}:{found.group(2)}:{found.group(3)}"


def test_the_badge_and_the_support_line_follow_the_proposal_into_its_vote_and_result(
    app: Flask, client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    app.config["PROPOSAL_SUPPORT_PCT"] = 50
    chair = factory.admin("chair@example.org")
    for name in ("ana", "ben", "cy"):
        factory.member(f"{name}@example.org", admin=chair)
    auth.login("ana@example.org")
    created = post_form(
        client,
        "/governance/proposals/new",
        {"title": "Open a video fund", "body": "Set aside 2 % for video gear.", "publish": "1"},
    )
    proposal_url = created.headers["Location"]
    page = client.get(proposal_url).get_data(as_text=True)
    assert badge(page) == "info:open_for_support:Open for support"
    assert SUPPORT_CALL in page
    listing = client.get("/governance").get_data(as_text=True)
    assert '<span class="badge badge--info">Open for support</span>' in listing
    auth.logout()

    auth.login("ben@example.org")
    post_form(client, f"{proposal_url}/support", from_page=proposal_url)
    auth.logout()
    auth.login("cy@example.org")
    post_form(client, f"{proposal_url}/support", from_page=proposal_url)
    with app.app_context():
        proposal = db.session.scalars(sa.select(Proposal)).one()
        assert proposal.status == "in_vote"
        assert proposal.vote is not None
        vote_url = f"/governance/votes/{proposal.vote.id}"
    page = client.get(proposal_url).get_data(as_text=True)
    assert badge(page) == "warning:in_vote:In a vote"
    assert SUPPORT_CALL not in page
    assert "needed to go to a vote" not in page
    assert "2 members supported it." in page
    assert "The vote is open until" in page
    post_form(client, vote_url, {"choice": "yes"})
    vote_page = client.get(vote_url).get_data(as_text=True)
    assert "So far 1 of 3 members has voted" in vote_page

    end_vote(app)
    page = client.get(proposal_url).get_data(as_text=True)
    standing = badge(page)
    assert standing.split(":")[1] == "decided"
    assert standing.split(":")[2] in ("Passed", "Rejected", "No quorum")
    assert f"The vote closed: {standing.split(':')[2].lower()}." in page
    assert SUPPORT_CALL not in page
