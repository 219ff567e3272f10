"""OpenAPI paths: orders, the cart, payments, refunds and licences."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import _op, _props

ORDER_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/orders": {
        "post": _op(
            "Order licences: {items: [{asset_id, licence, size}]}; prices from the server's table."
            " 409 already_licensed when the buyer holds a licence that covers one",
            body=_props(["items"], items="array"),
            status=201,
            tag="orders",
        ),
        "get": _op("The caller's orders, newest first", tag="orders"),
    },
    "/api/v1/orders/{order_id}": {
        "get": _op(
            "An order (its buyer or an admin), with its items and licences (download_url)",
            tag="orders",
        ),
    },
    "/api/v1/orders/{order_id}/payment": {
        "post": _op(
            "Pay with a Stripe PaymentMethod {payment_method: pm_...}: the server creates and"
            " confirms the PaymentIntent; status processing|requires_action|failed",
            body=_props(["payment_method"], payment_method="string"),
            tag="orders",
        ),
    },
    "/api/v1/orders/{order_id}/payment/confirm": {
        "post": _op(
            "After 3-D Secure in the page (stripe.handleCardAction): the server confirms the"
            " PaymentIntent when Stripe waits for it; the same answer as /payment",
            tag="orders",
        ),
    },
    "/api/v1/cart": {"get": _op("The caller's cart", tag="orders")},
    "/api/v1/cart/items": {
        "post": _op(
            "Put an asset in the cart {asset_id, licence, size} (or change its licence and size)",
            body=_props(
                ["asset_id", "licence", "size"], asset_id="integer", licence="string", size="string"
            ),
            status=201,
            tag="orders",
        ),
    },
    "/api/v1/cart/items/{asset_id}": {
        "delete": _op("Take an asset out of the cart", status=204, tag="orders"),
    },
    "/api/v1/cart/checkout": {
        "post": _op(
            "An order from everything in the cart, which empties it", status=201, tag="orders"
        ),
    },
    "/api/v1/admin/orders/{order_id}/refund": {
        "post": _op(
            "Refund items {items: [item_id, ...]} (all that are left when omitted); 202, the"
            " order changes once Stripe confirms",
            auth="admin",
            body=_props([], items="array"),
            status=202,
            tag="admin",
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
    "/api/v1/licences/{licence_id}/download": {
        "get": _op(
            "The licensed original: 302 to a signed address that expires in minutes "
            "(the holder only; others 404; a refunded or disputed licence 410)",
            status=302,
            tag="licences",
        ),
    },
    "/api/v1/licences/{licence_id}/certificate": {
        "get": _op(
            "The licence certificate (PDF) with its verification address (the holder or an admin)",
            tag="licences",
        ),
    },
}
