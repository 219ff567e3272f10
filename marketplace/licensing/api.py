"""Licences in the JSON API: the catalogue anyone may read, downloads and certificates."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, redirect
from flask_babel import gettext
from werkzeug.wrappers import Response

from marketplace.api_support import api_blueprint, api_user, token_required
from marketplace.errors import Gone
from marketplace.extensions import db
from marketplace.licensing import renditions, services
from marketplace.licensing.delivery import certificate_response
from marketplace.licensing.schemas import catalogue_json

bp = api_blueprint("licensing_api", __name__)


@bp.get("/licences/catalogue")
def catalogue() -> dict[str, Any]:
    return catalogue_json(services.catalogue(db.session(), current_app.config["CURRENCY"]))


@bp.get("/licences/<int:licence_id>/download")
@token_required()
def download(licence_id: int) -> Response:
    """The holder is redirected to a signed, expiring address of the file of the size licensed;
    202 ``{status: "preparing", retry_after_s, progress_pct}`` while that size's rendition is
    first made (``progress_pct`` absent until a video's transcode says how far it is)."""
    licence = services.get_for(api_user(), licence_id)
    if licence.status == "refunded":
        raise Gone(
            gettext("This licence was refunded; its file can no longer be downloaded."),
            code="licence_refunded",
        )
    if licence.status == "disputed":
        raise Gone(
            gettext("This licence is suspended while a payment dispute is open."),
            code="licence_disputed",
        )
    if renditions.is_rendered(licence) and renditions.ready_rendition(licence) is None:
        answer: dict[str, Any] = {
            "status": "preparing",
            "retry_after_s": renditions.retry_after_s(licence),
        }
        if (progress_pct := renditions.progress_pct(licence)) is not None:
            answer["progress_pct"] = progress_pct
        response = jsonify(answer)
        response.status_code = 202
        response.headers["Retry-After"] = str(renditions.retry_after_s(licence))
        return response
    return redirect(services.download_url(licence), code=302)


@bp.get("/licences/<int:licence_id>/certificate")
@token_required()
def certificate(licence_id: int) -> Response:
    return certificate_response(services.get_for(api_user(), licence_id, admin_may=True))
