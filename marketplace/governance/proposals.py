"""Proposals: drafted by a member, discussed in comments, supported by others, and put to a
vote by themselves once enough members support them (or by an admin directly)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.governance import counting, electorate, votes
from marketplace.governance.models import (
    MAX_TITLE_CHARS,
    Proposal,
    ProposalComment,
    ProposalSupport,
)
from marketplace.governance.text import MAX_BODY_CHARS
from marketplace.i18n import formats
from marketplace.membership.models import membership_of

MAX_COMMENT_CHARS = 10_000


@dataclass(frozen=True)
class ProposalDraft:
    title: str
    body: str
    publish: bool = True


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise InvalidInput(
            gettext("Give the proposal a title."), fields={"title": gettext("Required.")}
        )
    if len(cleaned) > MAX_TITLE_CHARS:
        raise InvalidInput(
            gettext(
                "A title can be at most %(limit)s characters.",
                limit=MAX_TITLE_CHARS,
            ),
            fields={"title": gettext("Too long.")},
        )
    return cleaned


def clean_body(body: str, field: str = "body", limit: int = MAX_BODY_CHARS) -> str:
    if not body.strip():
        raise InvalidInput(gettext("Say what you propose."), fields={field: gettext("Required.")})
    if len(body) > limit:
        raise InvalidInput(
            gettext("At most %(limit)s characters, please.", limit=formats.number(limit)),
            fields={field: gettext("Too long.")},
        )
    return body.strip()


def support_needed(session: Session) -> int:
    """How many supporters put a proposal to a vote: a share of the active artists."""
    artists = electorate.active_in_class(session, electorate.SUPPORT_CLASS_CODE)
    return counting.support_threshold(artists, int(current_app.config["PROPOSAL_SUPPORT_PCT"]))


def create(user: User, draft: ProposalDraft) -> Proposal:
    member = electorate.active_member(user)
    title, body = clean_title(draft.title), clean_body(draft.body)
    with unit_of_work() as session:
        proposal = Proposal(author_id=member.id, title=title, body_markdown=body, status="draft")
        if draft.publish:
            proposal.status, proposal.published_at = "open_for_support", utcnow()
        session.add(proposal)
        session.flush()
        return proposal


def _own_locked(session: Session, user: User, proposal_id: int) -> Proposal:
    proposal = lock_row(session, Proposal, proposal_id)
    if proposal is None or (proposal.status == "draft" and not _is_author(user, proposal)):
        raise NotFound(gettext("No such proposal."))
    if not _is_author(user, proposal):
        raise Forbidden(gettext("Only the proposal's author can do this."), code="not_author")
    return proposal


def _is_author(user: User, proposal: Proposal) -> bool:
    member = membership_of(user)
    return member is not None and member.id == proposal.author_id


def edit(user: User, proposal_id: int, draft: ProposalDraft) -> Proposal:
    """Change a draft, or publish it. A published proposal's words stay as supporters saw them."""
    electorate.active_member(user)
    title, body = clean_title(draft.title), clean_body(draft.body)
    with unit_of_work() as session:
        proposal = _own_locked(session, user, proposal_id)
        if proposal.status != "draft":
            raise Conflict(
                gettext(
                    "A published proposal cannot be changed: members support the words they read."
                ),
                code="already_published",
            )
        proposal.title, proposal.body_markdown = title, body
        if draft.publish:
            proposal.status, proposal.published_at = "open_for_support", utcnow()
        return proposal


def withdraw(user: User, proposal_id: int) -> Proposal:
    with unit_of_work() as session:
        proposal = _own_locked(session, user, proposal_id)
        if proposal.status in ("in_vote", "decided"):
            raise Conflict(
                gettext("A proposal in a vote cannot be withdrawn."), code="already_in_vote"
            )
        proposal.status = "withdrawn"
        return proposal


def support(user: User, proposal_id: int) -> Proposal:
    """Add the member's support, once; opens the vote when this reaches the threshold."""
    member = electorate.active_member(user)
    with unit_of_work() as session:
        # Supports of one proposal queue up, so exactly one of them opens the vote.
        proposal = lock_row(session, Proposal, proposal_id)
        if proposal is None or proposal.status == "draft":
            raise NotFound(gettext("No such proposal."))
        if proposal.status != "open_for_support":
            raise Conflict(
                gettext("This proposal is no longer gathering support."), code="not_open"
            )
        if session.get(ProposalSupport, (proposal.id, member.id)) is not None:
            raise Conflict(gettext("You already support this proposal."), code="already_supported")
        session.add(ProposalSupport(proposal_id=proposal.id, member_id=member.id))
        session.flush()
        if supporter_count(session, proposal.id) >= support_needed(session):
            votes.open_for_proposal(session, proposal, votes.default_terms(utcnow()), None)
        return proposal


def supporter_count(session: Session, proposal_id: int) -> int:
    query = sa.select(sa.func.count()).where(ProposalSupport.proposal_id == proposal_id)
    return int(session.execute(query).scalar_one())


def supports(session: Session, proposal_id: int, member_id: int) -> bool:
    return session.get(ProposalSupport, (proposal_id, member_id)) is not None


def comment(user: User, proposal_id: int, body: str) -> ProposalComment:
    """Members discuss published proposals; admins may answer too."""
    if not user.is_admin:
        electorate.active_member(user)
    text = clean_body(body, field="body", limit=MAX_COMMENT_CHARS)
    with unit_of_work() as session:
        proposal = session.get(Proposal, proposal_id)
        if proposal is None or proposal.status == "draft":
            raise NotFound(gettext("No such proposal."))
        if proposal.status == "withdrawn":
            raise Conflict(gettext("This proposal was withdrawn."), code="proposal_withdrawn")
        posted = ProposalComment(
            proposal_id=proposal.id, author_user_id=user.id, body_markdown=text
        )
        session.add(posted)
        session.flush()
        return posted


def get_visible(session: Session, user: User, proposal_id: int) -> Proposal:
    """A proposal the caller may read: any published one; a draft only for its author."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or (proposal.status == "draft" and not _is_author(user, proposal)):
        raise NotFound(gettext("No such proposal."))
    return proposal


def list_visible(session: Session, user: User, status: str | None = None) -> list[Proposal]:
    query = sa.select(Proposal).order_by(Proposal.created_at.desc(), Proposal.id.desc())
    member = membership_of(user)
    own_id = member.id if member is not None else -1
    query = query.where(sa.or_(Proposal.status != "draft", Proposal.author_id == own_id))
    if status:
        query = query.where(Proposal.status == status)
    return list(session.execute(query.limit(200)).scalars())


def comments(session: Session, proposal_id: int) -> list[ProposalComment]:
    query = (
        sa.select(ProposalComment)
        .where(ProposalComment.proposal_id == proposal_id)
        .order_by(ProposalComment.created_at, ProposalComment.id)
    )
    return list(session.execute(query).scalars())
