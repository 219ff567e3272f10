"""Paths of members leaving (resignation, expulsion, the redemption of their capital) and of
money members owe the co-op (receivables and their write-off)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import DAY, NON_BLANK, TEXT, Schema, _op, _props, obj

MEMBERSHIP: Schema = obj(
    ["member_number", "status", "joined_on"],
    member_number={"type": "integer"},
    status={"enum": ["active", "suspended", "resigned", "expelled"]},
    joined_on={"type": "string", "format": "date"},
    left_on=DAY,
    leaving_kind={"type": ["string", "null"], "enum": ["resigned", "expelled", None]},
    board_decision_ref={"type": ["string", "null"]},
    redemption_due_on=DAY,
)
_DATE: Schema = {"type": "string", "format": "date"}
CHANGE: Schema = obj(
    ["id", "subject", "before", "after", "approved_by", "changed_at"],
    id={"type": "integer"},
    subject={"enum": ["member_class", "royalty_rate"]},
    before={"type": "array"},
    after={"type": "array"},
    vote_id={"type": ["integer", "null"]},
    board_decision_ref={"type": ["string", "null"]},
    approved_by=TEXT,
    note=TEXT,
    changed_at={"type": "string", "format": "date-time"},
)

LEAVING_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/membership": {
        "get": _op(
            "The caller's membership, also after they resigned or were expelled",
            tag="membership",
            returns=MEMBERSHIP,
            errors=(403,),
        ),
    },
    "/api/v1/me/membership/resignation": {
        "post": _op(
            "Resign from the co-op (confirm: true), today or on left_on (a day already past, "
            "not before joining). The member's sales up to and including left_on stay "
            "patronage; their work leaves sale (licences sold stay valid); their earnings, "
            "statements, tax pages and capital stay readable. 409 when already left",
            auth="member",
            tag="membership",
            body=_props(["confirm"], confirm={"type": "boolean"}, left_on=_DATE, reason=TEXT),
            returns=MEMBERSHIP,
            errors=(409,),
        ),
    },
    "/api/v1/admin/members/{member_number}/expulsion": {
        "post": _op(
            "Record the board's decision to expel a member from left_on (today by default): "
            "the decision's reference and the reason are required. What leaving does is as "
            "for a resignation",
            auth="admin",
            tag="membership",
            body=_props(
                ["board_decision_ref", "reason"],
                board_decision_ref=NON_BLANK,
                reason=NON_BLANK,
                left_on=_DATE,
            ),
            returns=MEMBERSHIP,
            errors=(409,),
        ),
    },
    "/api/v1/admin/members/{member_number}/redemption": {
        "post": _op(
            "Draft the redemption of a former member's capital (every retained allocation they "
            "hold), from MARKETPLACE_LEAVER_REDEMPTION_AFTER_DAYS after they left (409 before, "
            "or for a member who has not left; 422 when nothing is retained). A second admin "
            "approves it, then it is paid as any redemption",
            auth="admin",
            status=201,
            tag="dividends",
            returns=obj(
                ["id", "status", "total_cents"],
                id={"type": "integer"},
                status=TEXT,
                total_cents={"type": "integer", "minimum": 0},
            ),
            errors=(409, 422),
        ),
    },
    "/api/v1/admin/redemptions/{run_id}/approve": {
        "post": _op(
            "Approve a drafted redemption (an admin other than the one who drafted it: 403); "
            "only an approved redemption is paid (paying a draft is 409 not_approved)",
            auth="admin",
            tag="dividends",
            returns=obj(["id", "status"], id={"type": "integer"}, status=TEXT),
            errors=(409,),
        ),
    },
    "/api/v1/admin/member-debts": {
        "get": _op(
            "Members who owe the co-op (royalties clawed back after they were paid out, booked "
            "in member receivables 1300), with what each owes",
            auth="admin",
            tag="admin",
            returns=obj(["currency", "results"], currency=TEXT, results={"type": "array"}),
        ),
    },
    "/api/v1/admin/members/{member_number}/debt-write-off": {
        "post": _op(
            "Write off what a member owes, or part of it (Dr 5300 member debts written off, "
            "Cr 1300), with a reason of 10 characters or more; owed_cents is what the admin "
            "saw, and when the debt changed since nothing is written off (409)",
            auth="admin",
            tag="admin",
            body=_props(
                ["amount_cents", "reason"],
                amount_cents={"type": "integer", "minimum": 1},
                owed_cents={"type": "integer", "minimum": 0},
                reason=NON_BLANK,
            ),
            returns=obj(
                ["entry_id", "written_off_cents"],
                entry_id={"type": "integer"},
                written_off_cents={"type": "integer"},
            ),
            errors=(409,),
        ),
    },
    "/api/v1/admin/member-classes/policy": {
        "post": _op(
            "Change the member classes' dividend policy, every class at once (shares adding up "
            "to 100 %; a class left out gets 0 %), with the decision that approved it: vote_id "
            "(a closed vote that passed) or board_decision_ref. The change is kept for members "
            "to read",
            auth="admin",
            status=201,
            tag="membership",
            body=_props(
                ["classes"],
                classes={"type": "array", "items": {"type": "object"}},
                vote_id={"type": "integer", "minimum": 1},
                board_decision_ref=TEXT,
                note=TEXT,
            ),
            returns=CHANGE,
        ),
    },
    "/api/v1/member-classes/policy-history": {
        "get": _op(
            "Every change of the dividend policy, the latest first, before and after, with the "
            "vote or board decision that approved it (members, former members and admins)",
            tag="membership",
            returns=obj(["results"], results={"type": "array", "items": CHANGE}),
            errors=(403,),
        ),
    },
}
