"""Votes held, for the annual report and the results pages: frozen results only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.governance.models import Vote


@dataclass(frozen=True)
class VoteSummary:
    vote_id: int
    title: str
    kind: str  # "yes_no" | "election"
    opened_at: datetime
    closes_at: datetime
    eligible: int
    turnout: int
    quorum_reached: bool
    result: str  # "passed" | "rejected" | "no_quorum" | "elected"
    counts: dict[str, int]  # yes/no/abstain, or first preferences by candidate name
    elected: list[str]  # names elected (elections), else []


def candidate_names(vote: Vote) -> dict[int, str]:
    return {candidate.id: candidate.member.display_name for candidate in vote.candidates}


def summarise(vote: Vote) -> VoteSummary:
    """The closed vote's frozen result, in words a report can show."""
    outcome = vote.outcome or {}
    if vote.kind == "election":
        names = candidate_names(vote)
        first = outcome.get("first_preferences", {})
        counts = {names.get(int(cid), cid): int(n) for cid, n in first.items()}
        elected = [names.get(int(cid), str(cid)) for cid in outcome.get("elected", [])]
    else:
        counts = {choice: int(n) for choice, n in outcome.get("counts", {}).items()}
        elected = []
    return VoteSummary(
        vote_id=vote.id,
        title=vote.title,
        kind=vote.kind,
        opened_at=vote.opens_at,
        closes_at=vote.closes_at,
        eligible=vote.eligible_count or 0,
        turnout=vote.turnout or 0,
        quorum_reached=bool(vote.quorum_reached),
        result=vote.result or "",
        counts=counts,
        elected=elected,
    )


def votes_closed_in(session: Session, year: int) -> list[VoteSummary]:
    """Every vote that closed in ``year`` (UTC), in the order they closed."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    query = (
        sa.select(Vote)
        .where(Vote.status == "closed", Vote.closes_at >= start, Vote.closes_at < end)
        .order_by(Vote.closes_at, Vote.id)
    )
    return [summarise(vote) for vote in session.execute(query).scalars()]
