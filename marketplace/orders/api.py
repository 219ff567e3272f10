"""Orders, the cart and paying, in the JSON API (see the contract)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Response, request
from flask_babel import gettext

from marketplace.api_support import (
    api_blueprint,
    api_user,
    json_body,
    list_response,
    page_args,
    token_required,
)
from marketplace.currencies import services as currencies
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.licensing.models import Licence
from marketplace.orders import services, taxing
from marketplace.orders.models import Order
from marketplace.orders.schemas import order_json
from marketplace.orders.tax_report import tax_report, tax_report_csv
from marketplace.payments import refunds
from marketplace.whole_numbers import DB_INT_MAX

bp = api_blueprint("orders_api", __name__)


def _item_request(raw: Any, index: int) -> services.ItemRequest:
    if not isinstance(raw, dict):
        raise InvalidInput(
            gettext("items[%(index)s] must be an object.", index=index),
            fields={"items": gettext("Invalid.")},
        )
    asset_id, licence, size = raw.get("asset_id"), raw.get("licence"), raw.get("size")
    if (
        isinstance(asset_id, bool)
        or not isinstance(asset_id, int)
        or not 1 <= asset_id <= DB_INT_MAX
    ):
        raise InvalidInput(
            gettext(
                "items[%(index)s].asset_id must be an asset id (a whole number from 1 to %(max)s).",
                index=index,
                max=DB_INT_MAX,
            ),
            fields={"items": gettext("Invalid.")},
        )
    if not isinstance(licence, str) or not isinstance(size, str):
        raise InvalidInput(
            gettext(
                "items[%(index)s] needs a licence (e.g. standard) and a size (e.g. M).",
                index=index,
            ),
            fields={"items": gettext("Invalid.")},
        )
    return services.ItemRequest(asset_id, licence.strip().lower(), size.strip().upper())


def _request_key() -> str | None:
    """The request's Idempotency-Key header (as Stripe's API takes it), when it has one."""
    return request.headers.get("Idempotency-Key")


def _order_currency(asked: object) -> str:
    """The currency an order is placed in: the one the client asked for (checked by the
    service), else the account's choice, else its language's (``Accept-Language``)."""
    if asked is not None:
        return asked if isinstance(asked, str) else ""
    languages = [value for value, _ in request.accept_languages]
    return currencies.buyer_currency(db.session(), api_user(), None, languages)


def licences_for(order: Order) -> list[Licence]:
    ids = [item.licence_id for item in order.items if item.licence_id is not None]
    if not ids:
        return []
    return list(db.session.execute(sa.select(Licence).where(Licence.id.in_(ids))).scalars())


@bp.post("/orders")
@token_required()
def create() -> tuple[dict[str, Any], int]:
    items = json_body().get("items")
    if not isinstance(items, list):
        raise InvalidInput(
            gettext("items must be a list of {asset_id, licence, size}."),
            fields={"items": gettext("Invalid.")},
        )
    placed = services.create_order(
        api_user(),
        [_item_request(raw, i) for i, raw in enumerate(items)],
        _request_key(),
        _order_currency(json_body().get("currency")),
        taxing.billing_from(json_body().get("billing")),
    )
    return order_json(placed.order), 201 if placed.created else 200


@bp.get("/orders")
@token_required()
def index() -> dict[str, Any]:
    page, per_page = page_args()
    pagination = services.orders_of(api_user(), page, per_page)
    return list_response(pagination, [order_json(o) for o in pagination.items])


@bp.get("/orders/<int:order_id>")
@token_required()
def get(order_id: int) -> dict[str, Any]:
    order = services.get_order(api_user(), order_id)
    return order_json(order, licences_for(order))


@bp.post("/orders/<int:order_id>/payment")
@token_required()
def pay(order_id: int) -> dict[str, Any]:
    payment_method = json_body().get("payment_method")
    result = services.pay(api_user(), order_id, payment_method)  # type: ignore[arg-type]
    return {
        "status": result.status,
        "payment_intent_id": result.payment_intent_id,
        "client_secret": result.client_secret,
        "error": result.error,
    }


@bp.post("/orders/<int:order_id>/payment/confirm")
@token_required()
def confirm_payment(order_id: int) -> dict[str, Any]:
    """After 3-D Secure (stripe.handleCardAction): confirm on the server when Stripe waits."""
    result = services.confirm_after_action(api_user(), order_id)
    return {
        "status": result.status,
        "payment_intent_id": result.payment_intent_id,
        "client_secret": result.client_secret,
        "error": result.error,
    }


@bp.get("/cart")
@token_required()
def cart() -> dict[str, Any]:
    lines = services.cart_lines(db.session(), api_user())
    return {
        "items": [
            {"asset_id": c.asset_id, "title": c.asset.title, "licence": c.licence, "size": c.size}
            for c in lines
        ]
    }


@bp.post("/cart/items")
@token_required()
def add_to_cart() -> tuple[dict[str, Any], int]:
    line = services.add_to_cart(api_user(), _item_request(json_body(), 0))
    return {"asset_id": line.asset_id, "licence": line.licence, "size": line.size}, 201


@bp.delete("/cart/items/<int:asset_id>")
@token_required()
def remove_from_cart(asset_id: int) -> Response:
    services.remove_from_cart(api_user(), asset_id)
    return Response(status=204)


@bp.post("/cart/checkout")
@token_required()
def checkout() -> tuple[dict[str, Any], int]:
    """201 with the order made; 200 with the same order for a repeat (see ``checkout_cart``)."""
    # No body is an order without a billing place; a body is a JSON object (else a 4xx).
    body = json_body() if request.get_data() else {}
    billing = taxing.billing_from(body.get("billing"))
    placed = services.checkout_cart(api_user(), _request_key(), _order_currency(None), billing)
    return order_json(placed.order), 201 if placed.created else 200


@bp.post("/admin/orders/<int:order_id>/refund")
@token_required("admin")
def refund(order_id: int) -> tuple[dict[str, Any], int]:
    items = json_body().get("items")
    if items is not None and (
        not isinstance(items, list)
        or not all(
            isinstance(i, int) and not isinstance(i, bool) and 1 <= i <= DB_INT_MAX for i in items
        )
    ):
        raise InvalidInput(
            gettext("items must be a list of order item ids."),
            fields={"items": gettext("Invalid.")},
        )
    requested = refunds.request_refund(api_user(), order_id, items or None)
    return {
        "id": requested.id,
        "order_id": requested.order_id,
        "status": requested.status,
        "items": requested.item_ids,
        "amount_cents": requested.amount_cents,
        "currency": requested.currency,
    }, 202


def _day(name: str) -> date:
    raw = request.args.get(name, "")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            gettext("%(name)s must be a date such as 2026-01-31.", name=name),
            fields={name: gettext("Not a date.")},
        ) from None


@bp.get("/admin/tax/report")
@token_required("admin")
def sales_tax_report() -> Any:
    """Sales tax per jurisdiction and currency from period_start to period_end (both days
    included, UTC); CSV with ``Accept: text/csv``."""
    start, end = _day("period_start"), _day("period_end")
    if end < start:
        raise InvalidInput(
            gettext("period_end must not be before period_start."),
            fields={"period_end": gettext("Before the start.")},
        )
    rows = tax_report(
        db.session(),
        datetime.combine(start, time.min, UTC),
        datetime.combine(end + timedelta(days=1), time.min, UTC),
    )
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        return Response(
            tax_report_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="sales-tax-{start}-{end}.csv"'},
        )
    return {
        "period_start": start.isoformat(),
        "period_end": end.isoformat(),
        "results": [found.as_json() for found in rows],
    }
