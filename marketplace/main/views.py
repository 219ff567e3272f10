"""The front pages: home, what the co-op is, and the language switcher.

The switcher posts to ``/language`` with its CSRF token and comes back to the page it was on
(addresses are the same in every language): a visitor's choice is kept in the ``language``
cookie, an account's on the account too. Pages cached for every visitor carry no CSRF token
(``marketplace.page_cache``), so their switcher asks for ``/language`` with GET instead: that
page shows the same choice with a token (``static/js/language.js`` sends it at once).
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.accounts import services as accounts
from marketplace.catalogue import services as catalogue
from marketplace.catalogue import storefront
from marketplace.catalogue.engines import SearchFilters
from marketplace.currencies.views import current_currency
from marketplace.errors import AppError
from marketplace.i18n import LANGUAGE_COOKIE
from marketplace.i18n.languages import LANGUAGES
from marketplace.membership import services as membership

bp = Blueprint("main", __name__)
NEWEST_SHOWN = 18
POPULAR_SHOWN = 8
LANGUAGE_COOKIE_LIFETIME = timedelta(days=365)


@bp.get("/")
def home() -> str:
    newest = catalogue.search(SearchFilters(sort="newest"), 1, NEWEST_SHOWN).assets
    cheapest = catalogue.cheapest_prices(newest, current_currency())
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


def same_site_path(target: str | None) -> str:
    """``target`` when it is a path on this site, else the home page (never another host)."""
    parsed = urlparse(target or "")
    if (
        target
        and target.startswith("/")
        and not target.startswith(("//", "/\\"))
        and not parsed.netloc
        and not parsed.scheme
    ):
        return target
    return url_for("main.home")


@bp.get("/language")
def language_page() -> str:
    wanted = request.args.get("language", "")
    return render_template(
        "main/language.html",
        next_url=same_site_path(request.args.get("next")),
        wanted=wanted if wanted in LANGUAGES else None,
    )


@bp.post("/language")
def choose_language() -> Response:
    back = same_site_path(request.form.get("next"))
    try:
        code = accounts.clean_language(request.form.get("language", ""), field="language")
        if current_user.is_authenticated:
            accounts.choose_language(current_user, code)
    except AppError as error:
        flash(error.message, "error")
        return redirect(back)
    response = redirect(back)
    # Also for accounts: the pages after signing out stay in the language they chose.
    response.set_cookie(
        LANGUAGE_COOKIE,
        code,
        max_age=int(LANGUAGE_COOKIE_LIFETIME.total_seconds()),
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE", False)),
        httponly=True,
        samesite="Lax",
    )
    return response
