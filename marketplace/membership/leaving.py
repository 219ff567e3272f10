"""Members leaving the co-op: resignation by the member, expulsion by the board.

What leaving does (the member agreement, "Leaving the co-op"):
* the member keeps the patronage earned while a member (IRC §1388(a)(2): patronage is business
  done *with or for* the co-op by a member; their sales up to and including ``left_on`` count,
  ``dividends.member_business``);
* their work leaves sale on that day: each of their works is withdrawn, as if they had
  withdrawn it themselves, so the licences already sold stay valid and downloadable;
* their earnings, statements, tax pages and capital stay theirs to read (``has_been_member``:
  they still sign in), and their capital is redeemed as the policy says
  (``dividends.member_redemptions``), one member at a time.

A leaving date is today or a day already past (a resignation letter received late, a board
decision taken at last month's meeting), never before the member joined, never in the future:
sales are classed by it, so it is fixed once recorded.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale, gettext, lazy_gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.audit import services as audit
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.mail import queue_email
from marketplace.membership.letters import language_of
from marketplace.membership.models import LEFT_STATUSES, Member, membership_of

MAX_REASON_CHARS = 2000
MAX_DECISION_REF_CHARS = 200


def has_been_member(user: User) -> bool:
    """A member now, or one who resigned or was expelled: their money pages stay theirs."""
    member = membership_of(user)
    return member is not None and (member.status != "active" or user.is_member)


def _leaving_day(member: Member, left_on: date | None, today: date) -> date:
    day = left_on or today
    if day > today:
        raise InvalidInput(
            gettext("The leaving date cannot be in the future: record it on the day."),
            fields={"left_on": gettext("Today or earlier.")},
        )
    if day < member.joined_on:
        raise InvalidInput(
            gettext(
                "The leaving date is before member %(member_number)s joined (%(joined_on)s).",
                member_number=member.member_number,
                joined_on=member.joined_on.isoformat(),
            ),
            fields={"left_on": gettext("On or after the day they joined.")},
        )
    return day


def _withdraw_work(session: Session, member_id: int) -> int:
    """Take every work of the member off sale (ORM rows, so the page cache hears of it)."""
    assets = session.execute(
        sa.select(Asset).where(Asset.member_id == member_id, Asset.withdrawn_at.is_(None))
    ).scalars()
    now = utcnow()
    count = 0
    for asset in assets:
        asset.withdrawn_at = now
        count += 1
    return count


def _leave(
    session: Session,
    actor: User,
    member: Member,
    kind: str,
    day: date,
    reason: str,
    decision_ref: str,
) -> int:
    if member.status in LEFT_STATUSES:
        raise Conflict(
            gettext(
                "Member %(member_number)s already left on %(left_on)s.",
                member_number=member.member_number,
                left_on=member.left_on,
            ),
            code="already_left",
        )
    before = {"status": member.status}
    member.status, member.left_on, member.leaving_kind = kind, day, kind
    member.leaving_reason, member.board_decision_ref = reason, decision_ref
    withdrawn = _withdraw_work(session, member.id)
    audit.record(
        session,
        actor,
        f"membership.{kind}",
        "member",
        member.id,
        f"Member {member.member_number} {kind} on {day.isoformat()}"
        + (f" (board decision {decision_ref})" if decision_ref else "")
        + f"; {withdrawn} work(s) taken off sale",
        before,
        {"status": kind, "left_on": day.isoformat(), "board_decision_ref": decision_ref},
    )
    with force_locale(language_of(member.user, reading_now=actor.id == member.user_id)):
        queue_email(
            session,
            member.user.email,
            lazy_gettext("You have left the co-op")
            if kind == "resigned"
            else lazy_gettext("The board ended your membership"),
            f"member_{kind}",
            member=member,
            withdrawn=withdrawn,
        )
    return withdrawn


def _clean_reason(reason: str, required: bool) -> str:
    reason = " ".join(reason.split())
    if required and not reason:
        raise InvalidInput(gettext("Give the reason."), fields={"reason": gettext("Required.")})
    if len(reason) > MAX_REASON_CHARS:
        raise InvalidInput(
            gettext(
                "Keep the reason under %(limit)s characters.",
                limit=MAX_REASON_CHARS,
            ),
            fields={"reason": gettext("Too long.")},
        )
    return reason


def resign(user: User, *, confirm: bool, left_on: date | None = None, reason: str = "") -> Member:
    """The member resigns, on ``left_on`` (today by default). ``confirm`` must be true: the
    page asks first, and says what leaving does."""
    member = membership_of(user)
    if member is None or not user.is_member:
        raise Forbidden(gettext("Only a member can resign."), code="member_required")
    if confirm is not True:
        raise InvalidInput(
            gettext("Confirm that you want to leave the co-op: your work leaves sale that day."),
            fields={"confirm": gettext("Required.")},
        )
    reason = _clean_reason(reason, required=False)
    with unit_of_work() as session:
        locked = lock_row(session, Member, member.id)
        if locked is None:
            raise NotFound(gettext("No such member."))
        day = _leaving_day(locked, left_on, utcnow().date())
        _leave(session, user, locked, "resigned", day, reason, "")
    return locked


def expel(
    admin: User, member_number: int, *, left_on: date | None, board_decision_ref: str, reason: str
) -> Member:
    """Record the board's decision to expel a member, from ``left_on`` (today by default):
    the decision's reference (minutes, resolution number) and the reason are required."""
    decision_ref = " ".join(board_decision_ref.split())
    if not decision_ref:
        raise InvalidInput(
            gettext(
                "Give the reference of the board's decision (e.g. the minutes of its meeting)."
            ),
            fields={"board_decision_ref": gettext("Required.")},
        )
    if len(decision_ref) > MAX_DECISION_REF_CHARS:
        raise InvalidInput(
            gettext(
                "Keep the reference under %(limit)s characters.",
                limit=MAX_DECISION_REF_CHARS,
            ),
            fields={"board_decision_ref": gettext("Too long.")},
        )
    reason = _clean_reason(reason, required=True)
    with unit_of_work() as session:
        member_id = session.execute(
            sa.select(Member.id).where(Member.member_number == member_number)
        ).scalar_one_or_none()
        member = lock_row(session, Member, member_id) if member_id is not None else None
        if member is None:
            raise NotFound(gettext("No such member."))
        day = _leaving_day(member, left_on, utcnow().date())
        _leave(session, admin, member, "expelled", day, reason, decision_ref)
    return member


def former_members(session: Session) -> list[Member]:
    """Every member who left, the most recent first (the admin's list)."""
    return list(
        session.execute(
            sa.select(Member)
            .where(Member.status.in_(LEFT_STATUSES))
            .order_by(Member.left_on.desc(), Member.member_number)
        ).scalars()
    )
