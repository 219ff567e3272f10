"""The public JSON API of the open books: ``GET /api/v1/open-books?year=YYYY``."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from marketplace.api_support import api_blueprint
from marketplace.database import utcnow
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.transparency import core, figures

bp = api_blueprint("transparency_api", __name__)


@bp.get("/open-books")
def open_books() -> dict[str, Any]:
    """The year's figures and each month's, from the ledger; no sign-in needed.

    Without ``year``, the latest year with ledger activity. A year with nothing in it answers
    zeros; a year that is not four digits, or has not begun, is a 400.
    """
    session = db.session()
    currency = str(current_app.config["CURRENCY"])
    now = utcnow()
    try:
        year = core.parse_year(request.args.get("year"), 0, now.date()) or None
        books = figures.cached_open_books(session, currency, year, figures.cache_seconds())
    except core.BadYear as error:
        raise AppError(str(error), code="invalid_year", fields={"year": str(error)}) from None
    return books.as_json()
