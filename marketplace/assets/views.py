"""Members' pages: upload with live progress and status, the portfolio, editing an asset."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.assets import asset_page, drafts, services, uploads
from marketplace.assets.forms import AssetDetailsForm, ReleaseForm
from marketplace.assets.schemas import media_url
from marketplace.assets.script_words import script_words
from marketplace.errors import AppError, Conflict, InvalidInput, error_response
from marketplace.membership.models import membership_of
from marketplace.membership.services import Upload
from marketplace.web_support import form_status, role_required, show_error_on_form
from marketplace.whole_numbers import page_arg, parse_whole_number

bp = Blueprint("portfolio", __name__)
# What a draft lacks before review, for the edit and describe pages.
bp.add_app_template_global(drafts.missing_for_review, "missing_for_review")
# The sentences of a page's script in the reader's language (its data-words).
bp.add_app_template_global(script_words, "script_words")


@bp.app_template_global("stored_sentence")
def stored_sentence(text: str | None) -> str:
    """A sentence the code stored in English (a failure's reason) in the reader's language when
    the catalogue has it (N_-marked where it is written), else as stored; "" for none."""
    return gettext(text) if text else ""


def _status_json(asset: Any) -> dict[str, Any]:
    return {
        "id": asset.id,
        "title": asset.title,
        "status": asset.status,
        "failure_reason": stored_sentence(asset.failure_reason) or None,
        "thumbnail_url": media_url(asset, "thumbnail"),
        "edit_url": url_for("portfolio.edit", asset_id=asset.id),
        "describe_url": url_for("assets.studio_drafts", _anchor=f"draft-{asset.id}"),
    }


@bp.get("/upload")
@role_required("member")
def upload_page() -> str:
    """The upload page states the limits (from config) before anyone picks a file."""
    config = uploads.current_app.config
    min_pixels = config["PHOTO_MIN_PIXELS"]
    # An example size at the minimum, in the 3:2 shape of most cameras.
    example_width = math.ceil(math.sqrt(min_pixels * 1.5))
    return render_template(
        "assets/upload.html",
        max_bytes=config["MAX_UPLOAD_BYTES"],
        min_megapixels=min_pixels / 1_000_000,
        min_example=(example_width, math.ceil(min_pixels / example_width)),
        video_max_minutes=config["VIDEO_MAX_SECONDS"] // 60,
        drafts_waiting=len(drafts.drafts_of(current_user)),
    )


@bp.post("/upload")
@role_required("member")
def upload_file() -> Any:
    """One file per request, sent by the upload page's script (session and CSRF header)."""
    file = request.files.get("file")
    if file is None or not file.filename:
        return error_response(422, "missing_field", gettext("Choose a file to upload."))
    try:
        asset = uploads.upload_asset(
            current_user,
            Upload(filename=file.filename, stream=file.stream),
            title=request.form.get("title", ""),
            keywords=request.form.get("keywords", ""),
        )
    except AppError as error:
        return error_response(error.status, error.code, error.message)
    return jsonify(_status_json(asset)), 202


@bp.get("/upload/status")
@role_required("member")
def upload_status() -> Any:
    numbers = (parse_whole_number(i.strip()) for i in request.args.get("ids", "").split(","))
    ids = [number for number in numbers if number is not None]
    return jsonify({"results": [_status_json(a) for a in services.statuses_of(current_user, ids)]})


@bp.get("/portfolio")
@role_required("member")
def index() -> str:
    status = request.args.get("status") or None
    page = page_arg()
    member = membership_of(current_user)
    assert member is not None  # noqa: S101 - the member role guarantees it
    return render_template(
        "assets/portfolio.html",
        assets=services.portfolio(member, page, 24, status),
        status=status,
    )


@bp.route("/portfolio/<int:asset_id>", methods=["GET", "POST"])
@role_required("member")
def edit(asset_id: int) -> Response | tuple[str, int]:
    asset = services.get_own(current_user, asset_id)
    form = AssetDetailsForm(
        data={
            "title": asset.title,
            "description": asset.description,
            "keywords": ", ".join(asset.keywords),
            "language": asset.language,
            "has_people": asset.has_people,
            "has_property": asset.has_property,
        }
    )
    if form.validate_on_submit():
        try:
            services.update_details(
                current_user,
                asset_id,
                title=form.title.data or "",
                description=form.description.data or "",
                keywords=form.keywords.data or "",
                has_people=bool(form.has_people.data),
                has_property=bool(form.has_property.data),
                language=form.language.data or None,
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("Saved."), "success")
            return redirect(url_for("portfolio.edit", asset_id=asset_id))
    return render_template(
        "assets/edit.html", asset=asset, form=form, release_form=ReleaseForm(formdata=None)
    ), form_status(form)


@bp.post("/portfolio/<int:asset_id>/releases")
@role_required("member")
def add_release(asset_id: int) -> Response | tuple[str, int]:
    asset = services.get_own(current_user, asset_id)
    form = ReleaseForm()
    if form.validate_on_submit():
        try:
            uploads.add_release(
                current_user,
                asset_id,
                form.kind.data or "",
                Upload(filename=form.file.data.filename or "release", stream=form.file.data.stream),
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("The release is attached."), "success")
            return redirect(url_for("portfolio.edit", asset_id=asset_id))
    details = AssetDetailsForm(formdata=None, obj=asset)
    details.keywords.data = ", ".join(asset.keywords)
    return render_template("assets/edit.html", asset=asset, form=details, release_form=form), 422


@bp.post("/portfolio/<int:asset_id>/submit")
@role_required("member")
def submit(asset_id: int) -> Response:
    """Send one draft (or rejected work) to the curators from its page."""
    try:
        asset = drafts.submit(current_user, asset_id)
    except (InvalidInput, Conflict) as error:
        flash(error.message, "warning")
    else:
        flash(
            gettext("“%(title)s” is sent to the curators for review.", title=asset.title),
            "success",
        )
    return redirect(url_for("portfolio.edit", asset_id=asset_id))


@bp.post("/portfolio/<int:asset_id>/withdraw")
@role_required("member")
def withdraw(asset_id: int) -> Response:
    asset = services.withdraw(current_user, asset_id)
    flash(
        gettext(
            "“%(title)s” is withdrawn from sale. Licences already sold stay valid.",
            title=asset.title,
        ),
        "info",
    )
    return redirect(url_for("portfolio.edit", asset_id=asset_id))


@bp.post("/portfolio/<int:asset_id>/restore")
@role_required("member")
def restore(asset_id: int) -> Response:
    asset = services.restore(current_user, asset_id)
    flash(gettext("“%(title)s” is back on sale.", title=asset.title), "success")
    return redirect(url_for("portfolio.edit", asset_id=asset_id))


@bp.get("/assets/<int:asset_id>")
@bp.get("/assets/<int:asset_id>-<slug>")
def detail(asset_id: int, slug: str | None = None) -> str | Response:
    """The public product page of an asset, at one canonical address: /assets/<id>-<slug>.

    Any other address of it (no slug, an old title's slug) 301-redirects there.
    """
    return asset_page.show(asset_id, slug)
