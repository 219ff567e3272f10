"""Accounts: sign-up, sign-in, passwords, reset links and API tokens.

Every public function here is one use case and owns its transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, url_for
from flask_babel import gettext, lazy_gettext

from marketplace.accounts.models import ApiToken, PasswordResetToken, User
from marketplace.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from marketplace.accounts.sessions import revoke_sessions
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import Conflict, Gone, InvalidInput, NotFound, Unauthenticated
from marketplace.extensions import db
from marketplace.i18n.languages import LANGUAGES
from marketplace.mail import public_base_url, queue_email

API_TOKEN_PREFIX = "cs_"  # noqa: S105 - a visible prefix, not a secret
# Verified against when the email is unknown, so that both paths take the same time.
_DUMMY_PASSWORD = "not-a-real-password-0000"  # noqa: S105 - timing decoy, guards nothing


_PASSWORD_CHANGED = lazy_gettext("Your password was changed")


def _no_match() -> str:
    return gettext("That email and password do not match an account.")


def _already_used() -> str:
    return gettext("That reset link was already used. Ask for a new one.")


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def normalise_email(email: str) -> str:
    """The canonical form of an email address, or InvalidInput with the reason."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidInput(
            gettext("That email address is not valid: %(reason)s", reason=str(error)),
            fields={"email": str(error)},
        ) from None
    return result.normalized.lower()


def clean_display_name(display_name: str) -> str:
    name = " ".join(display_name.split())
    if not 1 <= len(name) <= 80:
        message = gettext("Give a display name of 1 to 80 characters.")
        raise InvalidInput(message, fields={"display_name": message})
    return name


def _check_new_password(password: str, email: str, field: str = "password") -> None:
    problem = password_problem(password, email)
    if problem:
        raise InvalidInput(problem, code="weak_password", fields={field: problem})


def clean_language(code: str, field: str = "locale") -> str:
    """A language code the co-op speaks, or InvalidInput naming the ones it does."""
    code = code.strip().lower()
    if code not in LANGUAGES:
        message = gettext(
            "Choose one of the co-op's languages: %(codes)s.", codes=", ".join(LANGUAGES)
        )
        raise InvalidInput(message, code="unknown_language", fields={field: message})
    return code


def choose_language(user: User, code: str | None) -> User:
    """Store the language an account reads the co-op in; None follows the browser again."""
    chosen = None if code is None else clean_language(code)
    with unit_of_work():
        user.locale = chosen
    return user


def find_user_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == email.lower())
    ).scalar_one_or_none()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(gettext("No such user."))
    return user


def sign_up(email: str, password: str, display_name: str, locale: str | None = None) -> User:
    """Create a buyer account. Duplicate emails are refused with Conflict.

    ``locale``, the language the person signed up in, becomes the account's: emails sent
    later, outside any request of theirs (a receipt, a decision), are written in it."""
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    _check_new_password(password, email)
    with unit_of_work() as session:
        if find_user_by_email(email) is not None:
            raise Conflict(
                gettext(
                    "An account with that email address already exists. "
                    "Sign in or reset your password."
                ),
                code="email_taken",
                fields={"email": gettext("An account with that email address already exists.")},
            )
        user = User(
            email=email,
            display_name=display_name,
            password_hash=hash_password(password),
            locale=locale if locale in LANGUAGES else None,
        )
        session.add(user)
    return user


def authenticate(email: str, password: str) -> User:
    """The user with these credentials, or Unauthenticated. Records the sign-in."""
    try:
        email = normalise_email(email)
    except InvalidInput:
        email = ""
    user = find_user_by_email(email) if email else None
    if user is None:
        verify_password(hash_password(_DUMMY_PASSWORD), password)
        raise Unauthenticated(_no_match(), code="bad_credentials")
    if not verify_password(user.password_hash, password):
        raise Unauthenticated(_no_match(), code="bad_credentials")
    with unit_of_work():
        user.last_login_at = utcnow()
        # argon2 costs were raised since this hash was made: upgrade it while we know the password.
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
    return user


def change_password(
    user: User, current_password: str, new_password: str, keep_session_id: int | None = None
) -> User:
    """Change a password after checking the current one; every sign-in session but
    ``keep_session_id`` (the browser that changed it) is ended."""
    if not verify_password(user.password_hash, current_password):
        message = gettext("Your current password is not right.")
        raise InvalidInput(message, code="wrong_password", fields={"current_password": message})
    _check_new_password(new_password, user.email, field="new_password")
    with unit_of_work() as session:
        user.password_hash = hash_password(new_password)
        revoke_sessions(session, user.id, keep_session_id)
        queue_email(session, user.email, _PASSWORD_CHANGED, "password_changed", user=user)
    return user


