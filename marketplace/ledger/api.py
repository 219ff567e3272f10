"""Admin endpoints of the JSON API for the ledger."""

from __future__ import annotations

from typing import Any

from flask import current_app, request

from marketplace.api_support import api_blueprint, token_required
from marketplace.extensions import db
from marketplace.ledger import reports, services

bp = api_blueprint("ledger_api", __name__)


@bp.get("/admin/ledger/trial-balance")
@token_required("admin")
def trial_balance() -> dict[str, Any]:
    """Every account's balance (``?currency=``, the co-op's own by default); the two totals
    are always equal."""
    currency = reports.currency_from(request.args.get("currency"), current_app.config["CURRENCY"])
    return services.trial_balance(db.session(), currency).as_json()
