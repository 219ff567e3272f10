"""JSON shapes of proposals, votes and announcements, and reading a vote's terms from JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.api_support import rfc3339
from marketplace.errors import InvalidInput
from marketplace.governance import ballots, proposals, reports, votes
from marketplace.governance.models import Announcement, Proposal, Vote
from marketplace.membership.models import membership_of
from marketplace.whole_numbers import DB_INT_MAX


def parse_time(raw: Any, field: str) -> datetime:
    """An RFC 3339 time; one without a zone is taken as UTC."""
    if not isinstance(raw, str):
        raise InvalidInput(
            gettext("'%(field)s' is required: an RFC 3339 time.", field=field),
            fields={field: gettext("Required.")},
        )
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(
            gettext(
                "'%(field)s' must be an RFC 3339 time such as 2026-12-01T18:00:00Z.", field=field
            ),
            fields={field: gettext("Not a time.")},
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def whole_number(raw: Any, field: str, default: int | None = None) -> int:
    if raw is None and default is not None:
        return default
    # Stored in an integer column: a larger number would be the database's error, a 500.
    if isinstance(raw, bool) or not isinstance(raw, int) or abs(raw) > DB_INT_MAX:
        raise InvalidInput(
            gettext(
                "'%(field)s' must be a whole number (at most %(largest)s).",
                field=field,
                largest=DB_INT_MAX,
            ),
            fields={field: gettext("Invalid.")},
        )
    return raw


def vote_terms(body: dict[str, Any], default_quorum_pct: int) -> votes.VoteTerms:
    majority = body.get("majority", "simple")
    if not isinstance(majority, str):
        raise InvalidInput(
            gettext("'majority' is 'simple' or 'two_thirds'."),
            fields={"majority": gettext("Invalid.")},
        )
    opens_raw = body.get("opens_at")
    return votes.VoteTerms(
        closes_at=parse_time(body.get("closes_at"), "closes_at"),
        quorum_pct=whole_number(body.get("quorum_pct"), "quorum_pct", default_quorum_pct),
        majority=majority,
        opens_at=parse_time(opens_raw, "opens_at") if opens_raw is not None else None,
    )


def proposal_json(session: Session, proposal: Proposal, user: User | None) -> dict[str, Any]:
    member = membership_of(user) if user is not None else None
    member_id = member.id if member is not None else None
    return {
        "id": proposal.id,
        "title": proposal.title,
        "body": proposal.body_markdown,
        "status": proposal.status,
        "author": {"member_id": proposal.author_id, "name": proposal.author.display_name},
        "supporters": proposals.supporter_count(session, proposal.id),
        "supporters_needed": proposals.support_needed(session),
        "you_support": bool(member_id and proposals.supports(session, proposal.id, member_id)),
        "vote_id": proposal.vote.id if proposal.vote is not None else None,
        "created_at": rfc3339(proposal.created_at),
        "published_at": rfc3339(proposal.published_at),
    }


def vote_json(session: Session, vote: Vote, user: User | None) -> dict[str, Any]:
    """A vote; counts and result appear only once it has closed."""
    closed = vote.status == "closed"
    names = reports.candidate_names(vote)
    body: dict[str, Any] = {
        "id": vote.id,
        "kind": vote.kind,
        "title": vote.title,
        "status": vote.status,
        "proposal_id": vote.proposal_id,
        "opens_at": rfc3339(vote.opens_at),
        "closes_at": rfc3339(vote.closes_at),
        "quorum_pct": vote.quorum_pct,
        "majority": vote.majority,
        "result": vote.result if closed else None,
        "counts": None,
    }
    if closed:
        body.update(eligible=vote.eligible_count, turnout=vote.turnout)
        body["quorum_reached"] = vote.quorum_reached
    else:
        body.update(votes.live_turnout(session, vote))
    if vote.kind == "yes_no" and closed:
        body["counts"] = dict((vote.outcome or {}).get("counts", {}))
    if vote.kind == "election":
        body["seats"] = vote.seats
        body["member_class"] = vote.member_class.code if vote.member_class else None
        body["candidates"] = [
            {"id": cid, "member_id": c.member_id, "name": names[cid]}
            for cid, c in ((c.id, c) for c in vote.candidates)
        ]
        if closed:
            outcome = vote.outcome or {}
            body["counts"] = {
                names.get(int(k), k): v for k, v in outcome["first_preferences"].items()
            }
            body["elected"] = [
                {"id": cid, "name": names.get(cid, "")} for cid in outcome["elected"]
            ]
            body["quota"] = outcome["quota"]
            body["rounds"] = outcome["rounds"]
    member = membership_of(user) if user is not None else None
    body["you_voted"] = bool(member and ballots.has_voted(session, vote.id, member.id))
    return body


def announcement_json(announcement: Announcement) -> dict[str, Any]:
    return {
        "id": announcement.id,
        "title": announcement.title,
        "body": announcement.body_markdown,
        "author": announcement.author.display_name,
        "created_at": rfc3339(announcement.created_at),
        "emailed_to": announcement.emailed_count,
    }
