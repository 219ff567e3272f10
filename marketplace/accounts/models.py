"""People: their accounts, sign-in sessions, API tokens and password-reset tokens."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.i18n.languages import LANGUAGES

# A user's membership, if any: the backref that marketplace/membership/models.py declares on
# Member.user. This module does not import membership (which imports it), so it reads that
# attribute by this name; other code reads it typed with membership.models.membership_of(user).
MEMBER_ATTRIBUTE = "member"


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """Anyone with an account. Everyone is a buyer; members and admins have more."""

    __tablename__ = "users"
    # For the two plain attributes below, which describe this request's sign-in, not a column.
    __allow_unmapped__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    is_admin: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The currency chosen with the switcher (migration 0032); None: from the language.
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    # The language chosen for pages, emails and API messages; None follows the browser.
    locale: Mapped[str | None] = mapped_column(sa.String(8))

    # The sign-in session this request runs in (its id and cookie key), set by accounts.sessions.
    sign_in_session_id: int | None = None
    session_key: str | None = None

    @validates("locale")
    def _known_language(self, key: str, value: str | None) -> str | None:
        # Guards the column where a CHECK would need a migration for each new language.
        if value is not None and value not in LANGUAGES:
            raise ValueError(f"{value!r} is not one of the co-op's languages")
        return value

    def get_id(self) -> str:
        """What Flask-Login puts in the session and remember cookies: the sign-in session's key.

        Never the user id, so that a cookie is only as good as its server-side session.
        """
        if self.session_key is None:
            raise RuntimeError("Sign in through accounts.sessions.start_session first.")
        return self.session_key

    @property
    def is_member(self) -> bool:
        member = getattr(self, MEMBER_ATTRIBUTE)
        return member is not None and member.status == "active"

    @property
    def roles(self) -> list[str]:
        roles = ["buyer"]
        if self.is_member:
            roles.append("member")
        if self.is_admin:
            roles.append("admin")
        return roles


class SignInSession(db.Model):  # type: ignore[name-defined]
    """One signed-in browser. Its cookie holds a random key; only the key's SHA-256 is stored.

    The cookie works while ``revoked_at`` is empty: signing out, a password change or reset, or
    "sign out everywhere else" set it, so a copied cookie stops working.
    """

    __tablename__ = "sign_in_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    key_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    user_agent: Mapped[str] = mapped_column(sa.String(255), nullable=False, default="")
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None


class ApiToken(db.Model):  # type: ignore[name-defined]
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    # The first characters, so that a person can tell their tokens apart.
    token_prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(User)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class PasswordResetToken(db.Model):  # type: ignore[name-defined]
    """A single-use, expiring reset link. Only its SHA-256 is stored."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(User)
