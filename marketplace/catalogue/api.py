"""``GET /api/v1/search``: published work only, in the contract's list shape."""

from __future__ import annotations

from typing import Any

from flask import request

from marketplace.api_support import api_blueprint, page_args
from marketplace.assets.schemas import asset_json
from marketplace.catalogue import services
from marketplace.extensions import db
from marketplace.licensing import services as licensing

bp = api_blueprint("catalogue_api", __name__)


@bp.get("/search")
def search() -> dict[str, Any]:
    page, per_page = page_args()
    results = services.search(services.filters_from_args(request.args), page, per_page)
    surcharges = licensing.surcharges(db.session())
    return {
        "total": results.total,
        "total_exact": results.total_exact,
        "page": results.page,
        "per_page": results.per_page,
        # Today's licence surcharges read once for the page, not once per result.
        "results": [asset_json(a, surcharges=surcharges) for a in results.assets],
        "did_you_mean": results.did_you_mean,
        "broader_searches": results.broader,
    }
