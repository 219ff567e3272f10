"""Licence pages: the plain-words explainer, verification, the holder's licences and downloads."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.errors import Forbidden, Gone, NotFound
from marketplace.extensions import db
from marketplace.licensing import labels, renditions, services
from marketplace.licensing.delivery import certificate_response, serve_licensed
from marketplace.licensing.models import Licence

bp = Blueprint("licensing", __name__)
bp.add_app_template_global(labels.licence_label, "licence_label")
bp.add_app_template_global(labels.kind_name, "kind_name")
bp.add_app_template_global(labels.licence_name, "licence_name_of")
bp.add_app_template_global(labels.licence_status_label, "licence_status_label")
bp.add_app_template_global(labels.terms_words, "terms_words")


def _refuse_unless_valid(licence: Licence) -> None:
    if licence.status == "refunded":
        raise Gone(gettext("This licence was refunded, so its file can no longer be downloaded."))
    if licence.status == "disputed":
        raise Forbidden(
            gettext(
                "Downloads of this licence are paused while a payment dispute is open. They "
                "come back if the dispute is settled in the licence's favour."
            )
        )


@bp.get("/licences")
def explained() -> str:
    return render_template(
        "licensing/licences.html",
        catalogue=services.catalogue(db.session(), current_app.config["CURRENCY"]),
    )


@bp.get("/licences/verify/<code>")
def verify(code: str) -> str:
    return render_template(
        "licensing/verify.html", licence=services.by_verification_code(code), code=code
    )


@bp.get("/licences/download/<token>")
def download(token: str) -> Response:
    """The signed, expiring address: the address itself is the holder's permission."""
    grant = services.read_download_token(token)
    licence = db.session.get(Licence, grant.licence_id)
    if licence is None or licence.holder_user_id != grant.holder_id:
        raise NotFound(gettext("That download address is not one of ours."))
    _refuse_unless_valid(licence)
    return serve_licensed(licence) or _preparing(licence)


@bp.get("/account/licences")
@login_required
def mine() -> str:
    return render_template(
        "licensing/mine.html", licences=services.licences_of(db.session(), current_user.id)
    )


@bp.get("/account/licences/<int:licence_id>/download")
@login_required
def download_mine(licence_id: int) -> Response:
    """A fresh signed address each time, so links on the page never go stale."""
    licence = services.get_for(current_user, licence_id)
    _refuse_unless_valid(licence)
    if renditions.is_rendered(licence) and renditions.ready_rendition(licence) is None:
        return _preparing(licence)
    return redirect(services.download_url(licence))


def _preparing(licence: Licence) -> Response:
    """The "Preparing your file…" page reloads itself until the file is ready, then the
    same address answers with the download."""
    page = render_template(
        "licensing/preparing.html",
        licence=licence,
        retry_after_s=renditions.retry_after_s(licence),
        progress_pct=renditions.progress_pct(licence),
        again_url=request.full_path.rstrip("?"),
    )
    response = Response(page, status=202, mimetype="text/html")
    response.headers["Retry-After"] = str(renditions.retry_after_s(licence))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/account/licences/<int:licence_id>/certificate")
@login_required
def certificate(licence_id: int) -> Response:
    return certificate_response(services.get_for(current_user, licence_id, admin_may=True))
