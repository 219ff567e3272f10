"""Lightbox pages: the owner's list and lightbox, saving from an asset page, and share links."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.errors import AppError, InvalidInput, NotFound
from marketplace.lightboxes import services
from marketplace.lightboxes.forms import LightboxForm, RenameForm, SaveToLightboxForm
from marketplace.lightboxes.models import MAX_NAME_CHARS
from marketplace.lightboxes.schemas import share_url
from marketplace.personal_parts import lightboxes_seen
from marketplace.web_support import form_status, show_error_on_form
from marketplace.whole_numbers import page_arg, parse_whole_number

bp = Blueprint("lightboxes", __name__)
PER_PAGE = 24


# The save form's name field takes what a lightbox's name holds.
bp.record_once(lambda state: state.app.jinja_env.globals.update(lightbox_name_max=MAX_NAME_CHARS))


@bp.app_template_global("lightbox_picker")
def lightbox_picker() -> list[tuple[int, str]] | None:
    """The viewer's lightboxes for an asset page's "Save to lightbox" form, (id, name); None
    when nobody is signed in. The form is written in its template (no WTForms object to
    build for a form that is only shown: ``add`` validates what is posted)."""
    if not current_user.is_authenticated:
        return None
    seen = lightboxes_seen(current_user.id)  # read with the asset page's sale state
    return services.picker(current_user) if seen is None else seen


def _index_page(form: LightboxForm) -> tuple[str, int]:
    page = page_arg()
    lightboxes = services.list_own(current_user, page, PER_PAGE)
    return render_template(
        "lightboxes/index.html",
        lightboxes=lightboxes,
        counts=services.item_counts(list(lightboxes.items)),
        form=form,
    ), form_status(form)


@bp.route("/lightboxes", methods=["GET", "POST"])
@login_required
def index() -> Response | tuple[str, int]:
    form = LightboxForm()
    if form.validate_on_submit():
        try:
            lightbox = services.create(current_user, form.name.data or "")
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext(
                    "“%(name)s” is ready. Save photos and videos to it from their pages.",
                    name=lightbox.name,
                )
            )
            return redirect(url_for("lightboxes.detail", lightbox_id=lightbox.id))
    return _index_page(form)


def _detail_page(lightbox_id: int, rename_form: RenameForm) -> tuple[str, int]:
    lightbox = services.get_own(current_user, lightbox_id)
    if request.method == "GET":
        rename_form.name.data = lightbox.name
    return render_template(
        "lightboxes/detail.html",
        lightbox=lightbox,
        items=list(lightbox.items),
        share_url=share_url(lightbox),
        rename_form=rename_form,
    ), form_status(rename_form)


@bp.get("/lightboxes/<int:lightbox_id>")
@login_required
def detail(lightbox_id: int) -> tuple[str, int]:
    return _detail_page(lightbox_id, RenameForm(formdata=None))


@bp.post("/lightboxes/<int:lightbox_id>/rename")
@login_required
def rename(lightbox_id: int) -> Response | tuple[str, int]:
    form = RenameForm()
    if form.validate_on_submit():
        try:
            services.rename(current_user, lightbox_id, form.name.data or "")
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(gettext("Renamed."), "success")
            return redirect(url_for("lightboxes.detail", lightbox_id=lightbox_id))
    return _detail_page(lightbox_id, form)


@bp.post("/lightboxes/<int:lightbox_id>/items/<int:asset_id>/remove")
@login_required
def remove_item(lightbox_id: int, asset_id: int) -> Response:
    try:
        services.remove_item(current_user, lightbox_id, asset_id)
    except NotFound:
        # A second click on the same button: the item is already gone, the lightbox is not.
        services.get_own(current_user, lightbox_id)
    flash(gettext("Removed from the lightbox."), "info")
    return redirect(url_for("lightboxes.detail", lightbox_id=lightbox_id))


@bp.post("/lightboxes/<int:lightbox_id>/items/<int:asset_id>/move")
@login_required
def move_item(lightbox_id: int, asset_id: int) -> Response:
    offset = {"up": -1, "down": 1}.get(request.form.get("direction", ""))
    if offset is None:
        raise InvalidInput(gettext("Move an item up or down."))
    services.move_item(current_user, lightbox_id, asset_id, offset)
    return redirect(url_for("lightboxes.detail", lightbox_id=lightbox_id, _anchor="items"))


@bp.post("/lightboxes/<int:lightbox_id>/share")
@login_required
def share(lightbox_id: int) -> Response:
    services.share(current_user, lightbox_id)
    flash(
        gettext("Anyone with the link can now see this lightbox. They cannot change it."),
        "success",
    )
    return redirect(url_for("lightboxes.detail", lightbox_id=lightbox_id, _anchor="sharing"))


@bp.post("/lightboxes/<int:lightbox_id>/unshare")
@login_required
def unshare(lightbox_id: int) -> Response:
    services.unshare(current_user, lightbox_id)
    flash(gettext("The link no longer works. Sharing again makes a new one."), "info")
    return redirect(url_for("lightboxes.detail", lightbox_id=lightbox_id, _anchor="sharing"))


@bp.post("/lightboxes/<int:lightbox_id>/delete")
@login_required
def delete(lightbox_id: int) -> Response:
    name = services.delete(current_user, lightbox_id)
    flash(gettext("“%(name)s” is deleted.", name=name), "info")
    return redirect(url_for("lightboxes.index"))


def _first_error(form: SaveToLightboxForm) -> str:
    if form.csrf_token.errors:
        return gettext("This form has expired. Please try again.")
    for errors in form.errors.values():
        return str(errors[0])
    return gettext("Please try again.")


@bp.post("/lightboxes/add")
@login_required
def add() -> Response:
    """The "Save to lightbox" form of an asset page: back to that page with the outcome."""
    form = SaveToLightboxForm()
    asset_id = parse_whole_number(form.asset_id.data or "")
    back = (
        url_for("portfolio.detail", asset_id=asset_id)
        if asset_id is not None
        else url_for("lightboxes.index")
    )
    if not form.validate_on_submit() or asset_id is None:
        flash(gettext("Not saved: %(reason)s", reason=_first_error(form)), "error")
        return redirect(back)
    new_name = (form.new_name.data or "").strip()
    chosen = parse_whole_number(form.lightbox_id.data or "")
    try:
        if new_name or chosen is None:
            added = services.add_to_new(current_user, new_name, asset_id)
        else:
            added = services.add_item(current_user, chosen, asset_id)
    except AppError as error:
        flash(gettext("Not saved: %(reason)s", reason=error.message), "error")
        return redirect(back)
    lightbox = added.item.lightbox
    if added.created:
        flash(gettext("Saved to “%(name)s”.", name=lightbox.name), "success")
    else:
        flash(gettext("It is already in “%(name)s”.", name=lightbox.name), "info")
    return redirect(back)


@bp.get("/lightboxes/shared/<token>")
def shared(token: str) -> str:
    """A shared lightbox, read-only, for anyone with the link: only work still for sale."""
    lightbox = services.get_shared(token)
    return render_template(
        "lightboxes/shared.html", lightbox=lightbox, assets=services.for_sale_assets(lightbox)
    )
