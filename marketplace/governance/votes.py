"""Votes: putting a proposal or an election to the members, opening and closing on schedule,
and counting once closed (results stay hidden until then)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.governance import ballots, counting, electorate, ranked
from marketplace.governance.models import Ballot, Candidate, Proposal, Vote
from marketplace.membership.models import Member, MemberClass, membership_of

MAX_VOTE_DAYS = 90
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoteTerms:
    """When a vote runs and what it takes to pass (checked by ``check_terms``)."""

    closes_at: datetime
    quorum_pct: int
    majority: str = "simple"
    opens_at: datetime | None = None


@dataclass(frozen=True)
class ElectionRequest:
    title: str
    member_class_code: str
    seats: int | None  # None: the class's board seats
    candidate_member_ids: list[int]
    terms: VoteTerms
    description: str = ""


def default_terms(now: datetime) -> VoteTerms:
    config = current_app.config
    return VoteTerms(
        closes_at=now + timedelta(days=int(config["VOTE_DEFAULT_DAYS"])),
        quorum_pct=int(config["VOTE_DEFAULT_QUORUM_PCT"]),
    )


def check_terms(terms: VoteTerms, now: datetime) -> datetime:
    """The opening time (now when not given), or InvalidInput naming what is wrong."""
    opens_at = terms.opens_at or now
    if terms.closes_at <= now or terms.closes_at <= opens_at:
        raise InvalidInput(
            gettext("The vote must close in the future, after it opens."),
            fields={"closes_at": gettext("A time after the opening time.")},
        )
    if terms.closes_at - opens_at > timedelta(days=MAX_VOTE_DAYS):
        raise InvalidInput(
            gettext("A vote can run for at most %(days)s days.", days=MAX_VOTE_DAYS),
            fields={"closes_at": gettext("Too far.")},
        )
    if not 0 <= terms.quorum_pct <= 100:
        raise InvalidInput(
            gettext("The quorum is a percentage from 0 to 100."),
            fields={"quorum_pct": gettext("0-100")},
        )
    if terms.majority not in counting.MAJORITIES:
        raise InvalidInput(
            gettext("The majority is 'simple' or 'two_thirds'."),
            fields={"majority": gettext("simple or two_thirds")},
        )
    return opens_at


def check_can_go_to_vote(proposal: Proposal) -> None:
    """Conflict unless the proposal is published and has not gone to a vote or been withdrawn.

    A vote shows the proposal to every member: putting a draft to one would publish it."""
    if proposal.status == "draft":
        raise Conflict(
            gettext("Only published proposals go to a vote: publish this draft first."),
            code="proposal_not_published",
        )
    if proposal.status in ("in_vote", "decided") or proposal.vote is not None:
        raise Conflict(gettext("This proposal has already gone to a vote."), code="already_in_vote")
    if proposal.status == "withdrawn":
        raise Conflict(gettext("This proposal was withdrawn."), code="proposal_withdrawn")


def open_for_proposal(
    session: Session, proposal: Proposal, terms: VoteTerms, created_by: User | None
) -> Vote:
    """Put a (locked) published proposal to a yes/no vote; Conflict when it cannot go to one."""
    check_can_go_to_vote(proposal)
    now = utcnow()
    opens_at = check_terms(terms, now)
    vote = Vote(
        kind="yes_no",
        title=proposal.title,
        proposal=proposal,
        opens_at=opens_at,
        closes_at=terms.closes_at,
        quorum_pct=terms.quorum_pct,
        majority=terms.majority,
        created_by_id=created_by.id if created_by else None,
        status="scheduled",
    )
    session.add(vote)
    proposal.status = "in_vote"
    session.flush()
    if opens_at <= now:
        _open(session, vote)
    return vote


def put_proposal_to_vote(admin: User, proposal_id: int, terms: VoteTerms) -> Vote:
    """An admin puts a published proposal to a vote. Another member's draft is as unknown to
    the admin as on every page (NotFound, as ``proposals.get_visible`` decides); their own
    draft is a Conflict until they publish it."""
    with unit_of_work() as session:
        proposal = lock_row(session, Proposal, proposal_id)
        own = membership_of(admin)
        if proposal is None or (
            proposal.status == "draft" and (own is None or own.id != proposal.author_id)
        ):
            raise NotFound(gettext("No such proposal."))
        return open_for_proposal(session, proposal, terms, admin)


def create_election(admin: User, request: ElectionRequest) -> Vote:
    """A ranked-choice election of ``seats`` directors by and among one class's members."""
    with unit_of_work() as session:
        member_class = session.execute(
            sa.select(MemberClass).where(MemberClass.code == request.member_class_code)
        ).scalar_one_or_none()
        if member_class is None:
            raise InvalidInput(
                gettext("No such member class."), fields={"member_class": gettext("Unknown class.")}
            )
        seats = member_class.board_seats if request.seats is None else request.seats
        if seats < 1:
            raise InvalidInput(
                gettext(
                    "An election fills at least one seat; the %(name)s class has %(board_seats)s "
                    "board seats.",
                    name=member_class.name,
                    board_seats=member_class.board_seats,
                ),
                fields={"seats": gettext("At least 1.")},
            )
        title = " ".join(request.title.split())
        if not title:
            raise InvalidInput(
                gettext("Give the election a title."), fields={"title": gettext("Required.")}
            )
        candidates = _candidates(session, member_class, request.candidate_member_ids)
        now = utcnow()
        opens_at = check_terms(request.terms, now)
        vote = Vote(
            kind="election",
            title=title,
            description_markdown=request.description,
            member_class=member_class,
            seats=seats,
            opens_at=opens_at,
            closes_at=request.terms.closes_at,
            quorum_pct=request.terms.quorum_pct,
            majority="simple",
            created_by_id=admin.id,
            status="scheduled",
            candidates=[Candidate(member_id=member.id) for member in candidates],
        )
        session.add(vote)
        session.flush()
        if opens_at <= now:
            _open(session, vote)
        return vote


