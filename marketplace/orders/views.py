"""Buyer pages: the cart, checkout with Stripe.js, orders and their licences."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.currencies.views import current_currency
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.licensing.labels import licence_label
from marketplace.orders import services, taxing
from marketplace.orders.api import licences_for
from marketplace.payments import decline_words
from marketplace.whole_numbers import page_arg, parse_whole_number

bp = Blueprint("orders", __name__)
PER_PAGE = 20


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _checkout_policy() -> str:
    """The site's strict policy, opened just enough for Stripe.js and the card frames."""
    config = current_app.config
    js = _origin(config["STRIPE_JS_URL"])
    api = _origin(config.get("STRIPE_API_BASE") or "https://api.stripe.com")
    stripe_hosts = "https://js.stripe.com https://hooks.stripe.com"
    return (
        f"default-src 'self'; script-src 'self' {js}; connect-src 'self' {api} {js}; "
        f"frame-src {stripe_hosts}; img-src 'self' data: blob: https://*.stripe.com; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )


@bp.post("/cart/add")
@login_required
def add_to_cart() -> Response:
    asset_id = parse_whole_number(request.form.get("asset_id", "")) or 0
    licence, size = request.form.get("licence") or "", request.form.get("size") or ""
    if request.form.get("choice"):  # the cart's one select: "licence:size"
        licence, _, size = request.form["choice"].partition(":")
    request_ = services.ItemRequest(asset_id, licence.strip().lower(), size.strip().upper())
    try:
        line = services.add_to_cart(current_user, request_)
    except AppError as error:
        flash(error.message, "error")
        return redirect(request.referrer or url_for("orders.cart"))
    # The cart's own choices change a line in place; the asset page adds one.
    changed = request.form.get("from") == "cart" or bool(request.form.get("choice"))
    said = {
        "title": line.asset.title,
        "licence": licence_label(line.licence).lower(),
        "size": line.size,
    }
    if changed:
        flash(
            gettext(
                "Changed “%(title)s” (%(licence)s licence, size %(size)s) in your cart.", **said
            ),
            "success",
        )
    else:
        flash(
            gettext("Added “%(title)s” (%(licence)s licence, size %(size)s) to your cart.", **said),
            "success",
        )
    return redirect(url_for("orders.cart"))


@bp.post("/cart/remove/<int:asset_id>")
@login_required
def remove_from_cart(asset_id: int) -> Response:
    services.remove_from_cart(current_user, asset_id)
    flash(gettext("Removed from your cart."), "success")
    return redirect(url_for("orders.cart"))


@bp.get("/cart")
@login_required
def cart() -> str:
    from marketplace.assets.asset_page import (
        in_currency,
        licence_kinds,
        licence_offers,
        size_choices,
    )
    from marketplace.currencies import services as currencies

    session = db.session()
    currency = current_currency()
    kinds = licence_kinds(currency)  # once for every line: the choices cost no query each
    lines: list[tuple[Any, int | None, str | None]] = []
    sizes: dict[int, list[Any]] = {}
    for line in services.cart_lines(session, current_user):
        try:
            quote = currencies.quote(session, line.asset, line.licence, line.size, currency)
            lines.append((line, quote.price_cents, None))
            sizes[line.asset_id] = in_currency(
                line.asset, size_choices(line.asset, kinds), currency
            )
        except AppError as error:  # withdrawn since, or terms changed: say so
            lines.append((line, None, error.message))
    total = sum(price for _line, price, _error in lines if price)
    return render_template(
        "orders/cart.html",
        lines=lines,
        total=total,
        currency=currency,
        offers=licence_offers(kinds),
        sizes=sizes,
        tax_behavior=taxing.tax_behavior(session, currency),
        countries=taxing.country_choices(),
    )


@bp.post("/cart/checkout")
@login_required
def checkout() -> Response:
    try:
        # A second submit (double click, back button) opens the order the first one made.
        billing = taxing.billing_from_form(request.form)
        order = services.checkout_cart(
            current_user, currency=current_currency(), billing=billing
        ).order
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("orders.cart"))
    return redirect(url_for("orders.pay", order_id=order.id))


@bp.get("/orders/<int:order_id>/pay")
@login_required
def pay(order_id: int) -> Any:
    order = services.get_order(current_user, order_id)
    if order.status != "pending_payment":
        return redirect(url_for("orders.detail", order_id=order.id))
    response = make_response(
        render_template(
            "orders/pay.html",
            order=order,
            taxes=taxing.tax_summary(order),
            tax_names=taxing.TAX_NAMES,
            stripe_js_url=current_app.config["STRIPE_JS_URL"],
            publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
        )
    )
    response.headers["Content-Security-Policy"] = _checkout_policy()
    return response


@bp.post("/orders/<int:order_id>/payment")
@login_required
def start_payment(order_id: int) -> Any:
    """The checkout page's call (JSON, CSRF header): the same as the API's payment route."""
    body = request.get_json(silent=True) or {}
    result = services.pay(current_user, order_id, body.get("payment_method"))  # type: ignore[arg-type]
    return jsonify(
        status=result.status,
        payment_intent_id=result.payment_intent_id,
        client_secret=result.client_secret,
        error=result.error,
    )


@bp.post("/orders/<int:order_id>/payment/confirm")
@login_required
def confirm_payment(order_id: int) -> Any:
    """After 3-D Secure in the page: confirm on the server when Stripe waits for it."""
    result = services.confirm_after_action(current_user, order_id)
    return jsonify(
        status=result.status,
        payment_intent_id=result.payment_intent_id,
        error=decline_words.in_reader_language(result.error) or None,
    )


@bp.get("/orders/<int:order_id>/status")
@login_required
def status(order_id: int) -> Any:
    order = services.get_order(current_user, order_id)
    payment_error = decline_words.in_reader_language(order.payment_error)
    return jsonify(status=order.status, payment_error=payment_error or None)


@bp.get("/orders/<int:order_id>")
@login_required
def detail(order_id: int) -> str:
    order = services.get_order(current_user, order_id)
    licences = {lic.id: lic for lic in licences_for(order)}
    return render_template(
        "orders/detail.html",
        order=order,
        licences=licences,
        taxes=taxing.tax_summary(order),
        tax_names=taxing.TAX_NAMES,
    )


@bp.get("/account/orders")
@login_required
def index() -> str:
    page = page_arg()
    orders = services.orders_of(current_user, page, PER_PAGE)
    return render_template("orders/index.html", orders=orders)
