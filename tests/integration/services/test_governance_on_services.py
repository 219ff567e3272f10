"""Governance on PostgreSQL with the real worker: racing ballots and supports, and the beat task
closing a vote and emailing the members."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.accounts.models import User
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.governance import ballots, proposals, votes
from marketplace.governance.models import Ballot, Proposal, Vote, VoteParticipation
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.governance import end_vote
from tests.fixtures.mail import SmtpSink

pytestmark = pytest.mark.services


def _at_once(app: Flask, actions: list[Callable[[], object]]) -> list[object]:
    """Run the actions in threads released together; each result or the AppError raised."""
    start = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        with app.app_context():
            start.wait()
            try:
                results[index] = action()
            except AppError as error:
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def _members(count: int) -> list[User]:
    chair = Factory().admin(unique_email("chair"))
    return [Factory().member(unique_email("artist"), admin=chair) for _ in range(count)]


def _user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    assert user is not None
    return user


def test_racing_ballots_and_supports_count_once(services_app: Flask) -> None:
    people = [person.id for person in _members(6)]
    # The database is shared with other tests' members: 1 % of its artists is a small number
    # of supporters (1 while it holds fewer than 100 artists), whatever it is.
    services_app.config["PROPOSAL_SUPPORT_PCT"] = 1
    proposal = proposals.create(_user(people[0]), proposals.ProposalDraft("Race", "Body"))
    proposal_id = proposal.id
    needed = proposals.support_needed(db.session())
    assert needed <= 4
    outcomes = _at_once(
        services_app,
        [lambda uid=uid: proposals.support(_user(uid), proposal_id) for uid in people[1:]],
    )
    # Exactly the supports that reach the threshold count; the rest find the vote opened.
    refused = [o for o in outcomes if isinstance(o, AppError)]
    assert len(refused) == 5 - needed
    assert {error.code for error in refused} <= {"not_open"}
    db.session.remove()
    votes_made = db.session.scalars(sa.select(Vote).where(Vote.proposal_id == proposal_id)).all()
    assert len(votes_made) == 1
    assert db.session.get(Proposal, proposal_id).status == "in_vote"  # type: ignore[union-attr]
    vote_id = votes_made[0].id

    choices = ["yes", "no", "abstain", "yes", "no", "yes", "yes", "no"]
    same_member = [
        lambda c=c: ballots.cast(_user(people[1]), vote_id, {"choice": c}) for c in choices
    ]
    _at_once(services_app, same_member)
    db.session.remove()
    participations = db.session.scalar(
        sa.select(sa.func.count()).where(VoteParticipation.vote_id == vote_id)
    )
    assert participations == 1
    assert db.session.scalar(sa.select(sa.func.count()).where(Ballot.vote_id == vote_id)) == 1


def test_the_beat_task_closes_a_vote_and_tells_the_members(
    services_app: Flask, smtp_sink: SmtpSink
) -> None:
    people = _members(3)
    emails = [person.email for person in people]
    proposal = proposals.create(people[0], proposals.ProposalDraft("Beat", "Close me"))
    admin = Factory().admin(unique_email("admin"))
    # No quorum: the shared database holds other tests' members too.
    terms = votes.VoteTerms(datetime.now(UTC) + timedelta(hours=1), quorum_pct=0)
    vote_id = votes.put_proposal_to_vote(admin, proposal.id, terms).id
    for person, choice in zip(people, ["yes", "yes", "no"], strict=True):
        ballots.cast(person, vote_id, {"choice": choice})
    end_vote(services_app, vote_id)

    services_app.extensions["celery"].send_task("governance.open_and_close_votes")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        db.session.remove()
        vote = db.session.get(Vote, vote_id)
        if vote is not None and vote.status == "closed":
            break
        time.sleep(0.2)
    assert vote is not None
    assert vote.status == "closed"
    assert (vote.result, vote.turnout, vote.outcome) == (
        "passed",
        3,
        {"counts": {"yes": 2, "no": 1, "abstain": 0}},
    )
    assert (
        db.session.scalars(sa.select(Ballot.replace_key).where(Ballot.vote_id == vote_id)).all()
        == [None] * 3
    )
    assert smtp_sink.wait_for(emails[2], "Vote has closed")
