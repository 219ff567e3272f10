"""Password hashing with argon2id, and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from flask_babel import gettext

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256

# Passwords people pick first; refused even when long enough.
_COMMON_PASSWORDS = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "password123",
        "password1234",
        "qwertyuiop",
        "iloveyou123",
        "letmein1234",
        "abcdefghij",
        "1111111111",
        "0000000000",
        "passwordpassword",
        "administrator",
    }
)


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"], memory_cost=config["ARGON2_MEMORY_COST_KIB"]
    )


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


def password_problem(password: str, email: str = "") -> str | None:
    """Why a new password is not acceptable, or None when it is."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return gettext(
            "Use at least %(count)d characters for your password.", count=MIN_PASSWORD_LENGTH
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        return gettext(
            "Use at most %(count)d characters for your password.", count=MAX_PASSWORD_LENGTH
        )
    lowered = password.lower()
    if lowered in _COMMON_PASSWORDS or len(set(password)) < 4:
        return gettext("That password is too easy to guess; choose a less common one.")
    if email and lowered == email.lower():
        return gettext("Your password must not be your email address.")
    return None
