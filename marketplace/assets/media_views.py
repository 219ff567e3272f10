"""Serving derived files (thumbnails, previews, posters) and private releases.

Derived files live under fresh names, so a published asset's files are cached for a year.
Originals are never served here. Work that is not public is served to whoever may see it by
their session, or to anyone holding a signed address from the API (media_links) until it expires.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response
from werkzeug.wsgi import wrap_file

from marketplace.assets import media_links, services
from marketplace.assets.models import Asset
from marketplace.assets.studio_views import add_studio_routes
from marketplace.extensions import db
from marketplace.storage import get_storage

bp = Blueprint("assets", __name__)
add_studio_routes(bp)
MEDIA_NAMES = {"thumbnail": "image/jpeg", "preview": None, "poster": "image/jpeg"}


def _key(asset: Asset, name: str) -> str | None:
    return {
        "thumbnail": asset.thumbnail_key,
        "preview": asset.preview_key,
        "poster": asset.poster_key,
    }[name]


def _serve(
    key: str,
    mimetype: str,
    *,
    public: bool,
    filename: str | None = None,
    private_max_age: int = 0,
) -> Response:
    """The file, streamed or by a presigned storage link. ``private_max_age`` (a signed
    address's remaining seconds) lets the holder's browser keep it that long, never longer."""
    storage = get_storage()
    if current_app.config.get("MEDIA_SERVE_MODE") == "presigned":
        ttl = current_app.config["MEDIA_URL_TTL_SECONDS"]
        url = storage.url(
            key,
            expires_s=min(ttl, private_max_age) if private_max_age else ttl,
            content_type=mimetype,
        )
        if url:
            response = redirect(url)
            if not public:
                # The link inside expires: neither this answer nor a shared cache may outlive it.
                response.headers["Cache-Control"] = f"private, max-age={private_max_age}"
            return response
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
    if public:
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    elif private_max_age:
        response.headers["Cache-Control"] = f"private, max-age={private_max_age}"
    else:
        response.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/assets/<int:asset_id>/media/<name>")
def media(asset_id: int, name: str) -> Response:
    if name not in MEDIA_NAMES:
        abort(404)
    if "signature" in request.args:
        return _signed_media(asset_id, name)
    asset = services.get_visible(current_user, asset_id)
    key = _key(asset, name)
    if key is None:
        abort(404)
    return _serve(key, _mimetype(name, key), public=asset.for_sale)


def _mimetype(name: str, key: str) -> str:
    return MEDIA_NAMES[name] or ("video/mp4" if key.endswith(".mp4") else "image/jpeg")


def _signed_media(asset_id: int, name: str) -> Response:
    """A derived file by a signed address: the address is the permission, not the session."""
    asset = db.session.get(Asset, asset_id)
    key = _key(asset, name) if asset is not None else None
    remaining = media_links.check(
        asset_id, name, key, request.args.get("expires", ""), request.args.get("signature", "")
    )
    if asset is None or key is None:  # check() has refused these already; this tells mypy
        abort(403)
    # Private even if published since: each signed address is one client's, so caches gain nothing.
    return _serve(key, _mimetype(name, key), public=False, private_max_age=remaining)


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
