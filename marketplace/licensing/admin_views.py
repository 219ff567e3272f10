"""The admin pages of licence terms: current terms, their history, and saving a new version."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.errors import AppError, NotFound
from marketplace.extensions import db
from marketplace.licensing import services
from marketplace.licensing import terms as licence_terms
from marketplace.licensing.forms import TermsForm
from marketplace.licensing.labels import kind_name
from marketplace.membership import policy
from marketplace.web_support import form_status, role_required, show_error_on_form

bp = Blueprint("licensing_admin", __name__, url_prefix="/admin/licences")


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.get("/")
def index() -> str:
    session = db.session()
    catalogue = services.catalogue(session, current_app.config["CURRENCY"])
    history = {
        o.kind.code: licence_terms.terms_history(session, o.kind.code) for o in catalogue.kinds
    }
    return render_template("licensing/admin_index.html", catalogue=catalogue, history=history)


@bp.route("/<kind_code>", methods=["GET", "POST"])
def edit(kind_code: str) -> Response | tuple[str, int]:
    session = db.session()
    history = licence_terms.terms_history(session, kind_code)
    if not history:
        raise NotFound(gettext("There is no such licence."))
    current = history[0]
    form = TermsForm()
    if form.validate_on_submit():
        try:
            # A new royalty rate only with the vote or board decision that approved it.
            terms = policy.change_terms_with_royalty(
                current_user,
                kind_code,
                summary=form.summary.data or "",
                permits=form.permit_lines(),
                full_text=form.full_text.data or "",
                royalty_bps=form.royalty_bps(),
                surcharge_cents=form.surcharge_cents(),
                vote_id=form.royalty_vote_id.data,
                board_decision_ref=form.royalty_board_decision.data or "",
            )
        except AppError as error:
            show_error_on_form(form, error)
        else:
            flash(
                gettext(
                    "Saved as version %(version)s of the %(licence)s. It applies to sales from "
                    "now on; licences sold before keep the version they were sold under.",
                    version=terms.version,
                    licence=kind_name(terms.kind).lower(),
                ),
                "success",
            )
            return redirect(url_for("licensing_admin.edit", kind_code=kind_code))
    elif not form.is_submitted():
        form.fill_from(current)
    return render_template(
        "licensing/admin_edit.html", form=form, current=current, history=history
    ), form_status(form)
