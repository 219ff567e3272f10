"""Casting a ballot in secret, and changing it until the vote closes.

``vote_participations`` records that a member voted. The ballot itself is found again only through
``replace_key``, an HMAC of (vote, member) under a key that is not in the database, and that
column is emptied when the vote closes: from then on nothing links a ballot to anyone.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.governance import counting, electorate
from marketplace.governance.models import Ballot, Vote, VoteParticipation


def _ballot_key() -> bytes:
    configured = current_app.config.get("BALLOT_KEY")
    if configured:
        return str(configured).encode()
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, b"marketplace ballot key", hashlib.sha256).digest()


def replace_key(vote_id: int, member_id: int) -> str:
    message = f"{vote_id}:{member_id}".encode()
    return hmac.new(_ballot_key(), message, hashlib.sha256).hexdigest()


def _clean_choice(vote: Vote, body: dict[str, Any]) -> tuple[str | None, list[int] | None]:
    if vote.kind == "yes_no":
        choice = body.get("choice")
        if choice not in counting.CHOICES:
            raise InvalidInput(
                gettext("Choose yes, no or abstain."),
                fields={"choice": gettext("One of yes, no, abstain.")},
            )
        return str(choice), None
    return None, _clean_ranking(vote, body.get("ranking"))


def _clean_ranking(vote: Vote, ranking: Any) -> list[int]:
    standing = {candidate.id for candidate in vote.candidates}
    if not isinstance(ranking, Sequence) or isinstance(ranking, str) or not ranking:
        raise InvalidInput(
            gettext("Rank at least one candidate, your first choice first."),
            fields={"ranking": gettext("A list of candidate ids, most preferred first.")},
        )
    cleaned: list[int] = []
    for item in ranking:
        if isinstance(item, bool) or not isinstance(item, int) or item not in standing:
            raise InvalidInput(
                gettext("%(item)s is not a candidate in this election.", item=repr(item)),
                fields={"ranking": gettext("Only this election's candidate ids.")},
            )
        if item in cleaned:
            raise InvalidInput(
                gettext("Rank each candidate at most once."),
                fields={"ranking": gettext("Repeated candidate.")},
            )
        cleaned.append(item)
    return cleaned


def cast(user: User, vote_id: int, body: dict[str, Any]) -> bool:
    """Record the member's ballot, replacing their earlier one. True when it replaced one."""
    member = electorate.active_member(user)
    with unit_of_work() as session:
        # Ballots of one vote queue up behind the vote's row, so closing never counts half a
        # replacement, and a ballot never lands after the count.
        vote = lock_row(session, Vote, vote_id)
        if vote is None:
            raise NotFound(gettext("No such vote."))
        _check_open(vote)
        electorate.check_may_vote(vote, member)
        choice, ranking = _clean_choice(vote, body)
        key = replace_key(vote.id, member.id)
        ballot = session.execute(
            sa.select(Ballot).where(Ballot.replace_key == key)
        ).scalar_one_or_none()
        replaced = ballot is not None
        if ballot is None and has_voted(session, vote.id, member.id):
            # Only when the ballot key changed mid-vote: the earlier ballot stands, unfindable.
            raise Conflict(
                gettext(
                    "Your ballot is recorded but can no longer be changed (the ballot key changed)."
                ),
                code="ballot_locked",
            )
        if ballot is None:
            ballot = Ballot(id=secrets.token_hex(16), vote_id=vote.id, replace_key=key)
            session.add(ballot)
            session.add(VoteParticipation(vote_id=vote.id, member_id=member.id))
        ballot.choice, ballot.ranking = choice, ranking
    return replaced


def _check_open(vote: Vote) -> None:
    now = utcnow()
    if vote.status == "closed" or now >= vote.closes_at:
        raise Conflict(
            gettext("This vote has closed; ballots are no longer accepted."), code="vote_closed"
        )
    if vote.status == "scheduled" or now < vote.opens_at:
        raise Conflict(gettext("This vote has not opened yet."), code="vote_not_open")


def has_voted(session: Session, vote_id: int, member_id: int) -> bool:
    found = session.get(VoteParticipation, (vote_id, member_id))
    return found is not None


def turnout(session: Session, vote_id: int) -> int:
    query = sa.select(sa.func.count()).where(VoteParticipation.vote_id == vote_id)
    return int(session.execute(query).scalar_one())


def forget_voters(session: Session, vote_id: int) -> None:
    """Cut the last links between ballots and members, at closing.

    The keyed hash goes, and the ballots are written again in random order under new random ids:
    where rows sit on disk (insertion order) no longer follows the order members voted in.
    """
    rows = session.execute(
        sa.select(Ballot.choice, Ballot.ranking).where(Ballot.vote_id == vote_id)
    ).all()
    session.execute(sa.delete(Ballot).where(Ballot.vote_id == vote_id))
    shuffled = list(rows)
    secrets.SystemRandom().shuffle(shuffled)
    if shuffled:
        session.execute(
            sa.insert(Ballot),
            [
                {
                    "id": secrets.token_hex(16),
                    "vote_id": vote_id,
                    "replace_key": None,
                    "choice": choice,
                    "ranking": ranking,
                }
                for choice, ranking in shuffled
            ],
        )
