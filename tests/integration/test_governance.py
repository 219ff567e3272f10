"""Member governance through the API: proposals and support, yes/no votes with secret ballots,
ranked-choice elections, announcements, and the schedule that opens and closes votes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from marketplace.governance import votes
from marketplace.governance.models import Ballot, Vote, VoteParticipation
from tests.fixtures.factories import Factory
from tests.fixtures.governance import end_vote
from tests.fixtures.mail import SmtpSink
from tests.fixtures.web import api_token

Headers = dict[str, str]


def _later(hours: int = 24) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def admin(client: FlaskClient, factory: Factory) -> Headers:
    return api_token(client, factory.admin("chair@example.org").email)


@pytest.fixture
def artists(client: FlaskClient, factory: Factory) -> list[Headers]:
    """Five active artists: a proposal needs one supporter (10 %, rounded up)."""
    chair = factory.admin("board@example.org")
    return [
        api_token(client, factory.member(f"artist{i}@example.org", admin=chair).email)
        for i in range(5)
    ]


def _propose(client: FlaskClient, who: Headers, **extra: object) -> dict:
    created = client.post(
        "/api/v1/proposals",
        headers=who,
        json={"title": "Raise the artists' royalty", "body": "From 50 % to *55 %*.", **extra},
    )
    assert created.status_code == 201, created.get_json()
    return created.get_json()


def _put_to_vote(client: FlaskClient, admin: Headers, proposal_id: int, **terms: object) -> int:
    body = {"closes_at": _later(), "quorum_pct": 50, "majority": "simple", **terms}
    opened = client.post(f"/api/v1/admin/proposals/{proposal_id}/vote", headers=admin, json=body)
    assert opened.status_code == 201, opened.get_json()
    return int(opened.get_json()["vote_id"])


def test_a_member_proposes_and_enough_support_opens_a_vote(
    client: FlaskClient, artists: list[Headers], smtp_sink: SmtpSink
) -> None:
    proposal = _propose(client, artists[0])
    assert proposal["status"] == "open_for_support"
    assert proposal["supporters"] == 0
    assert proposal["supporters_needed"] == 1

    supported = client.post(f"/api/v1/proposals/{proposal['id']}/support", headers=artists[1])
    assert supported.status_code == 200
    body = supported.get_json()
    assert body["status"] == "in_vote"
    assert body["supporters"] == 1
    again = client.post(f"/api/v1/proposals/{proposal['id']}/support", headers=artists[1])
    assert again.status_code == 409

    vote = client.get(f"/api/v1/votes/{body['vote_id']}", headers=artists[2]).get_json()
    assert vote["status"] == "open"
    assert vote["counts"] is None
    assert vote["result"] is None
    assert smtp_sink.wait_for("artist3@example.org", "Vote is open")


def test_a_draft_is_private_until_published(client: FlaskClient, artists: list[Headers]) -> None:
    draft = _propose(client, artists[0], draft=True)
    assert draft["status"] == "draft"
    assert client.get(f"/api/v1/proposals/{draft['id']}", headers=artists[1]).status_code == 404
    assert (
        client.post(f"/api/v1/proposals/{draft['id']}/support", headers=artists[1]).status_code
        == 404
    )
    published = client.patch(
        f"/api/v1/proposals/{draft['id']}",
        headers=artists[0],
        json={"title": "Better title", "body": "Words", "draft": False},
    )
    assert published.status_code == 200
    assert published.get_json()["status"] == "open_for_support"
    changed = client.patch(
        f"/api/v1/proposals/{draft['id']}", headers=artists[0], json={"title": "x", "body": "y"}
    )
    assert changed.status_code == 409


def test_buyers_cannot_propose_support_or_vote(
    client: FlaskClient, factory: Factory, artists: list[Headers], admin: Headers
) -> None:
    buyer = api_token(client, factory.buyer("bea@example.org").email)
    assert (
        client.post(
            "/api/v1/proposals", headers=buyer, json={"title": "t", "body": "b"}
        ).status_code
        == 403
    )
    proposal = _propose(client, artists[0])
    assert (
        client.post(f"/api/v1/proposals/{proposal['id']}/support", headers=buyer).status_code == 403
    )
    vote_id = _put_to_vote(client, admin, proposal["id"])
    ballot = client.post(f"/api/v1/votes/{vote_id}/ballot", headers=buyer, json={"choice": "yes"})
    assert ballot.status_code == 403
    assert ballot.get_json()["error"]["code"] == "member_required"
    assert client.get(f"/api/v1/votes/{vote_id}", headers=buyer).status_code == 403


def test_one_member_one_vote_changed_until_close_then_counted(
    app: Flask, client: FlaskClient, artists: list[Headers], admin: Headers, smtp_sink: SmtpSink
) -> None:
    proposal = _propose(client, artists[0])
    vote_id = _put_to_vote(client, admin, proposal["id"], quorum_pct=60)
    cast = [("yes", 0), ("no", 1), ("yes", 2), ("abstain", 3)]
    for choice, who in cast:
        answer = client.post(
            f"/api/v1/votes/{vote_id}/ballot", headers=artists[who], json={"choice": choice}
        )
        assert answer.status_code == 200
        assert answer.get_json()["replaced"] is False
    changed = client.post(
        f"/api/v1/votes/{vote_id}/ballot", headers=artists[1], json={"choice": "yes"}
    )
    assert changed.get_json()["replaced"] is True
    bad = client.post(
        f"/api/v1/votes/{vote_id}/ballot", headers=artists[4], json={"choice": "maybe"}
    )
    assert bad.status_code == 422

    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == 4
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VoteParticipation)) == 4
    live = client.get(f"/api/v1/votes/{vote_id}", headers=artists[0]).get_json()
    assert live["turnout"] == 4
    assert live["counts"] is None
    assert live["you_voted"] is True

    end_vote(app, vote_id)
    closed = client.get(f"/api/v1/votes/{vote_id}", headers=artists[0]).get_json()
    assert closed["status"] == "closed"
    assert closed["counts"] == {"yes": 3, "no": 0, "abstain": 1}
    assert (closed["turnout"], closed["eligible"], closed["quorum_reached"]) == (4, 5, True)
    assert closed["result"] == "passed"
    late = client.post(f"/api/v1/votes/{vote_id}/ballot", headers=artists[4], json={"choice": "no"})
    assert late.status_code == 409
    assert late.get_json()["error"]["code"] == "vote_closed"
    assert (
        client.get(f"/api/v1/proposals/{proposal['id']}", headers=artists[0]).get_json()["status"]
        == "decided"
    )
    assert smtp_sink.wait_for("artist4@example.org", "Vote has closed")


def test_the_ballot_table_cannot_name_a_voter(
    app: Flask, client: FlaskClient, artists: list[Headers], admin: Headers
) -> None:
    with app.app_context():
        columns = {column["name"] for column in sa.inspect(db.engine).get_columns("ballots")}
        keys = sa.inspect(db.engine).get_foreign_keys("ballots")
    assert columns == {"id", "vote_id", "replace_key", "choice", "ranking"}
    assert [key["referred_table"] for key in keys] == ["votes"]

    vote_id = _put_to_vote(client, admin, _propose(client, artists[0])["id"])
    for who in artists[:3]:
        client.post(f"/api/v1/votes/{vote_id}/ballot", headers=who, json={"choice": "no"})
    with app.app_context():
        before = set(db.session.scalars(sa.select(Ballot.id)))
        assert all(db.session.scalars(sa.select(Ballot.replace_key)))
    end_vote(app, vote_id)
    client.get(f"/api/v1/votes/{vote_id}", headers=artists[0])
    with app.app_context():
        rows = db.session.execute(sa.select(Ballot.id, Ballot.replace_key, Ballot.choice)).all()
    assert [key for _, key, _ in rows] == [None, None, None]
    assert {choice for _, _, choice in rows} == {"no"}
    assert not before & {ballot_id for ballot_id, _, _ in rows}, "ballots keep no old id"


def test_no_quorum_and_two_thirds(
    app: Flask, client: FlaskClient, artists: list[Headers], admin: Headers
) -> None:
    first = _put_to_vote(client, admin, _propose(client, artists[0])["id"], quorum_pct=50)
    client.post(f"/api/v1/votes/{first}/ballot", headers=artists[0], json={"choice": "yes"})
    client.post(f"/api/v1/votes/{first}/ballot", headers=artists[1], json={"choice": "yes"})
    end_vote(app, first)
    missed = client.get(f"/api/v1/votes/{first}", headers=admin).get_json()
    assert (missed["quorum_reached"], missed["result"]) == (False, "no_quorum")

    second = _put_to_vote(
        client, admin, _propose(client, artists[1])["id"], quorum_pct=50, majority="two_thirds"
    )
    for who, choice in enumerate(["yes", "yes", "no"]):
        client.post(f"/api/v1/votes/{second}/ballot", headers=artists[who], json={"choice": choice})
    end_vote(app, second)
    assert client.get(f"/api/v1/votes/{second}", headers=admin).get_json()["result"] == "passed"


def test_a_ranked_choice_election_shows_its_rounds(
    app: Flask, client: FlaskClient, factory: Factory, artists: list[Headers], admin: Headers
) -> None:
    with app.app_context():
        from marketplace.membership.models import Member

        members = list(db.session.scalars(sa.select(Member).order_by(Member.id)))
    ids = [member.id for member in members]
    created = client.post(
        "/api/v1/admin/elections",
        headers=admin,
        json={
            "title": "Artist seats 2026",
            "member_class": "artists",
            "candidates": ids[:3],
            "closes_at": _later(),
            "quorum_pct": 20,
        },
    )
    assert created.status_code == 201, created.get_json()
    election = created.get_json()
    assert election["seats"] == 2, "the artists' board seats, from the member class"
    candidate = [c["id"] for c in election["candidates"]]
    wrong = client.post(
        f"/api/v1/votes/{election['id']}/ballot", headers=artists[0], json={"choice": "yes"}
    )
    assert wrong.status_code == 422
    rankings = [[candidate[0]], [candidate[0], candidate[1]], [candidate[0], candidate[2]],
                [candidate[1]], [candidate[2], candidate[1]]]  # fmt: skip
    for who, ranking in zip(artists, rankings, strict=True):
        answer = client.post(
            f"/api/v1/votes/{election['id']}/ballot", headers=who, json={"ranking": ranking}
        )
        assert answer.status_code == 200, answer.get_json()
    end_vote(app, election["id"])
    result = client.get(f"/api/v1/votes/{election['id']}", headers=admin).get_json()
    assert result["result"] == "elected"
    assert result["quota"] == "2"  # Droop: floor(5 / 3) + 1
    assert [e["id"] for e in result["elected"]][0] == candidate[0]
    assert len(result["elected"]) == 2
    assert len(result["rounds"]) >= 2


def test_an_election_is_for_its_class_only(
    client: FlaskClient, factory: Factory, artists: list[Headers], admin: Headers
) -> None:
    founder_user = factory.member("founder@example.org", member_class="founders")
    founder = api_token(client, founder_user.email)
    created = client.post(
        "/api/v1/admin/elections",
        headers=admin,
        json={
            "title": "Founder seat",
            "member_class": "founders",
            "seats": 1,
            "candidates": [founder_user.member.id],
            "closes_at": _later(),
        },  # fmt: skip
    )
    assert created.status_code == 201, created.get_json()
    vote_id = created.get_json()["id"]
    ranking = {"ranking": [created.get_json()["candidates"][0]["id"]]}
    refused = client.post(f"/api/v1/votes/{vote_id}/ballot", headers=artists[0], json=ranking)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "not_in_electorate"
    assert (
        client.post(f"/api/v1/votes/{vote_id}/ballot", headers=founder, json=ranking).status_code
        == 200
    )
    wrong_class = client.post(
        "/api/v1/admin/elections",
        headers=admin,
        json={
            "title": "x",
            "member_class": "founders",
            "seats": 1,
            "candidates": [1],
            "closes_at": _later(),
        },  # fmt: skip
    )
    assert wrong_class.status_code == 422


def test_bad_vote_terms_are_refused_clearly(
    client: FlaskClient, artists: list[Headers], admin: Headers
) -> None:
    proposal = _propose(client, artists[0])
    path = f"/api/v1/admin/proposals/{proposal['id']}/vote"
    for body in (
        {"closes_at": "tomorrow"},
        {"closes_at": "2001-01-01T00:00:00Z"},
        {"closes_at": _later(), "quorum_pct": 150},
        {"closes_at": _later(), "majority": "most"},
        {},
    ):
        answer = client.post(path, headers=admin, json=body)
        assert answer.status_code == 422, body
        assert answer.get_json()["error"]["message"]
    assert client.post(path, headers=artists[0], json={"closes_at": _later()}).status_code == 403
    _put_to_vote(client, admin, proposal["id"])
    assert client.post(path, headers=admin, json={"closes_at": _later()}).status_code == 409


def test_the_schedule_opens_and_closes_votes(
    app: Flask, client: FlaskClient, artists: list[Headers], admin: Headers
) -> None:
    proposal = _propose(client, artists[0])
    soon = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    vote_id = _put_to_vote(client, admin, proposal["id"], opens_at=soon, closes_at=_later(30))
    early = client.post(
        f"/api/v1/votes/{vote_id}/ballot", headers=artists[0], json={"choice": "yes"}
    )
    assert early.status_code == 409
    assert early.get_json()["error"]["code"] == "vote_not_open"
    with app.app_context():
        past = datetime.now(UTC) - timedelta(minutes=1)
        db.session.execute(sa.update(Vote).where(Vote.id == vote_id).values(opens_at=past))
        db.session.commit()
        assert votes.open_due() == 1
        assert votes.close_due() == 0
    assert (
        client.post(
            f"/api/v1/votes/{vote_id}/ballot", headers=artists[0], json={"choice": "yes"}
        ).status_code
        == 200
    )
    end_vote(app, vote_id)
    with app.app_context():
        assert votes.close_due() == 1
        assert votes.close_due() == 0
        assert db.session.get(Vote, vote_id).result == "no_quorum"


def test_announcements_reach_every_member(
    client: FlaskClient, artists: list[Headers], admin: Headers, smtp_sink: SmtpSink
) -> None:
    posted = client.post(
        "/api/v1/admin/announcements",
        headers=admin,
        json={"title": "General meeting on 12 December", "body": "Agenda: **dividends**."},
    )
    assert posted.status_code == 201
    assert (
        client.post(
            "/api/v1/admin/announcements", headers=artists[0], json={"title": "t", "body": "b"}
        ).status_code
        == 403
    )
    for i in range(5):
        assert smtp_sink.wait_for(f"artist{i}@example.org", "General meeting")
    listed = client.get("/api/v1/announcements", headers=artists[0]).get_json()["results"]
    assert listed[0]["title"] == "General meeting on 12 December"
    assert listed[0]["emailed_to"] == 5


def test_a_changed_ballot_key_keeps_the_earlier_ballot(
    app: Flask, client: FlaskClient, artists: list[Headers], admin: Headers
) -> None:
    vote_id = _put_to_vote(client, admin, _propose(client, artists[0])["id"])
    path = f"/api/v1/votes/{vote_id}/ballot"
    assert client.post(path, headers=artists[1], json={"choice": "yes"}).status_code == 200
    app.config["BALLOT_KEY"] = "rotated-by-mistake"
    again = client.post(path, headers=artists[1], json={"choice": "no"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "ballot_locked"
    with app.app_context():
        assert db.session.scalars(sa.select(Ballot.choice)).all() == ["yes"]


def test_a_vote_whose_count_fails_does_not_keep_others_open(
    app: Flask,
    client: FlaskClient,
    artists: list[Headers],
    admin: Headers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broken = _put_to_vote(client, admin, _propose(client, artists[0])["id"])
    fine = _put_to_vote(client, admin, _propose(client, artists[1])["id"])
    end_vote(app)
    record = votes._record_yes_no

    def failing_for_one(vote: Vote, choices: list[str | None], eligible: int) -> None:
        if vote.id == broken:
            raise RuntimeError("a count that fails")
        record(vote, choices, eligible)

    monkeypatch.setattr(votes, "_record_yes_no", failing_for_one)
    with app.app_context():
        assert votes.close_due() == 1
        statuses = dict(db.session.execute(sa.select(Vote.id, Vote.status)).all())
    assert statuses == {broken: "open", fine: "closed"}
    monkeypatch.setattr(votes, "_record_yes_no", record)
    with app.app_context():
        assert votes.close_due() == 1
