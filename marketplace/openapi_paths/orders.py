"""OpenAPI paths: orders, the cart, payments, refunds and licences."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import (
    CSV,
    ID,
    PAGE,
    PDF,
    TEXT,
    TIME,
    Schema,
    _op,
    _props,
    nullable,
    obj,
    page_of,
    query,
)


def _optional_body(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation with its request body optional (none: no billing place)."""
    operation["requestBody"]["required"] = False
    return operation


def _with_csv(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation answering CSV too, when asked with ``Accept: text/csv``."""
    operation["responses"]["200"]["content"][CSV] = {
        "schema": {"type": "string", "format": "binary"}
    }
    return operation


_LINE: Schema = {
    "type": "object",
    "required": ["asset_id", "licence", "size"],
    "properties": {
        "asset_id": ID,
        "licence": {"type": "string", "description": "e.g. standard"},
        "size": {"type": "string", "description": "e.g. M"},
    },
    "additionalProperties": False,
}
BILLING: Schema = {
    "type": "object",
    "description": (
        "The buyer's place, which the tax is calculated for. Optional in the API, but without"
        " it NO TAX is calculated nor charged (the site's own checkout always asks for it)."
        " country: an ISO 3166-1 alpha-2 code (no grouping such as EU, UN, XK: 422 naming"
        " billing.country). region: the state or province, needed in US and CA, one of its"
        " postal codes (WA, ON; else 422 naming billing.region). tax_id: an EU VAT number"
        " (format and check digits checked: 422 tax_id_invalid naming billing.tax_id); a"
        " valid one makes the buyer a business (reverse charge outside the co-op's state)"
    ),
    "required": ["country"],
    "properties": {
        "country": {"type": "string", "pattern": "^[A-Za-z]{2}$"},
        "region": {"type": "string", "maxLength": 3},
        "postal_code": {"type": "string", "maxLength": 16},
        "tax_id": {"type": "string", "maxLength": 32},
    },
    "additionalProperties": False,
}
ORDER: Schema = obj(
    [
        "id",
        "status",
        "subtotal_cents",
        "tax_cents",
        "total_cents",
        "currency",
        "tax",
        "items",
        "licences",
        "payment",
    ],
    id={"type": "integer"},
    status={
        "type": "string",
        "enum": [
            "pending_payment",
            "paid",
            "refunded",
            "partially_refunded",
            "disputed",
            "cancelled",
        ],
    },
    # In the order's currency (the buyer's): the items' prices net of tax, the tax (Stripe
    # Tax's calculation for the billing place; 0 and an empty list without one), and what the
    # buyer pays (subtotal + tax).
    subtotal_cents={"type": "integer", "minimum": 0},
    tax_cents={"type": "integer", "minimum": 0},
    total_cents={"type": "integer", "minimum": 0},
    currency={"type": "string", "pattern": "^[A-Z]{3}$"},
    tax={
        "type": "array",
        "items": obj(
            ["jurisdiction", "rate_bps", "rate_percent", "amount_cents", "reverse_charge"],
            jurisdiction={
                "type": "string",
                "description": "ISO 3166 country (FR) or 3166-2 subdivision (CA-ON, US-WA)",
            },
            tax_type={"type": "string", "enum": ["vat", "gst", "hst", "qst", "sales_tax"]},
            rate_bps={
                "type": "number",
                "minimum": 0,
                "multipleOf": 0.1,
                "description": "basis points; may carry one decimal (Quebec's QST: 997.5)",
            },
            rate_percent={
                "type": "string",
                "pattern": "^[0-9]+(\\.[0-9]{1,3})?$",
                "description": "the exact rate in percent as a decimal string (20, 9.975)",
            },
            taxable_cents={"type": "integer", "minimum": 0},
            amount_cents={"type": "integer", "minimum": 0},
            reverse_charge={
                "type": "boolean",
                "description": "an EU business with a valid VAT number accounts for the VAT",
            },
        ),
    },
    tax_behavior={
        "type": "string",
        "enum": ["exclusive", "inclusive"],
        "description": "whether the currency's shown prices included the tax",
    },
    billing=nullable(
        obj(
            ["country", "is_business"],
            country=TEXT,
            region=nullable(TEXT),
            postal_code=nullable(TEXT),
            tax_id=nullable(TEXT),
            is_business={"type": "boolean"},
        )
    ),
    created_at=TIME,
    paid_at=TIME,
    items={
        "type": "array",
        "items": obj(
            ["id", "asset_id", "licence", "size", "price_cents", "status"],
            id={"type": "integer"},
            asset_id={"type": "integer"},
            licence=TEXT,
            size=TEXT,
            price_cents={"type": "integer", "minimum": 0},
            status=TEXT,
            licence_id=nullable({"type": "integer"}),
        ),
    },
    licences={
        "type": "array",
        "items": obj(
            ["id", "asset_id", "licence", "size", "status", "download_url", "number", "verify_url"],
            id={"type": "integer"},
            asset_id={"type": "integer"},
            download_url=TEXT,
            number={"type": "string", "description": "The licence number, as on the certificate"},
            verify_url={"type": "string", "description": "The public verification address"},
        ),
    },
    payment=obj(["status"], payment_intent_id=nullable(TEXT), error=nullable(TEXT)),
)
PAYMENT: Schema = obj(
    ["status", "payment_intent_id", "client_secret", "error"],
    status={"type": "string", "enum": ["processing", "requires_action", "failed", "succeeded"]},
    payment_intent_id=nullable(TEXT),
    client_secret=nullable(TEXT),
    error=nullable(TEXT),
)
CART_LINE: Schema = obj(
    ["asset_id", "licence", "size"], asset_id={"type": "integer"}, licence=TEXT, size=TEXT
)

PREPARING: Schema = obj(
    ["status", "retry_after_s"],
    status={"type": "string", "enum": ["preparing"]},
    retry_after_s={"type": "integer", "minimum": 1},
    # How far a video's transcode is; absent (or null) before it starts, and for photos.
    progress_pct=nullable({"type": "integer", "minimum": 0, "maximum": 100}),
)


def _download() -> dict[str, Any]:
    operation = _op(
        "The file of the size licensed: 302 to a signed address that expires in minutes "
        "(the holder only; others 404; a refunded or disputed licence 410). The first download "
        "of a size answers 202 preparing while a worker makes its file: ask again after "
        "retry_after_s (progress_pct says how far a video's transcode is)",
        status=302,
        tag="licences",
        errors=(410,),
    )
    operation["responses"]["202"] = {
        "description": "The file is being prepared; ask again after retry_after_s seconds",
        "content": {"application/json": {"schema": PREPARING}},
    }
    return operation


# Stripe's convention: a client's key for one request, so that a retry makes nothing twice.
IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}

ORDER_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/orders": {
        "post": _op(
            "Order licences: {items: [{asset_id, licence, size}]}; prices from the server's table."
            " 409 already_licensed when the buyer holds a licence that covers one. With an"
            " Idempotency-Key header, the same key answers the same order (200); the same key"
            " with other items, another currency or another billing place is 422"
            " idempotency_key_reused. currency: one on sale (422"
            " currency_not_on_sale otherwise); without it, the account's chosen currency, else"
            " the one of its language (Accept-Language: fr -> EUR, en-GB -> GBP), else the"
            " settlement currency",
            body=_props(
                ["items"],
                items={"type": "array", "minItems": 1, "items": _LINE},
                currency={"type": "string", "pattern": "^[A-Za-z]{3}$"},
                billing=BILLING,
            ),
            status=201,
            also=(200,),
            tag="orders",
            returns=ORDER,
            params=[IDEMPOTENCY_KEY],
            errors=(404, 409),
        ),
        "get": _op(
            "The caller's orders, newest first",
            tag="orders",
            params=PAGE,
            returns=page_of(ORDER),
        ),
    },
    "/api/v1/orders/{order_id}": {
        "get": _op(
            "An order (its buyer or an admin), with its items and licences (download_url)",
            tag="orders",
            returns=ORDER,
        ),
    },
    "/api/v1/orders/{order_id}/payment": {
        "post": _op(
            "Pay with a Stripe PaymentMethod {payment_method: pm_...}: the server creates and"
            " confirms the PaymentIntent; status processing|requires_action|failed",
            body=_props(["payment_method"], payment_method={"type": "string", "minLength": 1}),
            tag="orders",
            returns=PAYMENT,
            errors=(409,),
        ),
    },
    "/api/v1/orders/{order_id}/payment/confirm": {
        "post": _op(
            "After 3-D Secure in the page (stripe.handleCardAction): the server confirms the"
            " PaymentIntent when Stripe waits for it; the same answer as /payment",
            tag="orders",
            returns=PAYMENT,
            errors=(409,),
        ),
    },
    "/api/v1/cart": {
        "get": _op(
            "The caller's cart",
            tag="orders",
            returns=obj(["items"], items={"type": "array", "items": CART_LINE}),
        )
    },
    "/api/v1/cart/items": {
        "post": _op(
            "Put an asset in the cart {asset_id, licence, size} (or change its licence and size)",
            body=_LINE,
            status=201,
            tag="orders",
            returns=CART_LINE,
            errors=(404, 409),
        ),
    },
    "/api/v1/cart/items/{asset_id}": {
        "delete": _op("Take an asset out of the cart", status=204, tag="orders"),
    },
    "/api/v1/cart/checkout": {
        "post": _optional_body(
            _op(
                "An order from everything in the cart, which empties it (an empty cart: 422)."
                " Checking out again (a double click, a retry) answers the order the cart"
                " became while it waits for payment (200); so does a repeated Idempotency-Key"
                " (with another currency or billing place: 422 idempotency_key_reused)."
                " An optional body {billing} says where the buyer is, for the tax (as for"
                " POST /api/v1/orders); without it no tax is charged. A body that is not a"
                " JSON object: 400",
                body=_props([], billing=BILLING),
                status=201,
                also=(200,),
                tag="orders",
                returns=ORDER,
                params=[IDEMPOTENCY_KEY],
                errors=(400, 404, 409, 422),
            )
        ),
    },
    "/api/v1/admin/orders/{order_id}/refund": {
        "post": _op(
            "Refund items {items: [item_id, ...]} (all that are left when omitted); 202, the"
            " order changes once Stripe confirms",
            auth="admin",
            body=_props([], items={"type": "array", "items": ID}),
            status=202,
            tag="admin",
            returns=obj(
                ["id", "order_id", "status", "items", "amount_cents", "currency"],
                id={"type": "integer"},
                order_id={"type": "integer"},
                status=TEXT,
                items={"type": "array", "items": {"type": "integer"}},
                amount_cents={"type": "integer", "minimum": 1},
                currency=TEXT,
            ),
            errors=(409,),
        ),
    },
    "/api/v1/admin/tax/report": {
        "get": _with_csv(
            _op(
                "Sales tax per jurisdiction and currency from period_start to period_end (dates,"
                " both included, UTC): taxable sales and tax of the orders paid, what refunds"
                " gave back, the net, and ledger_cents, the movement of the jurisdiction's"
                " 2300 account over the period (equal to net_tax_cents). CSV with"
                " Accept: text/csv",
                auth="admin",
                tag="admin",
                params=[
                    {
                        **query("period_start", {"type": "string", "format": "date"}),
                        "required": True,
                    },
                    {**query("period_end", {"type": "string", "format": "date"}), "required": True},
                ],
                returns=obj(
                    ["period_start", "period_end", "results"],
                    period_start={"type": "string", "format": "date"},
                    period_end={"type": "string", "format": "date"},
                    results={
                        "type": "array",
                        "items": obj(
                            [
                                "jurisdiction",
                                "currency",
                                "taxable_cents",
                                "tax_cents",
                                "refunded_taxable_cents",
                                "refunded_tax_cents",
                                "net_tax_cents",
                                "ledger_cents",
                            ],
                            jurisdiction=TEXT,
                            currency={"type": "string", "pattern": "^[A-Z]{3}$"},
                            taxable_cents={"type": "integer"},
                            tax_cents={"type": "integer"},
                            refunded_taxable_cents={"type": "integer"},
                            refunded_tax_cents={"type": "integer"},
                            net_tax_cents={"type": "integer"},
                            ledger_cents={"type": "integer"},
                        ),
                    },
                ),
            )
        ),
    },
}


LICENCE_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/licences/catalogue": {
        "get": _op(
            "The licence kinds on offer: what each permits, the sizes, the price table "
            "(cents, per asset kind and size) and the contributor's royalty rate",
            auth=None,
            tag="licences",
        ),
    },
    "/api/v1/licences/{licence_id}/download": {"get": _download()},
    "/api/v1/licences/{licence_id}/certificate": {
        "get": _op(
            "The licence certificate (PDF) with its verification address (the holder or an admin)",
            tag="licences",
            media=PDF,
        ),
    },
}
