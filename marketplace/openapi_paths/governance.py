"""OpenAPI paths: governance (proposals, votes and ballots, elections, announcements)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import (
    ID,
    NON_BLANK,
    TEXT,
    TIME,
    Schema,
    _op,
    _props,
    nullable,
    obj,
    results,
)

_TAG = "governance"
_TERMS: dict[str, Schema] = {
    "closes_at": {"type": "string", "format": "date-time"},
    "opens_at": {"type": "string", "format": "date-time"},
    "quorum_pct": {"type": "integer", "minimum": 0, "maximum": 100},
    "majority": {"type": "string", "enum": ["simple", "two_thirds"]},
}
PROPOSAL: Schema = obj(
    ["id", "title", "body", "status", "supporters"],
    id={"type": "integer"},
    title=TEXT,
    body=TEXT,
    status=TEXT,
    supporters={"type": "integer", "minimum": 0},
    vote_id=nullable({"type": "integer"}),
    created_at=TIME,
    published_at=TIME,
)
VOTE: Schema = obj(
    ["id", "kind", "status", "closes_at"],
    id={"type": "integer"},
    kind=TEXT,
    status=TEXT,
    proposal_id=nullable({"type": "integer"}),
    closes_at=TIME,
    quorum_pct={"type": "integer"},
)
ANNOUNCEMENT: Schema = obj(["id", "title", "body"], id={"type": "integer"}, title=TEXT, body=TEXT)
_DRAFT = _props(["title", "body"], title=NON_BLANK, body=NON_BLANK, draft={"type": "boolean"})

GOVERNANCE_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/proposals": {
        "post": _op(
            "Draft a proposal ({title, body in Markdown, draft?}); published for support unless "
            "draft is true -> 201 {id, status, supporters, …}",
            auth="member",
            body=_DRAFT,
            status=201,
            tag=_TAG,
            returns=PROPOSAL,
        ),
        "get": _op(
            "Proposals: every published one, and your own drafts",
            tag=_TAG,
            returns=results(PROPOSAL),
            errors=(403,),
        ),
    },
    "/api/v1/proposals/{proposal_id}": {
        "get": _op(
            "A proposal with its support count and vote, if any",
            tag=_TAG,
            returns=PROPOSAL,
            errors=(403,),
        ),
        "patch": _op(
            "Change your draft ({title, body, draft: false} publishes it); 409 once published",
            auth="member",
            body=_DRAFT,
            tag=_TAG,
            returns=PROPOSAL,
            errors=(409,),
        ),
    },
    "/api/v1/proposals/{proposal_id}/withdraw": {
        "post": _op(
            "Withdraw your proposal before it goes to a vote",
            auth="member",
            tag=_TAG,
            returns=PROPOSAL,
            errors=(409,),
        )
    },
    "/api/v1/proposals/{proposal_id}/support": {
        "post": _op(
            "Support a published proposal, once (409 the second time); at the threshold "
            "(a share of active artists) it goes to a vote by itself",
            auth="member",
            tag=_TAG,
            returns=PROPOSAL,
            errors=(409,),
        )
    },
    "/api/v1/proposals/{proposal_id}/comments": {
        "get": _op(
            "The proposal's discussion, oldest first",
            tag=_TAG,
            returns=results(obj(["id", "author", "body"], id={"type": "integer"}, body=TEXT)),
            errors=(403,),
        ),
        "post": _op(
            "Add a comment (Markdown) to the discussion",
            body=_props(["body"], body=NON_BLANK),
            status=201,
            tag=_TAG,
            returns=obj(["id", "proposal_id"], id={"type": "integer"}),
            errors=(403, 409),
        ),
    },
    "/api/v1/admin/proposals/{proposal_id}/vote": {
        "post": _op(
            "Put a proposal to a yes/no vote -> 201 {vote_id}",
            auth="admin",
            body=_props(["closes_at"], **_TERMS),
            status=201,
            tag=_TAG,
            returns=obj(["vote_id", "status"], vote_id={"type": "integer"}, status=TEXT),
            errors=(409,),
        )
    },
    "/api/v1/admin/elections": {
        "post": _op(
            "Call a ranked-choice (STV) election among a class's members; seats default to the "
            "class's board seats (data: founders 5, staff 2, artists 2)",
            auth="admin",
            body=_props(
                ["title", "member_class", "candidates", "closes_at"],
                title=NON_BLANK,
                description=TEXT,
                member_class=NON_BLANK,
                seats={"type": "integer", "minimum": 1},
                candidates={"type": "array", "items": ID},
                **_TERMS,
            ),
            status=201,
            tag=_TAG,
            returns=VOTE,
        )
    },
    "/api/v1/votes": {
        "get": _op(
            "Votes and elections, latest closing first",
            tag=_TAG,
            returns=results(VOTE),
            errors=(403,),
        )
    },
    "/api/v1/votes/{vote_id}": {
        "get": _op(
            "A vote: {status, turnout, quorum_reached, result, counts}; result and counts only "
            "once closed (elections add candidates, elected, quota and every round)",
            tag=_TAG,
            returns=VOTE,
            errors=(403,),
        )
    },
    "/api/v1/votes/{vote_id}/ballot": {
        "post": _op(
            "Cast or replace your secret ballot: {choice: yes|no|abstain} or, in an election, "
            "{ranking: [candidate ids, first choice first]}. Non-members 403, closed 409",
            auth="member",
            body=_props(
                [],
                choice={"type": "string", "enum": ["yes", "no", "abstain"]},
                ranking={"type": "array", "items": ID},
            ),
            tag=_TAG,
            returns=obj(
                ["vote_id", "recorded", "replaced"],
                vote_id={"type": "integer"},
                recorded={"const": True},
                replaced={"type": "boolean"},
            ),
            errors=(409,),
        )
    },
    "/api/v1/admin/announcements": {
        "post": _op(
            "Post an announcement to every member (page and email)",
            auth="admin",
            body=_props(["title", "body"], title=NON_BLANK, body=NON_BLANK),
            status=201,
            tag=_TAG,
            returns=ANNOUNCEMENT,
        )
    },
    "/api/v1/announcements": {
        "get": _op(
            "Announcements, newest first",
            tag=_TAG,
            returns=results(ANNOUNCEMENT),
            errors=(403,),
        )
    },
}
