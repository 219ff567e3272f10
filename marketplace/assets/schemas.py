"""How assets appear in the API."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for

from marketplace.api_support import rfc3339
from marketplace.assets.models import Asset
from marketplace.extensions import db
from marketplace.licensing import services as licensing


def media_url(asset: Asset, name: str) -> str | None:
    key = {
        "thumbnail": asset.thumbnail_key,
        "preview": asset.preview_key,
        "poster": asset.poster_key,
    }[name]
    if not key:
        return None
    # The key is part of the URL, so a new rendering is a new address and old ones cache forever.
    return url_for(
        "assets.media", asset_id=asset.id, name=name, v=key.rsplit("/", 1)[-1][:16], _external=True
    )


def asset_json(asset: Asset, *, owner_view: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": asset.id,
        "kind": asset.kind,
        "status": asset.status,
        "title": asset.title,
        "description": asset.description,
        "keywords": list(asset.keywords),
        "width": asset.width,
        "height": asset.height,
        "orientation": asset.orientation,
        "preview_url": media_url(asset, "preview"),
        "thumbnail_url": media_url(asset, "thumbnail"),
        "contributor": {
            "id": asset.member.member_number,
            "display_name": asset.member.display_name,
        },
        "prices": [
            {
                "licence": p.licence,
                "size": p.size,
                "amount_cents": p.amount_cents,
                "currency": p.currency,
            }
            # The licensing service's prices: the same as the asset page and checkout.
            for p in licensing.asset_prices(db.session(), asset, current_app.config["CURRENCY"])
        ]
        if asset.for_sale
        else [],
        "rejection_reason": asset.rejection_reason or None,
        "editorial_only": asset.editorial_only,
        "has_people": asset.has_people,
        "has_property": asset.has_property,
        "for_sale": asset.for_sale,
        "dominant_colours": list(asset.dominant_colours),
        "camera": asset.camera,
        "lens": asset.lens,
        "taken_at": rfc3339(asset.taken_at),
        "published_at": rfc3339(asset.published_at),
        "created_at": rfc3339(asset.created_at),
    }
    if asset.kind == "video":
        data["duration_s"] = asset.duration_ms / 1000 if asset.duration_ms is not None else None
        data["poster_url"] = media_url(asset, "poster")
        data["frame_rate"] = asset.frame_rate
        data["codec"] = asset.codec
    if owner_view:
        data["failure_reason"] = asset.failure_reason or None
        data["withdrawn"] = asset.withdrawn_at is not None
        data["original"] = {
            "filename": asset.original_filename,
            "content_type": asset.original_mime,
            "size_bytes": asset.original_size_bytes,
            "sha256": asset.original_sha256,
        }
        data["suggested"] = asset.suggested
        data["releases"] = [
            {"id": r.id, "kind": r.kind, "filename": r.filename, "size_bytes": r.size_bytes}
            for r in asset.releases
        ]
        data["duplicate_flags"] = [
            {"asset_id": f.similar_asset_id, "distance": f.distance} for f in asset.duplicate_flags
        ]
    return data
