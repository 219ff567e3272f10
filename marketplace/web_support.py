"""What page views share: role guards and showing service errors on forms."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar
from urllib.parse import urlparse

from flask import abort, request
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from marketplace.errors import AppError

P = ParamSpec("P")
R = TypeVar("R")


def role_required(role: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Signed-in users with the role only: others see the 403 page."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        @login_required
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            if role not in current_user.roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def show_error_on_form(form: FlaskForm, error: AppError) -> None:
    """Put a service error beside the fields it names, or at the top of the form."""
    placed = False
    for name, text in error.fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            # WTForms keeps errors as a tuple until validation has run.
            field.errors = [*field.errors, error.message if len(error.fields) == 1 else text]
            placed = True
    if not placed:
        form.form_errors.append(error.message)


def safe_next_url(default: str) -> str:
    """Where to go after signing in: only a path on this site, never another host."""
    target = request.args.get("next", "")
    parsed = urlparse(target)
    if (
        target.startswith("/")
        and not target.startswith("//")
        and not parsed.netloc
        and not parsed.scheme
    ):
        return target
    return default


def form_status(form: FlaskForm, failed_status: int = 422) -> int:
    """200 for a fresh form; a 4xx when a submitted form comes back with errors."""
    return failed_status if request.method == "POST" and form.errors else 200
