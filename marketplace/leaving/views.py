"""Pages: a member resigns; admins record an expulsion, see who left and who owes the co-op,
draft a leaver's redemption and write a debt off (after a second look at the figures)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response as BaseResponse

from marketplace.database import utcnow
from marketplace.dividends import member_redemptions
from marketplace.errors import AppError, NotFound
from marketplace.extensions import db
from marketplace.leaving.forms import ExpulsionForm, ResignationForm, WriteOffForm
from marketplace.ledger import member_debts
from marketplace.membership import leaving, policy
from marketplace.membership.models import Member, membership_of
from marketplace.membership.services import list_member_classes
from marketplace.web_support import role_required, show_error_on_form

bp = Blueprint("leaving", __name__, url_prefix="/account/membership")
admin_bp = Blueprint("leaving_admin", __name__, url_prefix="/admin/members-leaving")


@admin_bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.route("/leave", methods=["GET", "POST"])
@role_required("member")
def resign() -> BaseResponse | tuple[str, int] | str:
    form = ResignationForm()
    if form.validate_on_submit():
        try:
            leaving.resign(
                current_user,
                confirm=form.confirm.data is True,
                left_on=form.left_on.data,
                reason=form.reason.data or "",
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext("You have left the co-op. Your earnings and statements stay here."),
                "success",
            )
            return redirect(url_for("payouts.index"))
    status = 422 if request.method == "POST" else 200
    page = render_template("leaving/resign.html", form=form, member=membership_of(current_user))
    return (page, status) if status != 200 else page


@bp.get("/policy-history")
@login_required
def policy_history() -> str:
    """The member classes' shares now, and every change with what approved it."""
    if not (current_user.is_admin or leaving.has_been_member(current_user)):
        abort(403)
    session = db.session()
    return render_template(
        "leaving/policy_history.html",
        classes=list_member_classes(),
        changes=policy.history(session),
    )


def _member(number: int) -> Member:
    member = db.session.query(Member).filter(Member.member_number == number).one_or_none()
    if member is None:
        raise NotFound(gettext("No such member."))
    return member


@admin_bp.route("", methods=["GET", "POST"])
def index() -> BaseResponse | tuple[str, int] | str:
    form = ExpulsionForm()
    if form.validate_on_submit():
        try:
            member = leaving.expel(
                current_user,
                form.member_number.data or 0,
                left_on=form.left_on.data,
                board_decision_ref=form.board_decision_ref.data or "",
                reason=form.reason.data or "",
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext("Member %(number)s's expulsion is recorded.", number=member.member_number),
                "success",
            )
            return redirect(url_for("leaving_admin.index"))
    session = db.session()
    currency = current_app.config["CURRENCY"]
    owed = member_debts.owed_by_member(session, currency)
    owing = session.query(Member).filter(Member.id.in_(list(owed))).all() if owed else []
    page = render_template(
        "leaving/admin.html",
        form=form,
        former=leaving.former_members(session),
        owing=sorted(owing, key=lambda m: m.member_number),
        owed=owed,
        currency=currency,
        due_on=member_redemptions.redemption_due_on,
        today=utcnow().date(),
    )
    return (page, 422) if request.method == "POST" else page


@admin_bp.post("/<int:member_number>/redemption")
def draft_redemption(member_number: int) -> BaseResponse:
    try:
        run = member_redemptions.draft_member_redemption(current_user, member_number)
    except AppError as error:
        flash(error.message, "error")
        return redirect(url_for("leaving_admin.index"))
    flash(gettext("Drafted: another admin approves it before it is paid."), "success")
    return redirect(url_for("dividends_admin.redemption", run_id=run.id))


@admin_bp.route("/<int:member_number>/write-off", methods=["GET", "POST"])
def write_off(member_number: int) -> BaseResponse | tuple[str, int] | str:
    """Two steps: the amount and reason, then the figures to confirm (sent with what the
    admin saw owed, so a debt that changed meanwhile is not written off)."""
    member = _member(member_number)
    currency = current_app.config["CURRENCY"]
    owed = member_debts.owed_cents(db.session(), member.id, currency)
    form = WriteOffForm()
    confirming = request.form.get("step") == "confirm"
    if form.validate_on_submit():
        if not confirming:
            return render_template(
                "leaving/write_off.html", form=form, member=member, owed=owed,
                currency=currency, confirm=True,
            )  # fmt: skip
        try:
            member_debts.write_off(
                current_user,
                member_number,
                form.amount_cents.data or 0,
                form.reason.data or "",
                currency,
                expected_owed_cents=int(request.form.get("owed_cents", "-1") or -1),
            )
        except (AppError, ValueError) as error:
            flash(getattr(error, "message", str(error)), "error")
            return redirect(url_for("leaving_admin.write_off", member_number=member_number))
        flash(gettext("Written off for member %(number)s.", number=member_number), "success")
        return redirect(url_for("leaving_admin.index"))
    page = render_template(
        "leaving/write_off.html", form=form, member=member, owed=owed, currency=currency,
        confirm=False,
    )  # fmt: skip
    return (page, 422) if request.method == "POST" else page
