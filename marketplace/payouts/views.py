"""Pages: a member's earnings and payout account; the admin's royalty payout runs."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from marketplace.database import utcnow
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.ledger import display
from marketplace.licensing.labels import licence_label
from marketplace.membership import leaving
from marketplace.payouts import core, earnings, queries, services
from marketplace.web_support import role_required
from marketplace.whole_numbers import page_arg

bp = Blueprint("payouts", __name__, url_prefix="/account/earnings")
admin_bp = Blueprint("payouts_admin", __name__, url_prefix="/admin/payouts")
RUNS_PER_PAGE = 25


@bp.before_request
@login_required
def require_member() -> None:
    """Every page here is for members, and for members who left (their earnings stay
    theirs to read)."""
    if not leaving.has_been_member(current_user):
        abort(403)


@admin_bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


def reason_words(reason: str) -> str:
    """A line's stored reason (English data) in the reader's language when it is the co-op's
    own words; Stripe's words as Stripe wrote them."""
    return gettext(reason) if reason == services.NO_ACCOUNT_REASON else reason


@bp.context_processor
@admin_bp.context_processor
def payout_helpers() -> dict[str, Any]:
    return {
        "reason_words": reason_words,
        "month_year": display.month_year,
        "status_label": display.status_label,
        "day": display.day,
        "licence_label": licence_label,
    }


@bp.get("")
def index() -> str:
    if request.args.get("payout_account") == "returned":
        # Back from Stripe: show the new state without waiting for the webhook.
        services.refresh_member_account(current_user)
    member = services.member_of(current_user)
    session = db.session()
    currency = current_app.config["CURRENCY"]
    account = services.payout_account(session, member.id)
    return render_template(
        "payouts/earnings.html",
        earnings=earnings.earnings(session, member.id, currency),
        bars=earnings.monthly_royalties(session, member.id, utcnow().date()),
        account=account,
        still_needed=[
            gettext(words)
            for words in core.describe_requirements(account.requirements_due if account else [])
        ],
        lines=queries.lines_of_member(session, member.id),
        capital=earnings.capital_history(session, member.id, currency),
        threshold_cents=services.threshold_cents(),
    )


@bp.get("/sales.csv")
def sales_csv() -> Response:
    member = services.member_of(current_user)
    return Response(
        stream_with_context(earnings.sales_csv(db.session(), member.id)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="sales.csv"'},
    )


@bp.post("/payout-account")
def connect() -> str | BaseResponse:
    try:
        url = services.start_onboarding(current_user)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("payouts.index"))
    # A page with the link rather than a redirect: the site's CSP (form-action 'self')
    # would stop a form's redirect to another site.
    return render_template("payouts/continue.html", onboarding_url=url)


@bp.get("/payout-account/refresh")
def refresh() -> BaseResponse:
    """Stripe sends the member here when an onboarding link expired: a fresh one."""
    try:
        return redirect(services.start_onboarding(current_user), 303)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("payouts.index"))


@admin_bp.get("")
def runs() -> str:
    page = page_arg()
    return render_template(
        "payouts/admin_runs.html",
        runs=queries.runs(page, RUNS_PER_PAGE),
        threshold_cents=services.threshold_cents(),
        currency=current_app.config["CURRENCY"],
    )


@admin_bp.post("")
def pay_now() -> BaseResponse:
    run_id = services.start_run(current_user)
    flash(gettext("Royalty payout run %(id)s is under way.", id=run_id), "success")
    return redirect(url_for("payouts_admin.run", run_id=run_id))


@admin_bp.get("/<int:run_id>")
def run(run_id: int) -> str:
    return render_template("payouts/admin_run.html", run=queries.get_run(run_id))


@admin_bp.post("/<int:run_id>/retry")
def retry(run_id: int) -> BaseResponse:
    try:
        count = services.retry_failed(run_id, current_user)
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext("%(count)s failed line(s) sent again.", count=count)
            if count
            else gettext("No failed line to retry.")
        )
    return redirect(url_for("payouts_admin.run", run_id=run_id))
