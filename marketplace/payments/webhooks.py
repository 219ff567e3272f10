"""``POST /webhooks/stripe``: verify, store, queue, answer. The work happens in a task."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from marketplace.errors import AppError
from marketplace.extensions import csrf
from marketplace.payments import services
from marketplace.payments.gateway import InvalidSignature
from marketplace.payments.stripe_gateway import gateway

bp = Blueprint("stripe_webhooks", __name__)
# Stripe signs its requests; there is no browser session to protect.
csrf.exempt(bp)


class BadSignature(AppError):
    status = 400
    code = "bad_signature"


@bp.post("/webhooks/stripe")
def stripe_webhook() -> tuple[dict[str, Any], int]:
    # The signature covers the raw bytes: read them before anything parses the body.
    payload = request.get_data(cache=False)
    try:
        event = gateway().verify_webhook(payload, request.headers.get("Stripe-Signature", ""))
    except InvalidSignature:
        raise BadSignature("The Stripe signature does not verify.") from None
    fresh = services.record_event(event)
    return {"received": True, "duplicate": not fresh}, 200
