"""Sign-in sessions: one row per signed-in browser, so that signing out really ends it.

Flask's session cookie is signed, not stored: without a row on the server, a copy of the cookie
taken before sign-out kept working. The cookie (and Flask-Login's "remember me" cookie) now holds
a random key, the row only the key's SHA-256, and a request is signed in only while that row is
not revoked: one lookup by a unique index per signed-in request, none for anonymous visitors.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Session, defaultload

from marketplace.accounts.models import MEMBER_ATTRIBUTE, SignInSession, User
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.membership.models import Member
from marketplace.orders.models import CartItem

# last_seen_at is a hint for the person, not an audit: write it at most this often per session.
SEEN_EVERY = timedelta(minutes=5)
# Ended sessions are kept this long (the account page no longer shows them), then deleted.
KEEP_ENDED = timedelta(days=30)
USER_AGENT_LENGTH = 255
# Where a request keeps (user id, lines in their cart) as its session statement counted them,
# in the request's WSGI environ (``g`` outlives a request where an app context is held open).
CART_LINES_COUNTED = "marketplace.accounts.sessions.cart_lines"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _bind(user: User, session_id: int, key: str) -> User:
    user.sign_in_session_id = session_id
    user.session_key = key
    return user


def start_session(user: User, user_agent: str) -> User:
    """Open a sign-in session for ``user`` and bind it: ``user.get_id()`` is then its cookie key."""
    key = secrets.token_urlsafe(32)
    with unit_of_work() as session:
        row = SignInSession(
            user_id=user.id, key_hash=_digest(key), user_agent=user_agent[:USER_AGENT_LENGTH]
        )
        session.add(row)
        session.flush()
        row_id = row.id
    return _bind(user, row_id, key)


@functools.cache
def _live_session() -> sa.Select[int, datetime, int, User]:
    """Every signed-in request runs this: built once, and only the two columns of the session
    row it reads, so the ORM builds one object (the user) rather than two. The user's member
    row comes joined (the header asks whether they are a member), but not the member's class,
    which the member's row joins by default and only their account page shows (loaded there if
    asked). The lines in the user's cart come with it, for the header's cart link on every
    page: on PostgreSQL a statement of its own is one more round trip, as costly as the count.
    Built on first use: ``User.member`` exists once the mappers are configured."""
    member = getattr(User, MEMBER_ATTRIBUTE)
    cart_lines = (
        sa.select(sa.func.count())
        .where(CartItem.user_id == SignInSession.user_id)
        .scalar_subquery()
        .label("cart_lines")
    )
    return (
        sa.select(SignInSession.id, SignInSession.last_seen_at, cart_lines, User)
        .join(User, User.id == SignInSession.user_id)
        .where(
            SignInSession.key_hash == sa.bindparam("key_hash"), SignInSession.revoked_at.is_(None)
        )
        .options(defaultload(member).lazyload(Member.member_class))
    )


def load_session_user(key: str) -> User | None:
    """The user whose live session has this cookie key, bound to it; None once it was ended.
    The lines in their cart, counted in the same statement, are kept in the request's environ
    under ``CART_LINES_COUNTED``."""
    row = db.session.execute(_live_session(), {"key_hash": _digest(key)}).one_or_none()
    if row is None:
        return None
    user = row.User
    if has_request_context():
        request.environ[CART_LINES_COUNTED] = (user.id, int(row.cart_lines))
    now = utcnow()
    if now - row.last_seen_at > SEEN_EVERY:
        with unit_of_work() as session:
            session.execute(
                sa.update(SignInSession)
                .where(SignInSession.id == row.id)
                .values(last_seen_at=now)
                .execution_options(synchronize_session=False)
            )
    return _bind(user, row.id, key)


def revoke_sessions(session: Session, user_id: int, keep_session_id: int | None = None) -> int:
    """End every live session of a user but ``keep_session_id``, inside the caller's transaction."""
    statement = sa.update(SignInSession).where(
        SignInSession.user_id == user_id, SignInSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        statement = statement.where(SignInSession.id != keep_session_id)
    result = session.execute(
        statement.values(revoked_at=utcnow()).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def end_session(session_id: int | None) -> None:
    """Sign out: the session's cookies, wherever copies of them are, stop working."""
    if session_id is None:
        return
    with unit_of_work() as session:
        session.execute(
            sa.update(SignInSession)
            .where(SignInSession.id == session_id, SignInSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def end_other_sessions(user: User, keep_session_id: int | None) -> int:
    """ "Sign out everywhere else": every session of the user but this one; returns how many."""
    with unit_of_work() as session:
        return revoke_sessions(session, user.id, keep_session_id)


def live_sessions(user: User) -> list[SignInSession]:
    """The user's sessions that still work, most recently seen first."""
    return list(
        db.session.execute(
            sa.select(SignInSession)
            .where(SignInSession.user_id == user.id, SignInSession.revoked_at.is_(None))
            .order_by(SignInSession.last_seen_at.desc(), SignInSession.id.desc())
        ).scalars()
    )


def purge_ended_sessions() -> int:
    """Delete sessions ended more than KEEP_ENDED ago; returns how many."""
    with unit_of_work() as session:
        result = session.execute(
            sa.delete(SignInSession).where(SignInSession.revoked_at < utcnow() - KEEP_ENDED)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
