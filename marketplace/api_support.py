"""What every JSON endpoint shares: bearer-token auth, reading bodies, and list answers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Blueprint, g, request
from flask_babel import gettext, refresh
from flask_sqlalchemy.pagination import Pagination

from marketplace.accounts.models import User
from marketplace.errors import AppError, Forbidden, InvalidInput, Unauthenticated
from marketplace.extensions import csrf
from marketplace.whole_numbers import query_int

P = ParamSpec("P")
R = TypeVar("R")

MAX_PER_PAGE = 100


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A blueprint under /api/v1. The API authenticates by token, never by cookie: no CSRF."""
    blueprint = Blueprint(name, import_name, url_prefix="/api/v1")
    csrf.exempt(blueprint)
    return blueprint


def _bearer_user() -> User:
    from marketplace.accounts.services import user_for_api_token

    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        raise Unauthenticated(
            gettext(
                "Send an API token as 'Authorization: Bearer <token>' "
                "(POST /api/v1/tokens makes one)."
            ),
            code="missing_token",
        )
    user = user_for_api_token(raw.strip())
    if user is None:
        raise Unauthenticated(
            gettext("That API token is not valid or was revoked."), code="invalid_token"
        )
    return user


def token_required(role: str | None = None) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Require a valid bearer token, and the role when one is named (403 without it)."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
            user = _bearer_user()
            g.api_user = user
            # Messages from here on are in the token owner's language, not the one guessed
            # from the headers before we knew who was calling.
            refresh()
            if role is not None and role not in user.roles:
                raise Forbidden(
                    gettext("This needs the %(role)s role.", role=role), code=f"{role}_required"
                )
            return view(*args, **kwargs)

        return wrapped

    return decorator


def api_user() -> User:
    user: User = g.api_user
    return user


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400/415 that says what is wrong with it."""
    if not request.is_json:
        raise AppError(
            gettext("Send JSON with 'Content-Type: application/json'."), code="expected_json"
        )
    body = request.get_json(silent=True)
    if body is None:
        raise AppError(gettext("The request body is not valid JSON."), code="malformed_json")
    if not isinstance(body, dict):
        raise AppError(gettext("The request body must be a JSON object."), code="malformed_json")
    _check_against_document(body)
    _check_text(body, "")
    return body


def _check_text(value: Any, name: str) -> None:
    """Refuse text no column can store: NUL characters (PostgreSQL refuses them) and lone
    surrogates (not UTF-8), with a 422 naming the field, instead of a 500 at the database."""
    if isinstance(value, str):
        if "\x00" in value or (not value.isascii() and not _is_utf8(value)):
            field = name or "body"
            raise InvalidInput(
                gettext(
                    "The field '%(field)s' contains characters that are not text.", field=field
                ),
                fields={field: gettext("Not text.")},
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, name or key)
            _check_text(item, name or key)
    elif isinstance(value, list):
        for item in value:
            _check_text(item, name)


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_against_document(body: dict[str, Any]) -> None:
    """Refuse what the OpenAPI document refuses at the top level: fields it does not describe
    (a misspelt field must not be read as "left out") and null where it does not allow null."""
    from marketplace.openapi import json_body_schema

    rule = request.url_rule
    schema = json_body_schema(rule.rule, request.method) if rule is not None else None
    if schema is None:
        return
    properties: dict[str, Any] = schema.get("properties", {})
    unknown = [name for name in body if name not in properties]
    if unknown and schema.get("additionalProperties") is False:
        allowed = ", ".join(sorted(properties)) or gettext("none")
        raise InvalidInput(
            gettext(
                "Unknown field '%(field)s': this request takes %(allowed)s.",
                field=unknown[0],
                allowed=allowed,
            ),
            code="unknown_field",
            fields={name: gettext("Unknown field.") for name in unknown},
        )
    nulls = [
        name
        for name, value in body.items()
        if value is None and not _may_be_null(properties.get(name, {}))
    ]
    if nulls:
        raise InvalidInput(
            gettext("The field '%(field)s' cannot be null; leave it out instead.", field=nulls[0]),
            fields={name: gettext("Cannot be null.") for name in nulls},
        )


def _may_be_null(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind is None or kind == "null" or (isinstance(kind, list) and "null" in kind)


def text_field(body: dict[str, Any], name: str, *, required: bool = True, default: str = "") -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise InvalidInput(
                gettext("The field '%(field)s' is required.", field=name),
                code="missing_field",
                fields={name: gettext("Required.")},
            )
        return default
    if not isinstance(value, str):
        raise InvalidInput(
            gettext("The field '%(field)s' must be a string.", field=name),
            fields={name: gettext("Must be a string.")},
        )
    return value


def page_args() -> tuple[int, int]:
    """``?page=`` (1 when absent) and ``?per_page=`` (48 when absent, at most 100); a 422 naming
    the argument when either is not a whole number in its range."""
    return query_int("page", 1), query_int("per_page", 48, maximum=MAX_PER_PAGE)


def list_response(pagination: Pagination, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "total": pagination.total or 0,
        "total_exact": True,
        "page": pagination.page,
        "per_page": pagination.per_page,
        "results": results,
    }


def rfc3339(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def iso_date(day: date | None) -> str | None:
    return day.isoformat() if day else None
