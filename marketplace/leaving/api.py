"""The JSON API of leaving the co-op, member redemptions and money members owe."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from flask_babel import gettext

from marketplace.api_support import (
    api_blueprint,
    api_user,
    iso_date,
    json_body,
    rfc3339,
    text_field,
    token_required,
)
from marketplace.dividends import member_redemptions, redemptions
from marketplace.errors import Forbidden, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import member_debts
from marketplace.membership import leaving, policy
from marketplace.membership.models import Member, membership_of

bp = api_blueprint("leaving_api", __name__)


def _day(body: dict[str, Any], name: str) -> date | None:
    value = body.get(name)
    if value is None:
        return None
    try:
        return date.fromisoformat(text_field(body, name))
    except ValueError:
        raise InvalidInput(
            gettext("'%(name)s' is a date like 2026-03-31.", name=name),
            fields={name: gettext("Not a date.")},
        ) from None


def member_json(member: Member) -> dict[str, Any]:
    return {
        "member_number": member.member_number,
        "status": member.status,
        "joined_on": iso_date(member.joined_on),
        "left_on": iso_date(member.left_on),
        "leaving_kind": member.leaving_kind,
        "board_decision_ref": member.board_decision_ref or None,
        "redemption_due_on": iso_date(
            member_redemptions.redemption_due_on(member.left_on) if member.left_on else None
        ),
    }


@bp.post("/me/membership/resignation")
@token_required("member")
def resign() -> dict[str, Any]:
    """The caller resigns (``confirm: true``), today or on ``left_on`` already past."""
    body = json_body()
    member = leaving.resign(
        api_user(),
        confirm=body.get("confirm") is True,
        left_on=_day(body, "left_on"),
        reason=text_field(body, "reason", required=False),
    )
    return member_json(member)


@bp.post("/admin/members/<int:member_number>/expulsion")
@token_required("admin")
def expel(member_number: int) -> dict[str, Any]:
    """Record the board's decision to expel a member, with its reference and reason."""
    body = json_body()
    member = leaving.expel(
        api_user(),
        member_number,
        left_on=_day(body, "left_on"),
        board_decision_ref=text_field(body, "board_decision_ref"),
        reason=text_field(body, "reason"),
    )
    return member_json(member)


@bp.post("/admin/members/<int:member_number>/redemption")
@token_required("admin")
def draft_member_redemption(member_number: int) -> tuple[dict[str, Any], int]:
    """Draft the redemption of a former member's capital, by the policy."""
    run = member_redemptions.draft_member_redemption(api_user(), member_number)
    return {"id": run.id, "status": run.status, "total_cents": run.total_cents}, 201


@bp.post("/admin/redemptions/<int:run_id>/approve")
@token_required("admin")
def approve_redemption(run_id: int) -> dict[str, Any]:
    """A second admin approves a drafted redemption; then it can be paid."""
    run = redemptions.approve_redemption(api_user(), run_id)
    return {"id": run.id, "status": run.status, "approved_by": run.approved_by_id}


@bp.get("/admin/member-debts")
@token_required("admin")
def member_debt_list() -> dict[str, Any]:
    """Every member who owes the co-op, with what they owe."""
    session = db.session()
    currency = current_app.config["CURRENCY"]
    owed = member_debts.owed_by_member(session, currency)
    members = {m.id: m for m in session.query(Member).filter(Member.id.in_(list(owed)))}
    return {
        "currency": currency,
        "results": [
            {"member_number": members[m].member_number, "owed_cents": cents}
            for m, cents in sorted(owed.items())
            if m in members
        ],
    }


@bp.post("/admin/members/<int:member_number>/debt-write-off")
@token_required("admin")
def write_off(member_number: int) -> dict[str, Any]:
    """Write off what a member owes (or part of it): the reason, and ``owed_cents`` as the
    admin saw it (409 when it changed since)."""
    body = json_body()
    amount, expected = body.get("amount_cents"), body.get("owed_cents")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(
            gettext("'amount_cents' is whole cents."),
            fields={"amount_cents": gettext("Whole cents.")},
        )
    if expected is not None and (isinstance(expected, bool) or not isinstance(expected, int)):
        raise InvalidInput(
            gettext("'owed_cents' is whole cents."), fields={"owed_cents": gettext("Whole cents.")}
        )
    entry = member_debts.write_off(
        api_user(),
        member_number,
        amount,
        text_field(body, "reason"),
        current_app.config["CURRENCY"],
        expected_owed_cents=expected,
    )
    return {"entry_id": entry.id, "written_off_cents": amount}


@bp.get("/me/membership")
@token_required()
def my_membership() -> dict[str, Any]:
    """The caller's membership, also after they left (their money pages stay theirs)."""
    user = api_user()
    member = membership_of(user)
    if not leaving.has_been_member(user) or member is None:
        raise Forbidden(
            gettext("Only members and former members have a membership."), code="member_required"
        )
    return member_json(member)


def change_json(change: policy.PolicyChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "subject": change.subject,
        "before": change.before,
        "after": change.after,
        "vote_id": change.vote_id,
        "board_decision_ref": change.board_decision_ref or None,
        "approved_by": change.approved_by,
        "note": change.note,
        "changed_at": rfc3339(change.changed_at),
    }


@bp.post("/admin/member-classes/policy")
@token_required("admin")
def change_class_policy() -> tuple[dict[str, Any], int]:
    """Set every class's dividend share and basis, with the vote or board decision."""
    body = json_body()
    classes = body.get("classes")
    if not isinstance(classes, list) or not all(isinstance(c, dict) for c in classes):
        raise InvalidInput(
            gettext("'classes' is a list of {code, share_pct, basis}."),
            fields={"classes": gettext("A list.")},
        )
    vote_id = body.get("vote_id")
    if vote_id is not None and (isinstance(vote_id, bool) or not isinstance(vote_id, int)):
        raise InvalidInput(
            gettext("'vote_id' is a vote's id."), fields={"vote_id": gettext("An id.")}
        )
    change = policy.change_class_policy(
        api_user(),
        classes,
        vote_id=vote_id,
        board_decision_ref=text_field(body, "board_decision_ref", required=False),
        note=text_field(body, "note", required=False),
    )
    return change_json(change), 201


@bp.get("/member-classes/policy-history")
@token_required()
def policy_history() -> dict[str, Any]:
    """Every change of the dividend policy, the latest first, with what approved it."""
    user = api_user()
    if not (user.is_admin or leaving.has_been_member(user)):
        raise Forbidden(gettext("Members read the policy's history."), code="member_required")
    return {"results": [change_json(c) for c in policy.history(db.session())]}
