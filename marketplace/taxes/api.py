"""The JSON API of a member's own tax summary."""

from __future__ import annotations

from typing import Any

from flask import request

from marketplace.api_support import api_blueprint, api_user, token_required
from marketplace.taxes import services

bp = api_blueprint("taxes_api", __name__)


@bp.get("/me/tax-summary")
@token_required()
def my_tax_summary() -> dict[str, Any]:
    """Royalties and patronage dividends paid to the caller in ``year`` (default: last year)."""
    year = services.parse_year(request.args.get("year"))
    return services.summary_for(api_user(), year).as_json()
