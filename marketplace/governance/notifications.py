"""Telling members by email: a vote opened, a vote closed (with its result), an announcement."""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import force_locale, lazy_gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.database import lock_row, unit_of_work
from marketplace.governance import electorate
from marketplace.governance.models import Announcement, Vote
from marketplace.mail import queue_email
from marketplace.membership.letters import language_code
from marketplace.membership.models import Member

NOTIFICATION_KINDS = ("vote_opened", "vote_closed", "announcement")


def _addresses(session: Session, members: sa.Select[tuple[Member]]) -> list[tuple[str, str]]:
    """Each member's address and the language they read their email in."""
    ids = members.with_only_columns(Member.user_id).scalar_subquery()
    query = sa.select(User.email, User.locale).where(User.id.in_(ids)).order_by(User.id)
    return [(email, language_code(locale)) for email, locale in session.execute(query)]


def notify_members(kind: str, object_id: int) -> int:
    """Queue one email per member concerned; the number queued (sent after the commit)."""
    if kind not in NOTIFICATION_KINDS:
        raise ValueError(f"unknown notification {kind!r}")
    with unit_of_work() as session:
        if kind == "announcement":
            return _announce(session, object_id)
        vote = session.get(Vote, object_id)
        if vote is None:
            return 0
        addresses = _addresses(session, electorate.eligible_members(vote))
        template = "vote_opened" if kind == "vote_opened" else "vote_closed"
        for address, language in addresses:
            with force_locale(language):
                subject = (
                    lazy_gettext("Vote is open: %(title)s", title=vote.title)
                    if kind == "vote_opened"
                    else lazy_gettext("Vote has closed: %(title)s", title=vote.title)
                )
                queue_email(session, address, subject, template, vote=vote)
        return len(addresses)


def _announce(session: Session, announcement_id: int) -> int:
    # Locked and marked, so a redelivered task does not email everyone a second time.
    announcement = lock_row(session, Announcement, announcement_id)
    if announcement is None or announcement.emailed_count:
        return 0
    active = sa.select(Member).where(Member.status == "active")
    addresses = _addresses(session, active)
    for address, language in addresses:
        with force_locale(language):
            queue_email(
                session, address, announcement.title, "announcement", announcement=announcement
            )
    announcement.emailed_count = len(addresses)
    return len(addresses)
