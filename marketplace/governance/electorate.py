"""Who may take part: one member, one vote, whatever their sales."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import Forbidden
from marketplace.governance.models import Vote
from marketplace.membership.models import Member, MemberClass, membership_of

# The class whose size sets how much support a proposal needs (Stocksy United: 10 % of artists).
SUPPORT_CLASS_CODE = "artists"


def active_member(user: User) -> Member:
    """The caller's membership, or Forbidden: governance is for active members only."""
    member = membership_of(user)
    if member is None or member.status != "active":
        raise Forbidden(
            gettext("Only active members of the co-op can do this."), code="not_a_member"
        )
    return member


def eligible_members(vote: Vote) -> sa.Select[tuple[Member]]:
    """Members entitled to vote: every active member, or an election's class only."""
    query = sa.select(Member).where(Member.status == "active")
    if vote.kind == "election":
        query = query.where(Member.member_class_id == vote.member_class_id)
    return query


def eligible_count(session: Session, vote: Vote) -> int:
    counted = eligible_members(vote).with_only_columns(sa.func.count(Member.id))
    return int(session.execute(counted).scalar_one())


def check_may_vote(vote: Vote, member: Member) -> None:
    if vote.kind == "election" and member.member_class_id != vote.member_class_id:
        name = vote.member_class.name if vote.member_class else "another class"
        raise Forbidden(
            gettext(
                "This election is for the %(name)s class; members of other classes do not vote in "
                "it.",
                name=name,
            ),
            code="not_in_electorate",
        )


def active_in_class(session: Session, code: str) -> int:
    query = (
        sa.select(sa.func.count(Member.id))
        .join(MemberClass, Member.member_class_id == MemberClass.id)
        .where(Member.status == "active", MemberClass.code == code)
    )
    return int(session.execute(query).scalar_one())
