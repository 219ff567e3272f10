"""Rate limits on guessing passwords: only failed attempts count.

Two limits stack: one per address and account, so a person who mistypes is slowed only on
their own account, and a looser one per address, against trying many accounts at once.
"""

from __future__ import annotations

from flask import Response, current_app, g, request

from marketplace.extensions import client_address


def login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def address_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT_PER_ADDRESS"])


def _attempted_email() -> str:
    if request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    else:
        value = request.form.get("email")
    return value.strip().lower() if isinstance(value, str) else ""


def address_and_account() -> str:
    return f"{client_address()}|{_attempted_email()}"


def mark_failed_login() -> None:
    g.login_failed = True


def failed_login(response: Response) -> bool:
    # The API answers 401; the sign-in page re-renders with an error and marks the request.
    return response.status_code == 401 or bool(g.get("login_failed"))
