"""Serving derived files (thumbnails, previews, posters) and private releases.

Derived files live under fresh names, so a published asset's files are cached for a year.
Originals are never served here.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from marketplace.assets import services
from marketplace.assets.models import Asset
from marketplace.storage import get_storage

bp = Blueprint("assets", __name__)
MEDIA_NAMES = {"thumbnail": "image/jpeg", "preview": None, "poster": "image/jpeg"}


def _key(asset: Asset, name: str) -> str | None:
    return {
        "thumbnail": asset.thumbnail_key,
        "preview": asset.preview_key,
        "poster": asset.poster_key,
    }[name]


def _serve(key: str, mimetype: str, *, public: bool, filename: str | None = None) -> Response:
    storage = get_storage()
    if current_app.config.get("MEDIA_SERVE_MODE") == "presigned":
        url = storage.url(
            key, expires_s=current_app.config["MEDIA_URL_TTL_SECONDS"], content_type=mimetype
        )
        if url:
            return redirect(url)
    # Streamed from whichever backend, with ETag and byte ranges (browsers seek videos so).
    response = Response(
        wrap_file(request.environ, storage.open(key)), mimetype=mimetype, direct_passthrough=True
    )
    size = storage.size(key)
    response.content_length = size
    response.set_etag(key.rsplit("/", 1)[-1])
    if filename is not None:
        response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.make_conditional(request, accept_ranges=True, complete_length=size)
    response.headers["Cache-Control"] = (
        "public, max-age=31536000, immutable" if public else "private, max-age=0, must-revalidate"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/assets/<int:asset_id>/media/<name>")
def media(asset_id: int, name: str) -> Response:
    if name not in MEDIA_NAMES:
        abort(404)
    asset = services.get_visible(current_user, asset_id)
    key = _key(asset, name)
    if key is None:
        abort(404)
    mimetype = MEDIA_NAMES[name] or ("video/mp4" if key.endswith(".mp4") else "image/jpeg")
    return _serve(key, mimetype, public=asset.for_sale)


@bp.get("/assets/<int:asset_id>/releases/<int:release_id>")
def release(asset_id: int, release_id: int) -> Response:
    """A signed release: personal data, for its member and admins only."""
    if not current_user.is_authenticated:
        abort(404)
    asset = services.get_visible(current_user, asset_id)
    if not (current_user.is_admin or asset.member.user_id == current_user.id):
        abort(404)
    found = next((r for r in asset.releases if r.id == release_id), None)
    if found is None:
        abort(404)
    return _serve(found.storage_key, found.content_type, public=False, filename=found.filename)
