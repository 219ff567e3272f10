"""Governance in the JSON API: proposals, support, comments, votes and ballots, announcements.

Members (and admins) read; members propose, support, comment and vote; admins put proposals
to a vote directly, call elections and post announcements.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext

from marketplace.api_support import api_blueprint, api_user, json_body, text_field, token_required
from marketplace.errors import Forbidden, InvalidInput
from marketplace.extensions import db
from marketplace.governance import announcements, ballots, proposals, schemas, votes
from marketplace.whole_numbers import json_id

bp = api_blueprint("governance_api", __name__)


def _reader() -> None:
    """Governance pages are the members' own business (and the admins' who run them)."""
    user = api_user()
    if not (user.is_member or user.is_admin):
        raise Forbidden(gettext("This needs the member role."), code="member_required")


def _proposal(proposal_id: int) -> dict[str, Any]:
    session = db.session()
    user = api_user()
    return schemas.proposal_json(session, proposals.get_visible(session, user, proposal_id), user)


def _draft(body: dict[str, Any]) -> proposals.ProposalDraft:
    publish = not body.get("draft", False)
    return proposals.ProposalDraft(text_field(body, "title"), text_field(body, "body"), publish)


@bp.post("/proposals")
@token_required("member")
def create_proposal() -> tuple[dict[str, Any], int]:
    proposal = proposals.create(api_user(), _draft(json_body()))
    return _proposal(proposal.id), 201


@bp.get("/proposals")
@token_required()
def list_proposals() -> dict[str, Any]:
    _reader()
    session, user = db.session(), api_user()
    return {
        "results": [
            schemas.proposal_json(session, proposal, user)
            for proposal in proposals.list_visible(session, user)
        ]
    }


@bp.get("/proposals/<int:proposal_id>")
@token_required()
def get_proposal(proposal_id: int) -> dict[str, Any]:
    _reader()
    return _proposal(proposal_id)


@bp.patch("/proposals/<int:proposal_id>")
@token_required("member")
def edit_proposal(proposal_id: int) -> dict[str, Any]:
    body = json_body()
    body.setdefault("draft", True)
    proposals.edit(api_user(), proposal_id, _draft(body))
    return _proposal(proposal_id)


@bp.post("/proposals/<int:proposal_id>/withdraw")
@token_required("member")
def withdraw_proposal(proposal_id: int) -> dict[str, Any]:
    proposals.withdraw(api_user(), proposal_id)
    return _proposal(proposal_id)


@bp.post("/proposals/<int:proposal_id>/support")
@token_required("member")
def support_proposal(proposal_id: int) -> dict[str, Any]:
    proposals.support(api_user(), proposal_id)
    return _proposal(proposal_id)


@bp.get("/proposals/<int:proposal_id>/comments")
@token_required()
def list_comments(proposal_id: int) -> dict[str, Any]:
    _reader()
    session = db.session()
    proposals.get_visible(session, api_user(), proposal_id)
    return {
        "results": [
            {
                "id": comment.id,
                "author": comment.author.display_name,
                "body": comment.body_markdown,
                "created_at": schemas.rfc3339(comment.created_at),
            }
            for comment in proposals.comments(session, proposal_id)
        ]
    }


@bp.post("/proposals/<int:proposal_id>/comments")
@token_required()
def add_comment(proposal_id: int) -> tuple[dict[str, Any], int]:
    comment = proposals.comment(api_user(), proposal_id, text_field(json_body(), "body"))
    return {"id": comment.id, "proposal_id": proposal_id}, 201


@bp.post("/admin/proposals/<int:proposal_id>/vote")
@token_required("admin")
def put_to_vote(proposal_id: int) -> tuple[dict[str, Any], int]:
    terms = schemas.vote_terms(json_body(), int(current_app.config["VOTE_DEFAULT_QUORUM_PCT"]))
    vote = votes.put_proposal_to_vote(api_user(), proposal_id, terms)
    return {"vote_id": vote.id, "status": vote.status}, 201


@bp.post("/admin/elections")
@token_required("admin")
def create_election() -> tuple[dict[str, Any], int]:
    body = json_body()
    candidates = body.get("candidates")
    if not isinstance(candidates, list):
        raise InvalidInput(
            gettext("'candidates' is a list of member ids."),
            fields={"candidates": gettext("Required.")},
        )
    request = votes.ElectionRequest(
        title=text_field(body, "title"),
        member_class_code=text_field(body, "member_class"),
        seats=None if body.get("seats") is None else schemas.whole_number(body["seats"], "seats"),
        candidate_member_ids=[json_id(c, "candidates") for c in candidates],
        terms=schemas.vote_terms(body, int(current_app.config["VOTE_DEFAULT_QUORUM_PCT"])),
        description=text_field(body, "description", required=False),
    )
    vote = votes.create_election(api_user(), request)
    return schemas.vote_json(db.session(), vote, api_user()), 201


@bp.get("/votes")
@token_required()
def list_votes() -> dict[str, Any]:
    _reader()
    session, user = db.session(), api_user()
    return {"results": [schemas.vote_json(session, v, user) for v in votes.list_votes(session)]}


@bp.get("/votes/<int:vote_id>")
@token_required()
def get_vote(vote_id: int) -> dict[str, Any]:
    _reader()
    vote = votes.close_if_due(vote_id)
    return schemas.vote_json(db.session(), vote, api_user())


@bp.post("/votes/<int:vote_id>/ballot")
@token_required("member")
def cast_ballot(vote_id: int) -> dict[str, Any]:
    replaced = ballots.cast(api_user(), vote_id, json_body())
    return {"vote_id": vote_id, "recorded": True, "replaced": replaced}


@bp.post("/admin/announcements")
@token_required("admin")
def post_announcement() -> tuple[dict[str, Any], int]:
    body = json_body()
    announcement = announcements.post(
        api_user(), text_field(body, "title"), text_field(body, "body")
    )
    return schemas.announcement_json(announcement), 201


@bp.get("/announcements")
@token_required()
def list_announcements() -> dict[str, Any]:
    _reader()
    latest = announcements.latest(db.session())
    return {"results": [schemas.announcement_json(a) for a in latest]}
