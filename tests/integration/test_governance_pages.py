"""Governance through the pages, as members and admins click it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.governance.models import Proposal, Vote
from tests.fixtures.factories import Factory
from tests.fixtures.governance import end_vote
from tests.fixtures.web import AuthActions, post_form


def test_propose_support_vote_and_see_the_result_through_the_pages(
    app: Flask, client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    chair = factory.admin("chair@example.org")
    for name in ("ana", "ben", "cy"):
        factory.member(f"{name}@example.org", admin=chair)

    auth.login("ana@example.org")
    assert "Governance" in client.get("/").get_data(as_text=True)
    created = post_form(
        client,
        "/governance/proposals/new",
        {
            "title": "Open a video fund",
            "body": "Set aside **2 %** for video gear.\n\n<script>alert('x')</script>",
            "publish": "1",
        },
    )
    assert created.status_code == 302
    proposal_url = created.headers["Location"]
    page = client.get(proposal_url).get_data(as_text=True)
    assert "<strong>2 %</strong>" in page
    assert "<script>alert" not in page
    assert "&lt;script&gt;" in page
    commented = post_form(
        client, f"{proposal_url}/comments", {"body": "Happy to discuss."}, from_page=proposal_url
    )
    assert commented.status_code == 302
    assert "Happy to discuss." in client.get(proposal_url).get_data(as_text=True)
    auth.logout()

    auth.login("ben@example.org")
    supported = post_form(client, f"{proposal_url}/support", from_page=proposal_url)
    assert supported.status_code == 302
    with app.app_context():
        proposal = db.session.scalars(sa.select(Proposal)).one()
        assert proposal.status == "in_vote"
        assert proposal.vote is not None
        vote_id = proposal.vote.id
    vote_url = f"/governance/votes/{vote_id}"
    assert "Cast my vote" in client.get(vote_url).get_data(as_text=True)
    cast = post_form(client, vote_url, {"choice": "yes"})
    assert cast.status_code == 302
    after = client.get(vote_url).get_data(as_text=True)
    assert "You have voted" in after
    assert "Change my vote" in after
    refused = post_form(client, vote_url, {"choice": "perhaps"})
    assert refused.status_code == 422
    auth.logout()

    auth.login("cy@example.org")
    assert post_form(client, vote_url, {"choice": "no"}).status_code == 302
    auth.logout()

    end_vote(app, vote_id)
    auth.login("ana@example.org")
    result = client.get(vote_url).get_data(as_text=True)
    assert "Result:" in result
    assert "Quorum of 20 % reached" in result
    assert 'data-count="yes">1<' in result
    assert 'data-count="no">1<' in result
    assert "Rejected" in result  # a tie fails under a simple majority


def test_admins_call_an_election_and_members_rank_candidates(
    app: Flask, client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.admin("chair@example.org")
    people = [factory.member(f"m{i}@example.org") for i in range(3)]
    auth.login("chair@example.org")
    assert client.get("/admin/governance").status_code == 200
    form = client.get("/admin/governance/elections/new").get_data(as_text=True)
    assert "Call a board election" in form
    closes = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    created = post_form(
        client,
        "/admin/governance/elections/new",
        {
            "title": "Artist seat",
            "member_class": "artists",
            "seats": "1",
            "candidates": [str(people[0].member.id), str(people[1].member.id)],
            "closes_at": closes,
            "quorum_pct": "0",
        },
    )
    assert created.status_code == 302, created.get_data(as_text=True)
    vote_url = created.headers["Location"]
    auth.logout()

    with app.app_context():
        vote = db.session.scalars(sa.select(Vote)).one()
        first, second = (candidate.id for candidate in vote.candidates)
    for person, ranking in zip(people, ([second, first], [second], [first, second]), strict=True):
        auth.login(person.email)
        ballot = {f"rank_{i + 1}": str(cid) for i, cid in enumerate(ranking)}
        assert post_form(client, vote_url, ballot).status_code == 302
        auth.logout()
    auth.login(people[0].email)
    repeated = post_form(client, vote_url, {"rank_1": str(first), "rank_2": str(first)})
    assert repeated.status_code == 422

    end_vote(app, vote.id)
    page = client.get(vote_url).get_data(as_text=True)
    assert "Seats filled" in page
    assert "Round 1" in page
    assert f"Elected: <strong>{people[1].display_name}</strong>" in page


def test_admins_post_announcements_and_put_proposals_to_a_vote(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    factory.admin("chair@example.org")
    member = factory.member("ana@example.org")
    auth.login(member.email)
    draft = post_form(
        client,
        "/governance/proposals/new",
        {"title": "Board dividend policy", "body": "Keep 10 % in reserves.", "save_draft": "1"},
    )
    proposal_url = draft.headers["Location"]
    assert "Edit or publish" in client.get(proposal_url).get_data(as_text=True)
    published = post_form(
        client,
        f"{proposal_url}/edit",
        {"title": "Board dividend policy", "body": "Keep 10 % in reserves.", "publish": "1"},
    )
    assert published.status_code == 302
    assert client.get("/admin/governance").status_code == 403
    auth.logout()

    auth.login("chair@example.org")
    posted = post_form(
        client,
        "/admin/governance/announcements/new",
        {"title": "AGM in December", "body": "See you *there*."},
    )
    assert posted.status_code == 302
    assert "<em>there</em>" in client.get(posted.headers["Location"]).get_data(as_text=True)
    proposal_id = proposal_url.rsplit("/", 1)[1]
    closes = (datetime.now(UTC) + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    opened = post_form(
        client,
        f"/admin/governance/proposals/{proposal_id}/vote",
        {"closes_at": closes, "quorum_pct": "25", "majority": "two_thirds"},
        from_page=f"/admin/governance/proposals/{proposal_id}/vote",
    )
    assert opened.status_code == 302, opened.get_data(as_text=True)
    assert "two thirds" in client.get(opened.headers["Location"]).get_data(as_text=True)


def test_governance_is_for_members_and_admins(
    client: FlaskClient, auth: AuthActions, factory: Factory
) -> None:
    assert client.get("/governance").status_code == 302
    factory.buyer("bea@example.org")
    auth.login("bea@example.org")
    assert client.get("/governance").status_code == 403
