"""``POST /webhooks/stripe`` and ``POST /webhooks/stripe/connect``: verify, store, queue,
answer. The work happens in a task."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request
from flask_babel import gettext

from marketplace.errors import AppError
from marketplace.extensions import csrf, limiter
from marketplace.payments import services
from marketplace.payments.gateway import InvalidSignature
from marketplace.payments.stripe_gateway import gateway

bp = Blueprint("stripe_webhooks", __name__)
# Stripe signs its requests; there is no browser session to protect.
csrf.exempt(bp)
# No limit applies here (there is no default limit); exempt, the limiter skips its per-request
# bookkeeping on the busiest endpoint. The signature keeps others out.
limiter.exempt(bp)


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
        raise BadSignature(gettext("The Stripe signature does not verify.")) from None
    fresh = services.record_event(event)
    return {"received": True, "duplicate": not fresh}, 200


def _connect_secret() -> str:
    config = current_app.config
    secret = config.get("STRIPE_CONNECT_WEBHOOK_SECRET")
    if not secret and config["PROFILE"] != "production":
        secret = config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        raise BadSignature(gettext("The Connect webhook secret is not configured."))
    return str(secret)


@bp.post("/webhooks/stripe/connect")
def stripe_connect_webhook() -> tuple[dict[str, Any], int]:
    """Events of connected accounts (account.updated) and of transfers to them."""
    payload = request.get_data(cache=False)
    try:
        event = gateway().verify_webhook(
            payload, request.headers.get("Stripe-Signature", ""), _connect_secret()
        )
    except InvalidSignature:
        raise BadSignature(gettext("The Stripe signature does not verify.")) from None
    fresh = services.record_event(event)
    return {"received": True, "duplicate": not fresh}, 200