def _candidates(session: Session, member_class: MemberClass, member_ids: list[int]) -> list[Member]:
    unique_ids = list(dict.fromkeys(member_ids))
    if not unique_ids:
        raise InvalidInput(
            gettext("An election needs candidates."), fields={"candidates": gettext("Required.")}
        )
    found = session.execute(sa.select(Member).where(Member.id.in_(unique_ids))).scalars().all()
    by_id = {member.id: member for member in found}
    for member_id in unique_ids:
        member = by_id.get(member_id)
        if member is None or member.status != "active":
            raise InvalidInput(
                gettext("Member %(member_id)s is not an active member.", member_id=member_id),
                fields={"candidates": gettext("Unknown.")},
            )
        if member.member_class_id != member_class.id:
            raise InvalidInput(
                gettext(
                    "%(name)s is not in the %(class_name)s class.",
                    name=member.display_name,
                    class_name=member_class.name,
                ),
                fields={"candidates": gettext("Candidates stand in their own class.")},
            )
    return [by_id[member_id] for member_id in unique_ids]


def _open(session: Session, vote: Vote) -> None:
    vote.status = "open"
    enqueue(session, "governance.notify_members", "vote_opened", vote.id)


def get_vote(session: Session, vote_id: int) -> Vote:
    vote = session.get(Vote, vote_id)
    if vote is None:
        raise NotFound(gettext("No such vote."))
    return vote


def close_if_due(vote_id: int) -> Vote:
    """The vote, closed and counted first if its closing time has passed (the beat task closes
    it too; whoever comes first counts, the other finds it closed)."""
    vote = get_vote(db.session(), vote_id)
    if vote.status != "closed" and utcnow() >= vote.closes_at:
        close(vote_id)
        vote = get_vote(db.session(), vote_id)
    elif vote.status == "scheduled" and utcnow() >= vote.opens_at:
        open_due()
        vote = get_vote(db.session(), vote_id)
    return vote


