"""Changing the member classes' dividend policy (each class's share of the pool and its basis),
only with the decision that approved it on record: a member vote that passed, or the board's
decision (its reference). Every change is kept (``policy_changes``), before and after, for
members to read.

A licence's royalty rate changes the same way (``change_terms_with_royalty``): a new version
of its terms, with the approval on record when the rate is not what it was.

The whole policy changes at once, as the shares must always add up to 100 %
(``dividends.core.validate_policy``). A class left out of the new policy gets 0 % (it takes no
part in later runs); a run already drafted keeps the policy it was drafted with.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.database import UTCDateTime, unit_of_work, utcnow
from marketplace.dividends import core
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.governance.models import Vote
from marketplace.licensing.models import LicenceTerms
from marketplace.licensing.services import current_terms
from marketplace.licensing.terms import terms_edit
from marketplace.membership.models import MemberClass

SUBJECTS = ("member_class", "royalty_rate")
POLICY_CODE = "dividend_policy"


class PolicyChange(db.Model):  # type: ignore[name-defined]
    """One approved change of the dividend policy or of a royalty rate (migration 0030)."""

    __tablename__ = "policy_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    code: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    before: Mapped[Any] = mapped_column(sa.JSON, nullable=False)
    after: Mapped[Any] = mapped_column(sa.JSON, nullable=False)
    vote_id: Mapped[int | None] = mapped_column(sa.ForeignKey("votes.id"))
    board_decision_ref: Mapped[str] = mapped_column(sa.String(200), nullable=False, default="")
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    changed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False)
    changed_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )

    vote: Mapped[Vote | None] = relationship(Vote)
    changed_by: Mapped[User] = relationship(User)

    __table_args__ = (
        sa.CheckConstraint(f"subject IN {SUBJECTS}", name="subject_known"),
        sa.CheckConstraint(
            "vote_id IS NOT NULL OR board_decision_ref <> ''", name="approval_recorded"
        ),
    )

    @property
    def approved_by(self) -> str:
        if self.vote_id is not None:
            return f"member vote {self.vote_id}"
        return f"board decision {self.board_decision_ref}"


def _policy_now(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "code": c.code,
            "share_pct": str(core.bps_pct(c.dividend_share_bps)),
            "basis": c.dividend_basis,
        }
        for c in session.execute(sa.select(MemberClass).order_by(MemberClass.id)).scalars()
    ]


def _approval(session: Session, vote_id: int | None, board_decision_ref: str) -> str:
    ref = " ".join(board_decision_ref.split())
    if vote_id is None and not ref:
        raise InvalidInput(
            gettext(
                "Name the decision that approved this change: the member vote (vote_id) or the "
                "board's decision (board_decision_ref)."
            ),
            fields={
                "vote_id": gettext("Or a board decision."),
                "board_decision_ref": gettext("Or a vote."),
            },
        )
    if vote_id is not None:
        vote = session.get(Vote, vote_id)
        if vote is None or vote.status != "closed" or vote.result != "passed":
            raise InvalidInput(
                gettext("Vote %(vote_id)s is not a closed vote that passed.", vote_id=vote_id),
                fields={"vote_id": gettext("Not a passed vote.")},
            )
    if len(ref) > 200:
        raise InvalidInput(gettext("Keep the reference under 200 characters."))
    return ref


def change_class_policy(
    admin: User,
    classes: Sequence[Mapping[str, object]],
    *,
    vote_id: int | None = None,
    board_decision_ref: str = "",
    note: str = "",
) -> PolicyChange:
    """Set every class's share and basis (``[{code, share_pct, basis}]``, shares adding up to
    100 %), recording the vote or board decision that approved it. 422 otherwise."""
    try:
        policy = core.policy_from_data(classes)
    except core.DividendError as error:
        raise InvalidInput(str(error), fields={"classes": str(error)}) from None
    with unit_of_work() as session:
        ref = _approval(session, vote_id, board_decision_ref)
        known = {c.code: c for c in session.execute(sa.select(MemberClass)).scalars()}
        unknown = [c.code for c in policy if c.code not in known]
        if unknown:
            raise InvalidInput(
                gettext("There is no member class %(code)s.", code=repr(unknown[0])),
                fields={"classes": gettext("Unknown class.")},
            )
        before = _policy_now(session)
        shares = {c.code: c for c in policy}
        for code, member_class in known.items():
            chosen = shares.get(code)
            member_class.dividend_share_bps = chosen.share_bps if chosen else 0
            if chosen:
                member_class.dividend_basis = chosen.basis
        session.flush()
        change = PolicyChange(
            subject="member_class",
            code=POLICY_CODE,
            before=before,
            after=_policy_now(session),
            vote_id=vote_id,
            board_decision_ref=ref,
            note=note.strip()[:2000],
            changed_by_id=admin.id,
        )
        session.add(change)
        session.flush()
        audit.record(
            session,
            admin,
            "membership.policy_changed",
            "policy_change",
            change.id,
            f"Changed the member classes' dividend policy ({change.approved_by})",
            {"classes": before},
            {"classes": change.after},
        )
    return change


def history(session: Session) -> list[PolicyChange]:
    """Every recorded change, the latest first: what members read."""
    return list(
        session.execute(sa.select(PolicyChange).order_by(PolicyChange.changed_at.desc())).scalars()
    )


def change_terms_with_royalty(
    admin: User,
    kind_code: str,
    *,
    summary: str,
    permits: list[str],
    full_text: str,
    royalty_bps: int,
    surcharge_cents: int,
    vote_id: int | None = None,
    board_decision_ref: str = "",
) -> LicenceTerms:
    """Save a licence's next terms; when its royalty rate changes, only with the vote or board
    decision that approved it, the change kept beside the dividend policy's (one transaction)."""
    with unit_of_work() as session:
        before = current_terms(session, kind_code).royalty_bps
        ref = ""
        if royalty_bps != before:
            ref = _approval(session, vote_id, board_decision_ref)
        terms = terms_edit(
            session,
            kind_code,
            summary=summary,
            permits=permits,
            full_text=full_text,
            royalty_bps=royalty_bps,
            surcharge_cents=surcharge_cents,
            admin=admin,
        )
        if royalty_bps != before:
            session.add(
                PolicyChange(
                    subject="royalty_rate",
                    code=kind_code[:32],
                    before=[{"code": kind_code, "royalty_pct": str(core.bps_pct(before))}],
                    after=[{"code": kind_code, "royalty_pct": str(core.bps_pct(royalty_bps))}],
                    vote_id=vote_id,
                    board_decision_ref=ref,
                    note=f"Version {terms.version} of the {kind_code} licence",
                    changed_by_id=admin.id,
                )
            )
    return terms
