"""The audit log: every admin action, who did it, when, and what changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db


class AuditEntry(db.Model):  # type: ignore[name-defined]
    """One admin action. Append-only: entries are never edited or deleted by the app."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None when the action came from the command line rather than a signed-in admin.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(64), nullable=False, index=True)
    subject_type: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    subject_id: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    summary: Mapped[str] = mapped_column(sa.String(500), nullable=False, default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )

    actor: Mapped[User | None] = relationship(User)
