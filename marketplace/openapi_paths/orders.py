"""OpenAPI paths: orders, the cart, payments, refunds and licences."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import (
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
)

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
    # In the order's currency (the buyer's): the items' prices, the tax (none is charged
    # yet: 0 and an empty list), and what the buyer pays.
    subtotal_cents={"type": "integer", "minimum": 0},
    tax_cents={"type": "integer", "minimum": 0},
    total_cents={"type": "integer", "minimum": 0},
    currency={"type": "string", "pattern": "^[A-Z]{3}$"},
    tax={
        "type": "array",
        "items": obj(
            ["jurisdiction", "rate_bps", "amount_cents", "reverse_charge"],
            jurisdiction=TEXT,
            rate_bps={"type": "integer", "minimum": 0},
            amount_cents={"type": "integer", "minimum": 0},
            reverse_charge={"type": "boolean"},
        ),
    },
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
            " with other items is 422 idempotency_key_reused. currency: one on sale (422"
            " currency_not_on_sale otherwise); without it, the account's chosen currency, else"
            " the one of its language (Accept-Language: fr -> EUR, en-GB -> GBP), else the"
            " settlement currency",
            body=_props(
                ["items"],
                items={"type": "array", "minItems": 1, "items": _LINE},
                currency={"type": "string", "pattern": "^[A-Za-z]{3}$"},
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
        "post": _op(
            "An order from everything in the cart, which empties it (an empty cart: 422)."
            " Checking out again (a double click, a retry) answers the order the cart became"
            " while it waits for payment (200); so does a repeated Idempotency-Key",
            status=201,
            also=(200,),
            tag="orders",
            returns=ORDER,
            params=[IDEMPOTENCY_KEY],
            errors=(404, 409, 422),
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
