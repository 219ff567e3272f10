"""The search page: every filter lives in the URL, so a search can be shared and bookmarked.

Also the two small JSON answers behind a result's quick-save (the signed-in buyer's own
lightboxes, and saving to one), authenticated by the session and its CSRF token like the
checkout's: the /api/v1 lightbox endpoints take bearer tokens, which a page does not hold.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from marketplace.catalogue import services, storefront
from marketplace.catalogue.engines import SearchFilters
from marketplace.catalogue.query import parse
from marketplace.currencies.views import current_currency
from marketplace.errors import AppError, InvalidInput
from marketplace.lightboxes import services as lightboxes
from marketplace.whole_numbers import json_id, page_arg, parse_whole_number

bp = Blueprint("catalogue", __name__)
PER_PAGE = 48
SIMILAR_LIMIT = 24
POPULAR_SHOWN = 8


def _since_choices(today: date) -> list[tuple[str, str]]:
    return [
        ((today - timedelta(days=7)).isoformat(), gettext("Past week")),
        ((today - timedelta(days=30)).isoformat(), gettext("Past month")),
        ((today - timedelta(days=365)).isoformat(), gettext("Past year")),
    ]


def _page(**context: Any) -> str:
    args = context.pop("args", request.args)
    for name, default in (
        ("tiles", []),
        ("kind_counts", None),
        ("pages", []),
        ("popular", []),
        ("anything_for_sale", True),
        ("nothing_found", ""),
        ("corrected_from", None),
        ("similar_to", None),
    ):
        context.setdefault(name, default)
    return render_template(
        "catalogue/search.html",
        args=args,
        active=storefront.active_filters(args),
        since_choices=_since_choices(date.today()),
        **context,
    )


def _similar_page(asset_id_arg: str) -> str | tuple[str, int]:
    asset_id = parse_whole_number(asset_id_arg)
    found = services.similar_to(asset_id, SIMILAR_LIMIT) if asset_id else None
    if found is None:
        message = gettext("That work is not on sale, so there is nothing like it to show.")
        return _page(results=None, error=message), 404
    asset, similar = found
    currency = current_currency()
    return _page(
        results=None,
        error=None,
        similar_to=asset,
        tiles=storefront.tiles(similar, services.cheapest_prices(similar, currency)),
    )


@bp.get("/search")
def search() -> str | tuple[str, int] | Response:
    if request.args.get("similar"):
        return _similar_page(request.args["similar"])
    try:
        page = page_arg()
        filters = services.filters_from_args(request.args)
    except AppError as error:
        return _page(results=None, error=error.message), 422
    results = services.search(filters, page, PER_PAGE)
    args: MultiDict[str, str] = request.args
    corrected_from = None
    if results.did_you_mean and not request.args.get("as_typed"):
        # "Did you mean" runs the corrected search when it finds more than what was typed,
        # as the leading search engines do; a link offers the words as typed.
        attempt = SearchFilters(**{**filters.__dict__, "query": parse(results.did_you_mean)})
        better = services.search(attempt, page, PER_PAGE)
        if better.total > results.total:
            corrected_from = request.args.get("q", "")
            args = MultiDict({**request.args.to_dict(), "q": results.did_you_mean})
            filters, results = attempt, better
    currency = current_currency()
    found_nothing = not results.assets
    return _page(
        args=args,
        results=results,
        error=None,
        corrected_from=corrected_from,
        tiles=storefront.tiles(results.assets, services.cheapest_prices(results.assets, currency)),
        kind_counts=services.kind_counts(filters, results) if page == 1 else None,
        pages=storefront.page_numbers(page, max(-(-results.total // PER_PAGE), 1)),
        popular=services.popular_searches(POPULAR_SHOWN) if found_nothing else [],
        anything_for_sale=services.anything_for_sale() if found_nothing else True,
        nothing_found=storefront.nothing_found(args) if found_nothing else "",
    )


@bp.get("/quick-save/lightboxes")
@login_required
def own_lightboxes() -> dict[str, Any]:
    """The signed-in person's lightboxes for the quick-save picker, last changed first, each
    saying whether it already holds ``asset_id``."""
    asset_id = parse_whole_number(request.args.get("asset_id", ""))
    boxes = lightboxes.all_own(current_user)
    counts = lightboxes.item_counts(boxes)
    holding = services.lightboxes_holding([box.id for box in boxes], asset_id)
    return {
        "lightboxes": [
            {
                "id": box.id,
                "name": box.name,
                "item_count": counts.get(box.id, 0),
                "has_asset": box.id in holding,
            }
            for box in boxes
        ]
    }


@bp.post("/quick-save")
@login_required
def quick_save() -> tuple[dict[str, Any], int]:
    """Save an asset to one of the person's lightboxes, or to a new one named ``name``.

    201 when saved, 200 when it was there already; errors as ``{"error": {...}}``.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(gettext("Send a JSON object with asset_id and lightbox_id or name."))
    asset_id = json_id(body.get("asset_id"), "asset_id")
    if body.get("lightbox_id") is not None:
        lightbox_id = json_id(body["lightbox_id"], "lightbox_id")
        added = lightboxes.add_item(current_user, lightbox_id, asset_id)
    else:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput(
                gettext("Name the new lightbox."), fields={"name": gettext("Required.")}
            )
        added = lightboxes.add_to_new(current_user, name, asset_id)
    box = added.item.lightbox
    return {
        "lightbox": {"id": box.id, "name": box.name},
        "created": added.created,
    }, 201 if added.created else 200
