"""Pages: a member's tax profile and summary, and the admins' yearly tax summary."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from marketplace.errors import AppError, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import display
from marketplace.taxes import interview, services, withholding_status
from marketplace.taxes.withholding import w8ben_expires_on
from marketplace.web_support import role_required

bp = Blueprint("taxes", __name__, url_prefix="/account/tax")
admin_bp = Blueprint("taxes_admin", __name__, url_prefix="/admin/taxes")


@admin_bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.context_processor
@admin_bp.context_processor
def tax_helpers() -> dict[str, Any]:
    return {"money": display.money, "pct": percent_of_bps}


def percent_of_bps(bps: int) -> str:
    """1250 basis points as "12.5" ("12,5" in French): the percentage, its own digits."""
    return display.decimal(Decimal(bps) / 100)


def _profile_page(form: Any, errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    member = services.member_of(current_user)
    profile = services.profile_of(db.session(), member.id)
    page = render_template(
        "taxes/profile.html",
        profile=profile,
        withholding=withholding_status.withholding_of(profile, withholding_status.today()),
        withholding_on=withholding_status.enabled(),
        expires_on=w8ben_expires_on(profile.signed_on) if profile and profile.signed_on else None,
        treaties=interview.treaty_choices(),
        form=form,
        errors=errors,
    )
    return page, status


@bp.get("/")
@login_required
def profile() -> tuple[str, int]:
    return _profile_page({}, {})


@bp.post("/")
@login_required
def save_profile() -> BaseResponse | tuple[str, int]:
    services.member_of(current_user)
    form = request.form
    try:
        interview.save_interview(
            current_user,
            interview.InterviewInput(
                form_type=form.get("form_type", ""),
                legal_name=form.get("legal_name", ""),
                tax_id=form.get("tax_id", ""),
                tin_type=form.get("tin_type", ""),
                country=form.get("country", ""),
                treaty_country=form.get("treaty_country", ""),
                treaty_article=form.get("treaty_article", ""),
                treaty_rate_bps=interview.percent_to_bps(form.get("treaty_rate", "")),
                signed_name=form.get("signed_name", ""),
                certified=form.get("certified") == "yes",
            ),
        )
    except AppError as error:
        fields = error.fields if isinstance(error, InvalidInput) else {}
        if not fields:
            flash(error.message, "error")
        typed = {k: v for k, v in form.items() if k != "tax_id"}
        return _profile_page(typed, fields, error.status)
    flash(
        gettext("Your tax form is saved. Only the last four characters of your tax id are shown.")
    )
    return redirect(url_for("taxes.profile"))


@bp.get("/summary")
@login_required
def summary() -> str:
    year = services.parse_year(request.args.get("year"))
    return render_template(
        "taxes/summary.html", summary=services.summary_for(current_user, year), year=year
    )


@admin_bp.get("/")
def summaries() -> str:
    year = services.parse_year(request.args.get("year"))
    rows = services.summaries(db.session(), year)
    return render_template(
        "taxes/admin_summary.html",
        rows=rows,
        year=year,
        profiles=services.profiles_by_member(db.session(), [r.member_id for r in rows]),
        today=withholding_status.today().isoformat(),
    )


@bp.get("/summary.csv")
@login_required
def summary_csv() -> Response:
    year = services.parse_year(request.args.get("year"))
    rows = [services.summary_for(current_user, year)]
    return Response(
        services.summaries_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="my-tax-figures-{year}.csv"'},
    )


@admin_bp.post("/profiles/<int:profile_id>/tin-verified")
def set_tin_verified(profile_id: int) -> BaseResponse:
    verified = request.form.get("verified") == "yes"
    interview.set_tin_verified(current_user, profile_id, verified)
    flash(gettext("The IRS TIN match is recorded.") if verified else gettext("TIN match cleared."))
    return redirect(url_for("taxes_admin.summaries", year=request.form.get("year", "")))


@admin_bp.post("/profiles/<int:profile_id>/b-notice")
def set_b_notice(profile_id: int) -> BaseResponse:
    """Record the IRS B notice of a W-9 (the date it was received) or clear it; a bad date is
    said on the page it came from."""
    clearing = request.form.get("clear") == "yes"
    back = redirect(url_for("taxes_admin.summaries", year=request.form.get("year", "")))
    try:
        received_on = interview.parse_b_notice_date(request.form.get("received_on"))
        if not clearing and received_on is None:
            raise InvalidInput(gettext("Give the date the B notice was received."))
        interview.set_b_notice(current_user, profile_id, None if clearing else received_on)
    except InvalidInput as error:
        flash(error.message, "error")
        return back
    flash(
        gettext("B notice cleared: nothing more is backup withheld for it.")
        if clearing
        else gettext("B notice recorded: the member's payments are backup withheld.")
    )
    return back


@admin_bp.get("/summary.csv")
def summaries_csv() -> Response:
    year = services.parse_year(request.args.get("year"))
    rows = services.summaries(db.session(), year)
    return Response(
        services.summaries_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="tax-summary-{year}.csv"'},
    )