def close(vote_id: int) -> None:
    """Count a vote whose time is up, freeze the result, unlink ballots from voters (idempotent)."""
    with unit_of_work() as session:
        vote = lock_row(session, Vote, vote_id)
        if vote is None or vote.status == "closed" or utcnow() < vote.closes_at:
            return
        eligible = electorate.eligible_count(session, vote)
        rows = session.execute(
            sa.select(Ballot.choice, Ballot.ranking).where(Ballot.vote_id == vote.id)
        ).all()
        if vote.kind == "yes_no":
            _record_yes_no(vote, [choice for choice, _ in rows], eligible)
        else:
            _record_election(vote, [ranking for _, ranking in rows], eligible)
        vote.status = "closed"
        vote.closed_at = utcnow()
        if vote.proposal is not None:
            vote.proposal.status = "decided"
        ballots.forget_voters(session, vote.id)
        enqueue(session, "governance.notify_members", "vote_closed", vote.id)


def _record_yes_no(vote: Vote, choices: list[str | None], eligible: int) -> None:
    result = counting.count_yes_no(
        [choice for choice in choices if choice], eligible, vote.quorum_pct, vote.majority
    )
    vote.eligible_count, vote.turnout = result.eligible, result.turnout
    vote.quorum_reached, vote.result = result.quorum_reached, result.result
    vote.outcome = {"counts": dict(result.counts)}


def _record_election(vote: Vote, rankings: list[list[int] | None], eligible: int) -> None:
    cast = [ranking for ranking in rankings if ranking]
    turnout = len(cast)
    quorum_reached = counting.quorum_reached(turnout, eligible, vote.quorum_pct)
    counted = ranked.count_ranked(
        cast, [candidate.id for candidate in vote.candidates], vote.seats or 1, f"vote-{vote.id}"
    )
    vote.eligible_count, vote.turnout, vote.quorum_reached = eligible, turnout, quorum_reached
    vote.result = "elected" if quorum_reached else "no_quorum"
    vote.outcome = {
        "seats": counted.seats,
        "quota": ranked.votes_text(counted.quota),
        "valid_ballots": counted.valid_ballots,
        "elected": counted.elected if quorum_reached else [],
        "first_preferences": _first_preferences(cast),
        "rounds": [
            {
                "number": round_.number,
                "tallies": {str(cid): ranked.votes_text(v) for cid, v in round_.tallies.items()},
                "exhausted": ranked.votes_text(round_.exhausted),
                "elected": round_.elected,
                "eliminated": round_.eliminated,
                "note": round_.note,
            }
            for round_ in counted.rounds
        ],
    }


def _first_preferences(rankings: list[list[int]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ranking in rankings:
        counts[str(ranking[0])] = counts.get(str(ranking[0]), 0) + 1
    return counts


def open_due() -> int:
    """Open scheduled votes whose time has come; the number opened."""
    opened = 0
    with unit_of_work() as session:
        due = session.execute(
            sa.select(Vote.id).where(Vote.status == "scheduled", Vote.opens_at <= utcnow())
        ).scalars()
        for vote_id in list(due):
            vote = lock_row(session, Vote, vote_id)
            if vote is not None and vote.status == "scheduled":
                _open(session, vote)
                opened += 1
    return opened


def close_due() -> int:
    """Close and count every open vote past its closing time; the number closed. A vote whose
    count fails is logged and left for the next run; the others still close."""
    due = (
        db.session()
        .execute(sa.select(Vote.id).where(Vote.status != "closed", Vote.closes_at <= utcnow()))
        .scalars()
    )
    ids = list(due)
    # End the read: each vote is closed in a transaction of its own.
    db.session().rollback()
    closed = 0
    for vote_id in ids:
        try:
            close(vote_id)
        except Exception:
            log.exception("Could not close vote %s; the next run tries again.", vote_id)
        else:
            closed += 1
    return closed


def list_votes(session: Session, status: str | None = None) -> list[Vote]:
    query = sa.select(Vote).order_by(Vote.closes_at.desc(), Vote.id.desc())
    if status:
        query = query.where(Vote.status == status)
    return list(session.execute(query.limit(200)).scalars())


def live_turnout(session: Session, vote: Vote) -> dict[str, Any]:
    """Turnout while a vote is open: how many voted, of how many, and whether quorum is met.
    How they voted stays hidden until the close."""
    eligible = electorate.eligible_count(session, vote)
    voted = ballots.turnout(session, vote.id)
    return {
        "eligible": eligible,
        "turnout": voted,
        "quorum_reached": counting.quorum_reached(voted, eligible, vote.quorum_pct),
    }