def request_password_reset(email: str) -> None:
    """Email a reset link if an account has this address; say nothing either way."""
    try:
        email = normalise_email(email)
    except InvalidInput:
        return
    user = find_user_by_email(email)
    if user is None:
        return
    raw = secrets.token_urlsafe(32)
    ttl = timedelta(seconds=current_app.config["PASSWORD_RESET_TTL_SECONDS"])
    with unit_of_work() as session:
        session.add(
            PasswordResetToken(user=user, token_hash=_digest(raw), expires_at=utcnow() + ttl)
        )
        queue_email(
            session,
            user.email,
            lazy_gettext("Reset your password"),
            "password_reset",
            user=user,
            reset_url=public_base_url() + url_for("accounts.reset_password", token=raw),
            hours=max(1, int(ttl.total_seconds() // 3600)),
        )


def _usable_reset_token(raw: str) -> PasswordResetToken:
    token = db.session.execute(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(raw))
    ).scalar_one_or_none()
    if token is None:
        raise InvalidInput(
            gettext("That reset link is not valid. Ask for a new one."),
            code="invalid_reset_token",
        )
    if token.used_at is not None:
        raise Gone(_already_used(), code="reset_token_used")
    if token.expires_at <= utcnow():
        raise Gone(
            gettext("That reset link has expired. Ask for a new one."), code="reset_token_expired"
        )
    return token


def check_reset_token(raw: str) -> None:
    """Raise when the reset link cannot be used (so the page can say so before asking)."""
    _usable_reset_token(raw)


def reset_password(raw: str, new_password: str) -> User:
    """Set a new password from a reset link; the link cannot be used again, and every sign-in
    session of the account ends (whoever knew the old password is signed out)."""
    token = _usable_reset_token(raw)
    user = token.user
    _check_new_password(new_password, user.email)
    with unit_of_work() as session:
        # Locking the token row stops two concurrent submissions of the same link.
        locked = session.execute(
            sa.select(PasswordResetToken)
            .where(PasswordResetToken.id == token.id, PasswordResetToken.used_at.is_(None))
            .with_for_update(of=PasswordResetToken)
        ).scalar_one_or_none()
        if locked is None:
            raise Gone(_already_used(), code="reset_token_used")
        locked.used_at = utcnow()
        user.password_hash = hash_password(new_password)
        revoke_sessions(session, user.id)
        queue_email(session, user.email, _PASSWORD_CHANGED, "password_changed", user=user)
    return user


def issue_api_token(user: User, name: str = "API token") -> tuple[ApiToken, str]:
    """Create a token; the raw value is returned this once and never stored."""
    name = " ".join(name.split())[:80] or "API token"
    raw = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with unit_of_work() as session:
        token = ApiToken(
            user=user,
            name=name,
            token_hash=_digest(raw),
            token_prefix=raw[: len(API_TOKEN_PREFIX) + 5],
        )
        session.add(token)
    return token, raw


def user_for_api_token(raw: str) -> User | None:
    """The owner of an active token, or None. Notes when it was last used."""
    token = db.session.execute(
        sa.select(ApiToken).where(
            ApiToken.token_hash == _digest(raw), ApiToken.revoked_at.is_(None)
        )
    ).scalar_one_or_none()
    if token is None:
        return None
    now = utcnow()
    # Write at most once a minute per token, not on every request.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        with unit_of_work():
            token.last_used_at = now
    return token.user


def list_api_tokens(user: User) -> list[ApiToken]:
    return list(
        db.session.execute(
            sa.select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc())
        ).scalars()
    )


def revoke_api_token(user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens (revoking twice is harmless)."""
    with unit_of_work():
        token = db.session.get(ApiToken, token_id)
        if token is None or token.user_id != user.id:
            raise NotFound(gettext("No such token."))
        if token.revoked_at is None:
            token.revoked_at = utcnow()
    return token


def purge_expired_reset_tokens() -> int:
    """Delete reset tokens that can no longer be used; returns how many."""
    with unit_of_work() as session:
        result = session.execute(
            sa.delete(PasswordResetToken).where(
                sa.or_(
                    PasswordResetToken.expires_at < utcnow(),
                    PasswordResetToken.used_at.is_not(None),
                )
            )
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
