"""Rate limits on guessing passwords: only failed attempts count."""

from __future__ import annotations

from flask import Response, current_app, g


def login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def mark_failed_login() -> None:
    g.login_failed = True


def failed_login(response: Response) -> bool:
    # The API answers 401; the sign-in page re-renders with an error and marks the request.
    return response.status_code == 401 or bool(g.get("login_failed"))
