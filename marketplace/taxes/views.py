"""Pages: a member's tax profile and summary, and the admins' yearly tax summary."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from marketplace.errors import AppError, InvalidInput
from marketplace.extensions import db
from marketplace.ledger import display
from marketplace.taxes import services
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
    return {"money": display.money}


@bp.get("/")
@login_required
def profile() -> str:
    member = services.member_of(current_user)
    return render_template(
        "taxes/profile.html",
        profile=services.profile_of(db.session(), member.id),
        form=request.form,
        errors={},
    )


@bp.post("/")
@login_required
def save_profile() -> BaseResponse | tuple[str, int]:
    member = services.member_of(current_user)
    form = request.form
    try:
        services.save_profile(
            current_user,
            services.ProfileInput(
                legal_name=form.get("legal_name", ""),
                country=form.get("country", ""),
                tax_id=form.get("tax_id", ""),
            ),
        )
    except AppError as error:
        fields = error.fields if isinstance(error, InvalidInput) else {}
        if not fields:
            flash(error.message, "error")
        page = render_template(
            "taxes/profile.html",
            profile=services.profile_of(db.session(), member.id),
            form={k: v for k, v in form.items() if k != "tax_id"},
            errors=fields,
        )
        return page, error.status
    flash(
        gettext(
            "Your tax profile is saved. Only the last four characters of your tax id are shown."
        )
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
    return render_template("taxes/admin_summary.html", rows=rows, year=year)


@admin_bp.get("/summary.csv")
def summaries_csv() -> Response:
    year = services.parse_year(request.args.get("year"))
    rows = services.summaries(db.session(), year)
    return Response(
        services.summaries_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="tax-summary-{year}.csv"'},
    )
