"""The JSON API of earnings and royalty payouts (members and admins)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext

from marketplace.api_support import api_blueprint, api_user, token_required
from marketplace.errors import Forbidden
from marketplace.extensions import db
from marketplace.membership import leaving
from marketplace.membership.models import membership_of
from marketplace.payouts import earnings, queries, services
from marketplace.payouts.schemas import run_json

bp = api_blueprint("payouts_api", __name__)


@bp.get("/me/earnings")
@token_required()
def my_earnings() -> dict[str, Any]:
    """A member's earnings; a former member (resigned or expelled) still reads theirs."""
    user = api_user()
    member = membership_of(user)
    if member is None or not leaving.has_been_member(user):
        raise Forbidden(gettext("Only members receive royalties."), code="member_required")
    return earnings.earnings(db.session(), member.id, current_app.config["CURRENCY"]).as_json()


@bp.post("/me/payout-account")
@token_required("member")
def start_payout_account() -> dict[str, Any]:
    """Starts (or resumes) Stripe's onboarding for the member's payout account."""
    return {"onboarding_url": services.start_onboarding(api_user())}


@bp.post("/admin/royalty-payouts")
@token_required("admin")
def start_royalty_payouts() -> tuple[dict[str, Any], int]:
    run = queries.get_run(services.start_run(api_user()))
    return {"id": run.id, "status": run.status}, 202


@bp.get("/admin/royalty-payouts/<int:run_id>")
@token_required("admin")
def royalty_payout_run(run_id: int) -> dict[str, Any]:
    return run_json(queries.get_run(run_id))
