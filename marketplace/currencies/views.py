"""The currency switcher (visitors: a cookie; accounts: their preference) and the admin page
of the price tables."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from marketplace import page_cache
from marketplace.currencies import core, services, tax_display
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.i18n import LANGUAGE_COOKIE
from marketplace.i18n.formats import minor_units
from marketplace.pricing import LICENCES
from marketplace.web_support import role_required

CURRENCY_COOKIE = "currency"
_CURRENT_KEY = "buyer_currency"
COOKIE_MAX_AGE = 365 * 24 * 3600

bp = Blueprint("currencies", __name__)


def _language_tags() -> list[str]:
    """The reader's languages, most wanted first, with their regions (``en-GB``)."""
    tags: list[str] = []
    chosen = getattr(current_user, "locale", None) if current_user.is_authenticated else None
    for tag in (chosen, request.cookies.get(LANGUAGE_COOKIE)):
        if tag:
            tags.append(str(tag))
    tags.extend(value for value, _ in request.accept_languages)
    return tags


def current_currency() -> str:
    """The currency this request's buyer sees prices in and pays in.

    Worked out once per request, first as the viewer (the page cache keys on it before it
    renders a shared page for a signed-in nobody), so the key and the page always agree."""
    found = g.get(_CURRENT_KEY)
    if found is None:
        user = current_user if current_user.is_authenticated else None
        try:
            found = services.buyer_currency(
                db.session(), user, request.cookies.get(CURRENCY_COOKIE), _language_tags()
            )
        except SQLAlchemyError:
            # An error page while the database fails still renders, in the settlement currency.
            found = services.settlement_currency()
        setattr(g, _CURRENT_KEY, found)
    return str(found)


@bp.record_once
def _key_cached_pages_by_currency(_state: BlueprintSetupState) -> None:
    # Cached pages show prices: a page in euros is never served to a buyer paying in pounds,
    # whether the currency came from the switcher, the account or the language's region.
    page_cache.vary_on("currency", current_currency)


@bp.app_context_processor
def currency_context() -> dict[str, Any]:
    return {
        "current_currency": current_currency,
        "currencies_on_sale": _on_sale,
        "prices_include_tax": _prices_include_tax,
    }


def _prices_include_tax(currency: str) -> bool:
    """For a price's "incl. VAT" or "+ tax" (read as the price tables are: no query a hit)."""
    try:
        return tax_display.prices_include_tax(db.session(), currency)
    except SQLAlchemyError:
        return False


def _on_sale() -> list[str]:
    try:
        return services.on_sale(db.session())
    except SQLAlchemyError:
        return [services.settlement_currency()]


def _back(target: str | None = None) -> str:
    """The page the switcher was used on (a path of this site only)."""
    if target is None:
        target = request.form.get("next", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("main.home")


@bp.get("/currency")
def choose_page() -> str:
    """Where the switcher of a page cached for every visitor leads (that page carries no CSRF
    token): the currency already chosen there is pressed at once on a form that has one."""
    wanted = request.args.get("currency", "")
    return render_template(
        "currencies/choose.html",
        next_url=_back(request.args.get("next", "")),
        wanted=wanted if wanted in _on_sale() else None,
        on_sale=_on_sale(),
    )


@bp.post("/currency")
def switch() -> Response:
    """Remember the buyer's currency: on the account when signed in, in a cookie always (so
    the choice survives signing out). With the page's CSRF token, like every form that changes
    an account: another site must not set what a member's prices show in."""
    try:
        code = services.checked_currency(db.session(), request.form.get("currency"))
        if current_user.is_authenticated:
            services.set_preference(current_user, code)
        g.pop(_CURRENT_KEY, None)
    except AppError as error:
        flash(error.message, "error")
        return redirect(_back())
    response = redirect(_back())
    response.set_cookie(
        CURRENCY_COOKIE, code, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True
    )
    return response


@bp.get("/admin/currencies/")
@role_required("admin")
def admin_index() -> Response | str:
    session = db.session()
    wanted = request.args.get("currency")
    if wanted:
        return redirect(url_for("currencies.admin_edit", currency=wanted.strip().upper()[:3]))
    tables = [services.settlement_table(session), *services.foreign_tables(session).values()]
    return render_template(
        "currencies/admin_index.html",
        tables=tables,
        settlement=services.settlement_currency(),
        on_sale=services.on_sale(session),
        size_codes=core.SIZE_CODES,
        licences=LICENCES,
        tax_behaviors=tax_display.tax_behaviors(session),
    )


@bp.post("/admin/currencies/<currency>/tax-behavior")
@role_required("admin")
def admin_tax_behavior(currency: str) -> Response:
    try:
        tax_display.set_tax_behavior(
            current_user, currency.upper()[:3], request.form.get("tax_behavior", "")
        )
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext("Saved: how %(currency)s prices show the tax.", currency=currency.upper()[:3]),
            "success",
        )
    return redirect(url_for("currencies.admin_index"))


def said(error: core.PriceTableError) -> str:
    """The core's message in the admin's language."""
    return gettext(error.message, **error.values)


def _typed_table(currency: str) -> tuple[dict[str, int], dict[str, int]]:
    digits = minor_units(currency)
    sizes = {
        code: core.minor_units_from_text(request.form.get(f"size_{code}", ""), digits, code)
        for code in core.SIZE_CODES
    }
    surcharges = {
        code: core.minor_units_from_text(request.form.get(f"licence_{code}", ""), digits, code)
        for code in LICENCES
    }
    return sizes, surcharges


@bp.route("/admin/currencies/<currency>", methods=["GET", "POST"])
@role_required("admin")
def admin_edit(currency: str) -> Response | tuple[str, int] | str:
    """A currency's table: typed, then reviewed change by change, then saved on confirming."""
    session = db.session()
    try:
        code = core.check_code(currency)
    except core.PriceTableError:
        return redirect(url_for("currencies.admin_index"))
    if code == services.settlement_currency():
        return redirect(url_for("currencies.admin_index"))
    saved = services.foreign_tables(session).get(code)
    context: dict[str, Any] = {
        "currency": code,
        "saved": saved,
        "size_codes": core.SIZE_CODES,
        "licences": LICENCES,
        "digits": minor_units(code),
        "typed": dict(request.form),
        "changes": None,
        "error": None,
    }
    if request.method == "POST":
        try:
            sizes, surcharges = _typed_table(code)
            table = core.checked_table(code, sizes, surcharges)
        except core.PriceTableError as error:
            context["error"] = said(error)
            return render_template("currencies/admin_edit.html", **context), 422
        if request.form.get("confirm") != "yes":
            context["changes"] = core.changes(saved, table)
            return render_template("currencies/admin_edit.html", **context)
        try:
            changed = services.set_prices(current_user, code, sizes, surcharges)
        except AppError as error:
            context["error"] = error.message
            return render_template("currencies/admin_edit.html", **context), error.status
        flash(
            gettext(
                "%(currency)s prices saved (%(count)s changed). They apply to orders from now on.",
                currency=code,
                count=len(changed),
            ),
            "success",
        )
        return redirect(url_for("currencies.admin_index"))
    return render_template("currencies/admin_edit.html", **context)
