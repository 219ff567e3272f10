"""Announcements from the admins to every member: a page, and an email to each active member."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.background import enqueue
from marketplace.database import unit_of_work
from marketplace.errors import Forbidden, NotFound
from marketplace.governance.models import Announcement
from marketplace.governance.proposals import clean_body, clean_title


def post(admin: User, title: str, body: str) -> Announcement:
    if not admin.is_admin:
        raise Forbidden(gettext("Only admins post announcements."), code="not_admin")
    cleaned_title, cleaned_body = clean_title(title), clean_body(body)
    with unit_of_work() as session:
        announcement = Announcement(
            title=cleaned_title, body_markdown=cleaned_body, author_user_id=admin.id
        )
        session.add(announcement)
        session.flush()
        enqueue(session, "governance.notify_members", "announcement", announcement.id)
        return announcement


def latest(session: Session, limit: int = 50) -> list[Announcement]:
    query = sa.select(Announcement).order_by(Announcement.created_at.desc(), Announcement.id.desc())
    return list(session.execute(query.limit(limit)).scalars())


def get(session: Session, announcement_id: int) -> Announcement:
    announcement = session.get(Announcement, announcement_id)
    if announcement is None:
        raise NotFound(gettext("No such announcement."))
    return announcement
