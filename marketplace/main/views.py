"""The front pages: home and what the co-op is."""

from __future__ import annotations

from flask import Blueprint, render_template

from marketplace.catalogue import services as catalogue
from marketplace.catalogue.engines import SearchFilters
from marketplace.membership import services as membership

bp = Blueprint("main", __name__)


@bp.get("/")
def home() -> str:
    return render_template(
        "main/home.html",
        members=membership.list_members(1, 8),
        newest=catalogue.search(SearchFilters(sort="newest"), 1, 12).assets,
        classes=membership.list_member_classes(),
    )


@bp.get("/about")
def about() -> str:
    return render_template("main/about.html", classes=membership.list_member_classes())
