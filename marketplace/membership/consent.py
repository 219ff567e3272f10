"""A member's consent to take patronage allocations into income (IRC §1388(c)(2)(A)).

A retained allocation is a *qualified* written notice only when the member consented to
include its stated amount in their income in the year they receive it. The consent is part of
the member agreement, whose text is versioned here: each consent stores the version read and
the moment given, and it is never edited or deleted (a member who joined before the agreement
asked for it has none until they give it on the consent page, or an admin records a signed
paper). A notice issued before a member's consent is nonqualified, and stays so.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import UTCDateTime, unit_of_work, utcnow
from marketplace.errors import Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.membership.models import Member

AGREEMENT_VERSION = "2026-12"
# Every version's consent clause, as the member read it; a new version adds a row here.
CONSENT_CLAUSES = {
    "2026-12": (
        "I consent, as a member of the co-op, to take the stated dollar amount of every "
        "written notice of allocation the co-op pays me as a patronage dividend into my "
        "income in the year I receive it, and to report it as income on my tax return "
        "(IRC §1385(a) and §1388(c)(2)(A)). The co-op pays at least 20 % of each patronage "
        "dividend in cash. I may revoke this consent in writing for later years."
    ),
}
CONSENT_SOURCES = ("application", "member", "admin")


class PatronageConsent(db.Model):  # type: ignore[name-defined]
    """One member's consent under one version of the member agreement (append-only)."""

    __tablename__ = "patronage_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(sa.ForeignKey("members.id"), nullable=False, index=True)
    agreement_version: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    # How it was given: on the application, by the member on the consent page, or recorded by
    # an admin from a signed paper (``recorded_by_id`` is that admin, ``note`` names it).
    source: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    note: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")

    member: Mapped[Member] = relationship(Member)

    __table_args__ = (
        sa.CheckConstraint(f"source IN {CONSENT_SOURCES}", name="source_known"),
        sa.UniqueConstraint(
            "member_id", "agreement_version", name="uq_patronage_consents_member_version"
        ),
    )


def clause(version: str) -> str:
    """The consent clause of ``version`` (422 for a version the app does not know)."""
    if version not in CONSENT_CLAUSES:
        raise InvalidInput(
            gettext("Unknown member agreement version %(version)s.", version=repr(version)),
            fields={"version": gettext("Unknown.")},
        )
    return CONSENT_CLAUSES[version]


def consents_by(
    session: Session, member_ids: Iterable[int], moment: datetime | None = None
) -> dict[int, PatronageConsent]:
    """Each member's first consent (given at or before ``moment`` when one is given)."""
    ids = sorted(set(member_ids))
    if not ids:
        return {}
    query = sa.select(PatronageConsent).where(PatronageConsent.member_id.in_(ids))
    if moment is not None:
        query = query.where(PatronageConsent.consented_at <= moment)
    found: dict[int, PatronageConsent] = {}
    for consent in session.execute(
        query.order_by(PatronageConsent.consented_at, PatronageConsent.id)
    ).scalars():
        found.setdefault(consent.member_id, consent)
    return found


def consent_of(session: Session, member_id: int) -> PatronageConsent | None:
    return consents_by(session, [member_id]).get(member_id)


def record_consent(
    session: Session,
    member: Member,
    source: str,
    *,
    version: str = AGREEMENT_VERSION,
    at: datetime | None = None,
    recorded_by_id: int | None = None,
    note: str = "",
) -> PatronageConsent:
    """Add the member's consent under ``version`` (flush only); the one already recorded under
    that version is returned unchanged, so recording twice keeps the first moment."""
    clause(version)
    existing = session.execute(
        sa.select(PatronageConsent).where(
            PatronageConsent.member_id == member.id,
            PatronageConsent.agreement_version == version,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    consent = PatronageConsent(
        member_id=member.id,
        agreement_version=version,
        consented_at=at or utcnow(),
        source=source,
        recorded_by_id=recorded_by_id,
        note=note.strip()[:2000],
    )
    session.add(consent)
    session.flush()
    return consent


def member_of_user(session: Session, user: User) -> Member | None:
    """The user's membership row, whatever its status (None for someone who never joined)."""
    return session.execute(sa.select(Member).where(Member.user_id == user.id)).scalar_one_or_none()


def give_consent(user: User, version: str) -> PatronageConsent:
    """The member consents on the consent page, to the version shown to them (the current one)."""
    member = member_of_user(db.session(), user)
    if member is None or not user.is_member:
        raise Forbidden(
            gettext("Only members consent to patronage allocations."), code="member_required"
        )
    if version != AGREEMENT_VERSION:
        raise InvalidInput(
            gettext("The member agreement changed while you were reading it: read it again."),
            fields={"version": gettext("Not the current version.")},
        )
    with unit_of_work() as session:
        consent = record_consent(session, member, "member", version=version)
        record(
            session,
            user,
            "membership.patronage_consent",
            "member",
            member.id,
            f"Member {member.member_number} consented to patronage allocations "
            f"(member agreement {version})",
        )
    return consent


def record_paper_consent(admin: User, member_number: int, note: str) -> PatronageConsent:
    """An admin records a member's signed consent received on paper; ``note`` names it."""
    if not note.strip():
        raise InvalidInput(
            gettext(
                "Say which signed paper this consent comes from (its date and where it is kept)."
            ),
            fields={"note": gettext("Required.")},
        )
    with unit_of_work() as session:
        member = session.execute(
            sa.select(Member).where(Member.member_number == member_number)
        ).scalar_one_or_none()
        if member is None:
            raise NotFound(gettext("No such member."))
        consent = record_consent(session, member, "admin", recorded_by_id=admin.id, note=note)
        record(
            session,
            admin,
            "membership.patronage_consent",
            "member",
            member.id,
            f"Recorded member {member.member_number}'s signed consent to patronage allocations "
            f"(member agreement {AGREEMENT_VERSION}): {note.strip()[:200]}",
        )
    return consent
