"""Errors the service layer raises, and how pages and the API turn them into responses.

Services raise ``AppError`` subclasses with a sentence a person can act on; the API answers
``{"error": {"code", "message"}}`` with the status, pages show the sentence.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext, lazy_gettext
from werkzeug.exceptions import HTTPException

from marketplace.i18n import current_language

log = logging.getLogger(__name__)


class AppError(Exception):
    status = 400
    code = "bad_request"

    def __init__(
        self, message: str, *, code: str | None = None, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.fields = fields or {}


class InvalidInput(AppError):
    status = 422
    code = "invalid_input"


class Unauthenticated(AppError):
    status = 401
    code = "unauthenticated"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Gone(AppError):
    status = 410
    code = "gone"


class ServiceUnavailable(AppError):
    """An outside service we depend on (the payment provider) did not answer: try again."""

    status = 503
    code = "service_unavailable"


class PaymentSetupProblem(ServiceUnavailable):
    """Stripe refused the co-op's payment setup (a key, a setting): the co-op's fault, not the
    buyer's, and nothing was charged. The details went to the log and to the admins."""

    code = "payment_setup_error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(
            message
            or gettext(
                "The co-op's payment setup has a problem on our side; you were not charged. "
                "The co-op's admins have been told."
            )
        )


# Titles for the error page, in plain words (translated when shown).
_TITLES = {
    400: (
        lazy_gettext("Bad request"),
        lazy_gettext("Something in that request did not make sense to us."),
    ),
    401: (lazy_gettext("Please sign in"), lazy_gettext("You need to sign in to see this page.")),
    403: (lazy_gettext("Not allowed"), lazy_gettext("Your account is not allowed to do that.")),
    404: (
        lazy_gettext("Page not found"),
        lazy_gettext("We could not find that page. It may have moved or been withdrawn."),
    ),
    405: (
        lazy_gettext("Not allowed"),
        lazy_gettext("That page does not accept this kind of request."),
    ),
    409: (
        lazy_gettext("Conflict"),
        lazy_gettext("That clashes with something that already exists."),
    ),
    410: (lazy_gettext("Gone"), lazy_gettext("That link has expired or was withdrawn.")),
    413: (lazy_gettext("Too large"), lazy_gettext("That upload is larger than we accept.")),
    422: (lazy_gettext("Check your input"), lazy_gettext("Some of what you sent is not valid.")),
    429: (
        lazy_gettext("Slow down"),
        lazy_gettext("Too many attempts. Please wait a few minutes and try again."),
    ),
    500: (
        lazy_gettext("Something went wrong"),
        lazy_gettext("An error on our side stopped this page. We have logged it."),
    ),
    503: (
        lazy_gettext("Unavailable"),
        lazy_gettext("The service is briefly unavailable. Please try again shortly."),
    ),
}
_UNKNOWN = (lazy_gettext("Error"), lazy_gettext("Something went wrong."))

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def wants_json() -> bool:
    """The API, webhooks, and page scripts (which say so) get errors as JSON, not as a page."""
    if request.path.startswith(("/api/", "/webhooks/")):
        return True
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def error_response(
    status: int, code: str, message: str, fields: dict[str, str] | None = None
) -> tuple[Response, int]:
    body: dict[str, Any] = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify({"error": body}), status


def _render_page(status: int, message: str | None = None) -> tuple[str, int]:
    title, default_message = _TITLES.get(status, _UNKNOWN)
    return (
        render_template(
            "errors/error.html",
            code=status,
            title=str(title),
            message=message or str(default_message),
        ),
        status,
    )


def _is_werkzeugs_own(error: HTTPException) -> bool:
    return error.description == type(error).description


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(error: AppError) -> Any:
        if wants_json():
            return error_response(error.status, error.code, error.message, error.fields)
        return _render_page(error.status, error.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if wants_json():
            message = error.description or str(_TITLES.get(status, _UNKNOWN)[1])
            if _is_werkzeugs_own(error) and status in _TITLES and current_language() != "en":
                # Werkzeug's stock sentences are English only; ours say it in the reader's.
                message = str(_TITLES[status][1])
            if status == 429:
                message = gettext("Too many attempts. Wait a few minutes and try again.")
            response = error_response(status, _HTTP_CODES.get(status, "http_error"), message)
            # Keep headers such as Retry-After and Allow from the original error.
            for key, value in error.get_headers():
                if key.lower() != "content-type":
                    response[0].headers[key] = value
            return response
        return _render_page(status)

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        log.exception("Unhandled error on %s %s", request.method, request.path)
        # A failed statement leaves the session unusable; the error page must not trip on it.
        from marketplace.extensions import db

        db.session.rollback()
        if wants_json():
            return error_response(
                500, "internal_error", gettext("An error on our side stopped this request.")
            )
        return _render_page(500)
