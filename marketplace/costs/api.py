"""The JSON API of operating costs (admins): record, list a year, pay an accrued one, reverse."""

from __future__ import annotations

from typing import Any

from marketplace.api_support import api_blueprint, api_user, json_body, text_field, token_required
from marketplace.costs import schemas, services
from marketplace.dividends.periods import today_utc
from marketplace.extensions import db
from marketplace.whole_numbers import query_int

bp = api_blueprint("costs_api", __name__)


@bp.post("/admin/costs")
@token_required("admin")
def record_cost() -> tuple[dict[str, Any], int]:
    """Posted at once, dated the day it was incurred; 409 when that day's books are closed."""
    row = services.record_cost(api_user(), schemas.cost_from_json(json_body()))
    return schemas.cost_json(row), 201


@bp.get("/admin/costs")
@token_required("admin")
def list_costs() -> dict[str, Any]:
    year = query_int("year", today_utc().year, 1900, 9999)
    return schemas.year_json(services.costs_of_year(db.session(), year))


@bp.get("/admin/costs/<int:cost_id>")
@token_required("admin")
def get_cost(cost_id: int) -> dict[str, Any]:
    return schemas.cost_json(services.get_cost(db.session(), cost_id))


@bp.post("/admin/costs/<int:cost_id>/reverse")
@token_required("admin")
def reverse_cost(cost_id: int) -> dict[str, Any]:
    reason = text_field(json_body(), "reason")
    return schemas.cost_json(services.reverse_cost(api_user(), cost_id, reason))


@bp.post("/admin/costs/<int:cost_id>/pay")
@token_required("admin")
def pay_cost(cost_id: int) -> dict[str, Any]:
    return schemas.cost_json(services.pay_accrued(api_user(), cost_id))
