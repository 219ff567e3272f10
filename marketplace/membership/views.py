"""Membership pages: applying to join, application status, the member directory and profiles."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.errors import AppError
from marketplace.membership import services
from marketplace.membership.forms import ApplicationForm, ProfileForm
from marketplace.membership.models import membership_of
from marketplace.storage import get_storage
from marketplace.web_support import form_status, role_required, show_error_on_form
from marketplace.whole_numbers import page_arg

bp = Blueprint("membership", __name__)


@bp.route("/membership/apply", methods=["GET", "POST"])
@login_required
def apply() -> Response | tuple[str, int]:
    member = membership_of(current_user)
    if member is not None and current_user.is_member:
        flash(gettext("You are already a member of the co-op."), "info")
        return redirect(url_for("membership.profile", member_number=member.member_number))
    pending = services.open_application(current_user)
    if pending is not None:
        return redirect(url_for("membership.application", application_id=pending.id))
    form = ApplicationForm()
    if form.validate_on_submit():
        uploads = [
            services.Upload(filename=f.filename or "image", stream=f.stream)
            for f in request.files.getlist(form.samples.name)
            if f.filename
        ]
        try:
            application = services.submit_application(
                current_user,
                form.statement.data or "",
                form.portfolio_url.data or "",
                uploads,
                patronage_consent=bool(form.patronage_consent.data),
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("Thank you! Your application is with the membership team."), "success")
            return redirect(url_for("membership.application", application_id=application.id))
    return render_template(
        "membership/apply.html", form=form, classes=services.list_member_classes()
    ), form_status(form)


@bp.get("/membership/applications/<int:application_id>")
@login_required
def application(application_id: int) -> str:
    return render_template(
        "membership/application.html",
        application=services.get_application_for(current_user, application_id),
    )


@bp.post("/membership/applications/<int:application_id>/withdraw")
@login_required
def withdraw(application_id: int) -> Response:
    services.withdraw_application(current_user, application_id)
    flash(gettext("Your application was withdrawn. You can apply again at any time."), "info")
    return redirect(url_for("accounts.account"))


@bp.get("/membership/applications/<int:application_id>/samples/<int:sample_id>")
@login_required
def sample(application_id: int, sample_id: int) -> Response:
    """A sample image, to its applicant and admins only."""
    application = services.get_application_for(current_user, application_id)
    sample = services.get_sample(application, sample_id)
    # The pipeline's upright JPEG renderings when asked for and ready; else the original.
    variant = {"thumbnail": sample.thumbnail_key, "preview": sample.preview_key}.get(
        request.args.get("variant", "")
    )
    response = send_file(
        get_storage().open(variant or sample.storage_key),
        mimetype="image/jpeg" if variant else sample.content_type,
        download_name=sample.original_filename,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/members")
def directory() -> str:
    page = page_arg()
    query_text = request.args.get("q", "")
    return render_template(
        "membership/directory.html",
        members=services.list_members(max(page, 1), 24, query_text),
        q=query_text,
    )


@bp.get("/members/<int:member_number>")
def profile(member_number: int) -> str:
    """A member's profile, which is also their portfolio: their work for sale, newest first."""
    from marketplace.catalogue.pages import contributor_work

    member = services.get_member(member_number)
    page = page_arg()
    return render_template(
        "membership/profile.html", member=member, work=contributor_work(member, page)
    )


@bp.route("/account/profile", methods=["GET", "POST"])
@role_required("member")
def edit_profile() -> Response | tuple[str, int]:
    member = membership_of(current_user)
    assert member is not None  # noqa: S101 - the member role guarantees it
    form = ProfileForm(
        data={
            "display_name": current_user.display_name,
            "location": member.location,
            "portfolio_url": member.portfolio_url,
            "bio": member.bio,
        }
    )
    if form.validate_on_submit():
        try:
            services.update_profile(
                current_user,
                form.display_name.data or "",
                form.bio.data or "",
                form.location.data or "",
                form.portfolio_url.data or "",
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("Your profile is saved."), "success")
            return redirect(url_for("membership.profile", member_number=member.member_number))
    return render_template("membership/edit_profile.html", form=form, member=member), form_status(
        form
    )
