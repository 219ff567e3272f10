"""Curation pages: the review queue and the decision on one asset."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.assets import services
from marketplace.assets.forms import ReviewForm
from marketplace.assets.models import Asset
from marketplace.errors import AppError, NotFound
from marketplace.extensions import db
from marketplace.web_support import role_required, show_error_on_form
from marketplace.whole_numbers import page_arg, parse_whole_number

bp = Blueprint("curation", __name__, url_prefix="/admin/assets")


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.get("/")
def queue() -> str:
    member = request.args.get("member", "")
    page = page_arg()
    return render_template(
        "assets/review_queue.html",
        assets=services.review_queue(page, 24, parse_whole_number(member)),
        member=member,
    )


@bp.route("/<int:asset_id>", methods=["GET", "POST"])
def review(asset_id: int) -> Response | tuple[str, int]:
    asset = db.session.get(Asset, asset_id)
    if asset is None:
        raise NotFound(gettext("No such asset."))
    form = ReviewForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.review(
                current_user, asset_id, form.decision.data or "", form.reason.data or ""
            )
        except AppError as error:
            show_error_on_form(form, error)
            status = error.status
        else:
            if form.decision.data == "approve":
                done = gettext("“%(title)s” was published.", title=asset.title)
            else:
                done = gettext("“%(title)s” was rejected.", title=asset.title)
            flash(done, "success")
            return redirect(url_for("curation.queue"))
    elif request.method == "POST":
        status = 422
    return render_template("assets/review.html", asset=asset, form=form), status
