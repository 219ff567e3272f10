"""How assets appear in the API."""

from __future__ import annotations

from typing import Any

from flask import url_for

from marketplace.api_support import rfc3339
from marketplace.assets import media_links
from marketplace.assets.drafts import SUBMITTABLE, missing_for_review
from marketplace.assets.models import Asset
from marketplace.currencies import services as currencies
from marketplace.extensions import db


def media_url(asset: Asset, name: str, *, signed: bool = False) -> str | None:
    """The address of a derived file; ``signed`` adds a short-lived permission to the address
    itself (media_links), for a client that holds no session, e.g. an API client reading its own
    unpublished upload. Only give a signed address to someone who may see the asset."""
    key = {
        "thumbnail": asset.thumbnail_key,
        "preview": asset.preview_key,
        "poster": asset.poster_key,
    }[name]
    if not key:
        return None
    # The key is part of the URL, so a new rendering is a new address and old ones cache forever.
    version = key.rsplit("/", 1)[-1][:16]
    extra = media_links.sign(asset.id, name, key) if signed else {}
    return url_for("assets.media", asset_id=asset.id, name=name, v=version, _external=True, **extra)


def asset_json(
    asset: Asset, *, owner_view: bool = False, surcharges: dict[str, int] | None = None
) -> dict[str, Any]:
    """The asset as the API shows it. Callers only build it for someone who may see the asset
    (services.get_visible, the member's own lists, the curators' queue), so work that is not
    public gets signed media addresses: they open without cookies for MEDIA_URL_TTL_SECONDS.
    ``surcharges`` (``licensing.surcharges``) saves a query per asset when building a list."""
    signed = not asset.for_sale
    data: dict[str, Any] = {
        "id": asset.id,
        "kind": asset.kind,
        "status": asset.status,
        "title": asset.title,
        "description": asset.description,
        "keywords": list(asset.keywords),
        "language": asset.language,
        "width": asset.width,
        "height": asset.height,
        "orientation": asset.orientation,
        "preview_url": media_url(asset, "preview", signed=signed),
        "thumbnail_url": media_url(asset, "thumbnail", signed=signed),
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
            # The same prices as the asset page and checkout, in each currency on sale.
            for p in currencies.prices_in_every_currency(db.session(), asset, surcharges)
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
        data["poster_url"] = media_url(asset, "poster", signed=signed)
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
        data["missing_for_review"] = (
            missing_for_review(asset) if asset.status in SUBMITTABLE else {}
        )
        data["releases"] = [
            {"id": r.id, "kind": r.kind, "filename": r.filename, "size_bytes": r.size_bytes}
            for r in asset.releases
        ]
        data["duplicate_flags"] = [
            {"asset_id": f.similar_asset_id, "distance": f.distance} for f in asset.duplicate_flags
        ]
    return data
