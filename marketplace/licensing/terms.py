"""Licence terms: every version of a kind's terms, and an admin's edit saved as the next one.

Earlier versions are never changed: licences sold under them keep them. ``terms_edit`` works in the
caller's transaction (a policy change saves terms with its approval); ``save_terms`` is the admin
page's use case with a transaction of its own.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import InvalidInput, NotFound
from marketplace.licensing.models import LicenceKind, LicenceTerms
from marketplace.licensing.services import current_terms

MAX_PERMITS = 20
MAX_PERMIT_CHARS = 200
MAX_SUMMARY_CHARS = 500
MAX_FULL_TEXT_CHARS = 50_000
MAX_SURCHARGE_CENTS = 100_000_000


def terms_history(session: Session, kind_code: str) -> list[LicenceTerms]:
    """Every version of a kind's terms, newest first."""
    return list(
        session.execute(
            sa.select(LicenceTerms)
            .join(LicenceKind, LicenceKind.id == LicenceTerms.kind_id)
            .where(LicenceKind.code == kind_code)
            .order_by(LicenceTerms.version.desc())
        ).scalars()
    )


def terms_json(terms: LicenceTerms) -> dict[str, Any]:
    """The terms as a plain dict, for the audit log."""
    return {
        "kind": terms.kind.code,
        "version": terms.version,
        "summary": terms.summary,
        "permits": list(terms.permits),
        "full_text": terms.full_text,
        "royalty_bps": terms.royalty_bps,
        "surcharge_cents": terms.surcharge_cents,
    }


def _checked_terms(
    summary: str, permits: list[str], full_text: str, royalty_bps: int, surcharge_cents: int
) -> tuple[str, list[str], str]:
    summary = " ".join(summary.split())
    permits = [" ".join(p.split()) for p in permits if p.strip()]
    full_text = full_text.strip()
    problems: dict[str, str] = {}
    if not summary or len(summary) > MAX_SUMMARY_CHARS:
        problems["summary"] = gettext(
            "Say in up to %(count)s characters what it is for.", count=MAX_SUMMARY_CHARS
        )
    if not permits or len(permits) > MAX_PERMITS:
        problems["permits"] = gettext(
            "List from 1 to %(count)s things it permits, one a line.", count=MAX_PERMITS
        )
    elif any(len(p) > MAX_PERMIT_CHARS for p in permits):
        problems["permits"] = gettext(
            "Keep each line under %(count)s characters.", count=MAX_PERMIT_CHARS
        )
    if not full_text or len(full_text) > MAX_FULL_TEXT_CHARS:
        problems["full_text"] = gettext("The full terms are required.")
    if not 0 <= royalty_bps <= 10_000:
        problems["royalty_bps"] = gettext("The royalty is between 0% and 100%.")
    if not 0 <= surcharge_cents <= MAX_SURCHARGE_CENTS:
        problems["surcharge_cents"] = gettext("The surcharge is zero or a positive amount.")
    if problems:
        raise InvalidInput(
            gettext(
                "These terms cannot be saved: %(problems)s", problems=" ".join(problems.values())
            ),
            fields=problems,
        )
    return summary, permits, full_text


def terms_edit(
    session: Session,
    kind_code: str,
    *,
    summary: str,
    permits: list[str],
    full_text: str,
    royalty_bps: int,
    surcharge_cents: int,
    admin: User,
) -> LicenceTerms:
    """Save new terms for a kind as its next version, with an audit entry.

    Earlier versions are never changed: licences sold under them keep them.
    """
    summary, permits, full_text = _checked_terms(
        summary, permits, full_text, royalty_bps, surcharge_cents
    )
    kind = session.execute(
        sa.select(LicenceKind).where(LicenceKind.code == kind_code).with_for_update(of=LicenceKind)
    ).scalar_one_or_none()
    if kind is None:
        raise NotFound(gettext("There is no licence called %(name)s.", name=repr(kind_code)))
    previous = current_terms(session, kind_code)
    now = utcnow()
    terms = LicenceTerms(
        kind_id=kind.id,
        kind=kind,
        version=previous.version + 1,
        summary=summary,
        permits=permits,
        full_text=full_text,
        royalty_bps=royalty_bps,
        surcharge_cents=surcharge_cents,
        effective_from=now,
        created_by_id=admin.id,
        created_at=now,
    )
    session.add(terms)
    session.flush()
    audit.record(
        session,
        admin,
        "licence_terms.edit",
        "licence_terms",
        terms.id,
        f"{kind.name}: terms version {terms.version} replaces version {previous.version}",
        before=terms_json(previous),
        after=terms_json(terms),
    )
    return terms


def save_terms(
    admin: User,
    kind_code: str,
    *,
    summary: str,
    permits: list[str],
    full_text: str,
    royalty_bps: int,
    surcharge_cents: int,
) -> LicenceTerms:
    """The admin page's use case: ``terms_edit`` in a transaction of its own."""
    with unit_of_work() as session:
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
    return terms
