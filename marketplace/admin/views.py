"""Admin pages: the membership review queue, people and roles, the audit log."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_decimal
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from marketplace.admin import services
from marketplace.audit import services as audit
from marketplace.errors import AppError
from marketplace.i18n.formats import reader_locale
from marketplace.membership import services as membership
from marketplace.membership.forms import DecisionForm
from marketplace.web_support import role_required, show_error_on_form
from marketplace.whole_numbers import page_arg

bp = Blueprint("admin", __name__, url_prefix="/admin")
APPLICATION_FILTERS = ("pending", "approved", "rejected", "withdrawn")


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.app_template_filter("short_date")
def short_date(day: date) -> str:
    """A day in a table cell, its time written beside it: "6 Dec 2026" (en), "6 déc. 2026" (fr)."""
    return format_date(day, "d MMM y", locale=reader_locale())


@bp.app_template_filter("fixed")
def fixed(scaled: int, digits: int) -> str:
    """A whole number of hundredths (``digits=2``) or tenths (``1``) written with exactly that
    many decimals in the reader's language: ``500|fixed(2)`` is "5.00" (en), "5,00" (fr)."""
    pattern = "0." + "0" * digits if digits else "0"
    return format_decimal(Decimal(scaled).scaleb(-digits), pattern, locale=reader_locale())


def _page() -> int:
    return page_arg()


@bp.get("/")
def dashboard() -> str:
    return render_template(
        "admin/dashboard.html",
        pending_count=membership.pending_count(),
        members=membership.list_members(1, 1),
        users=services.list_users(1, 1),
        recent=audit.browse(1, 8),
    )


@bp.get("/applications")
def applications() -> str:
    status = request.args.get("status", "pending")
    if status not in APPLICATION_FILTERS:
        status = "pending"
    return render_template(
        "admin/applications.html",
        applications=membership.list_applications(status, _page(), 25),
        status=status,
        filters=APPLICATION_FILTERS,
    )


def _decision_form() -> DecisionForm:
    form = DecisionForm()
    form.member_class.choices = [
        SelectChoice(c.code, c.name) for c in membership.list_member_classes()
    ]
    if not form.member_class.data:
        form.member_class.data = membership.DEFAULT_MEMBER_CLASS
    return form


@bp.route("/applications/<int:application_id>", methods=["GET", "POST"])
def application(application_id: int) -> Response | tuple[str, int]:
    application = membership.get_application_for(current_user, application_id)
    form = _decision_form()
    status = 200
    if form.validate_on_submit():
        try:
            membership.decide_application(
                current_user,
                application_id,
                form.decision.data or "",
                form.reason.data or "",
                form.member_class.data,
            )
        except AppError as error:
            show_error_on_form(form, error)
            status = error.status
        else:
            name = application.applicant.display_name
            flash(
                gettext("The application of %(name)s was approved.", name=name)
                if form.decision.data == "approve"
                else gettext("The application of %(name)s was rejected.", name=name),
                "success",
            )
            return redirect(url_for("admin.applications"))
    elif request.method == "POST":
        status = 422
    return render_template("admin/application.html", application=application, form=form), status


@bp.get("/users")
def users() -> str:
    query_text = request.args.get("q", "")
    role = request.args.get("role", "")
    return render_template(
        "admin/users.html",
        users=services.list_users(_page(), 25, query_text, role),
        q=query_text,
        role=role,
    )


@bp.post("/users/<int:user_id>/admin")
def set_admin(user_id: int) -> Response:
    grant = request.form.get("grant") == "1"
    try:
        user = services.set_admin_role(current_user, user_id, grant)
    except AppError as error:
        flash(error.message, "error")
    else:
        flash(
            gettext("%(name)s is now an admin.", name=user.display_name)
            if grant
            else gettext("%(name)s is no longer an admin.", name=user.display_name),
            "success",
        )
    return redirect(request.referrer or url_for("admin.users"))


@bp.get("/audit")
def audit_log() -> str:
    action = request.args.get("action") or None
    return render_template(
        "admin/audit.html",
        entries=audit.browse(_page(), 50, action=action),
        actions=audit.known_actions(),
        action=action,
    )


@bp.get("/member-classes")
def member_classes() -> str:
    return render_template("admin/member_classes.html", classes=membership.list_member_classes())
