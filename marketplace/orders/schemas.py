"""Orders as JSON, in the contract's shape."""

from __future__ import annotations

from typing import Any

from flask import url_for

from marketplace.api_support import rfc3339
from marketplace.licensing.models import Licence
from marketplace.licensing.services import verification_url
from marketplace.orders.models import Order, OrderItem
from marketplace.orders.taxing import tax_json


def billing_json(order: Order) -> dict[str, Any] | None:
    if order.billing_country is None:
        return None
    return {
        "country": order.billing_country,
        "region": order.billing_region,
        "postal_code": order.billing_postal_code,
        "tax_id": order.billing_tax_id,
        "is_business": order.billing_is_business,
    }


def item_json(item: OrderItem) -> dict[str, Any]:
    return {
        "id": item.id,
        "asset_id": item.asset_id,
        "title": item.asset.title,
        "licence": item.licence,
        "size": item.size,
        "price_cents": item.price_cents,
        "tax_cents": item.tax_cents,
        "status": item.status,
        "licence_id": item.licence_id,
    }


def licence_entry(licence: Licence) -> dict[str, Any]:
    return {
        "id": licence.id,
        "asset_id": licence.asset_id,
        "licence": licence.kind_code,
        "size": licence.size,
        "status": licence.status,
        "download_url": url_for("licensing_api.download", licence_id=licence.id, _external=True),
        "number": licence.number,
        "verify_url": verification_url(licence),
        "certificate_url": url_for(
            "licensing_api.certificate", licence_id=licence.id, _external=True
        ),
    }


def order_json(order: Order, licences: list[Licence] | None = None) -> dict[str, Any]:
    return {
        "id": order.id,
        "status": order.status,
        "subtotal_cents": order.subtotal_cents,
        "tax_cents": order.tax_cents,
        "total_cents": order.total_cents,
        "currency": order.currency,
        "tax": tax_json(order),
        "tax_behavior": order.tax_behavior,
        "billing": billing_json(order),
        "created_at": rfc3339(order.created_at),
        "paid_at": rfc3339(order.paid_at),
        "items": [item_json(item) for item in order.items],
        "licences": [licence_entry(lic) for lic in licences or []],
        "payment": {
            "payment_intent_id": order.payment_intent_id,
            "status": order.payment_status,
            "error": order.payment_error or None,
        },
    }
