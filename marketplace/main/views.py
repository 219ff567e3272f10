"""The front pages: home and what the co-op is."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from marketplace.catalogue import services as catalogue
from marketplace.catalogue import storefront
from marketplace.catalogue.engines import SearchFilters
from marketplace.membership import services as membership

bp = Blueprint("main", __name__)
NEWEST_SHOWN = 18
POPULAR_SHOWN = 8


@bp.get("/")
def home() -> str:
    newest = catalogue.search(SearchFilters(sort="newest"), 1, NEWEST_SHOWN).assets
    cheapest = catalogue.cheapest_prices(newest, current_app.config["CURRENCY"])
    return render_template(
        "main/home.html",
        members=membership.list_members(1, 8),
        newest=storefront.tiles(newest, cheapest),
        popular=catalogue.popular_searches(POPULAR_SHOWN),
        classes=membership.list_member_classes(),
    )


@bp.get("/about")
def about() -> str:
    return render_template("main/about.html", classes=membership.list_member_classes())
