"""The search page: every filter lives in the URL, so a search can be shared and bookmarked."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from werkzeug.wrappers import Response

from marketplace.catalogue import services
from marketplace.errors import AppError
from marketplace.whole_numbers import page_arg

bp = Blueprint("catalogue", __name__)
PER_PAGE = 48


@bp.get("/search")
def search() -> str | tuple[str, int] | Response:
    try:
        page = page_arg()
        filters = services.filters_from_args(request.args)
    except AppError as error:
        return render_template(
            "catalogue/search.html", results=None, error=error.message, args=request.args
        ), 422
    results = services.search(filters, page, PER_PAGE)
    return render_template("catalogue/search.html", results=results, error=None, args=request.args)
