"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.extensions import db


def record(
    session: Session,
    actor: User | None,
    action: str,
    subject_type: str,
    subject_id: object,
    summary: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    *,
    actor_label: str = "command line",
) -> AuditEntry:
    """Add an entry inside the caller's transaction, so it exists exactly when the action does.
    Without an actor, ``actor_label`` says who acted (the command line, the scheduler)."""
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor_label=actor.email if actor else actor_label,
        action=action,
        subject_type=subject_type,
        subject_id=str(subject_id),
        summary=summary[:500],
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def browse(
    page: int, per_page: int, action: str | None = None, actor_id: int | None = None
) -> Pagination:
    """Newest first, optionally filtered by action or actor."""
    query = sa.select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def known_actions() -> list[str]:
    return list(
        db.session.execute(
            sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)
        ).scalars()
    )


def entry_as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "actor": {"id": entry.actor_id, "label": entry.actor_label},
        "action": entry.action,
        "subject": {"type": entry.subject_type, "id": entry.subject_id},
        "summary": entry.summary,
        "before": entry.before,
        "after": entry.after,
        "created_at": entry.created_at.isoformat().replace("+00:00", "Z"),
    }
