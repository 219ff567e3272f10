"""How lightboxes appear in the API.

Items show the public view of their asset. An item whose asset is no longer for sale keeps its
``asset_id`` (so that the owner can remove it) but ``asset`` is null: withdrawn or unpublished
work is not shown to anyone but its member.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from marketplace.api_support import rfc3339
from marketplace.assets.schemas import asset_json
from marketplace.lightboxes.models import Lightbox, LightboxItem


def share_url(lightbox: Lightbox) -> str | None:
    if lightbox.share_token is None:
        return None
    return url_for("lightboxes.shared", token=lightbox.share_token, _external=True)


def summary_json(lightbox: Lightbox, item_count: int) -> dict[str, Any]:
    return {
        "id": lightbox.id,
        "name": lightbox.name,
        "item_count": item_count,
        "shared": lightbox.share_token is not None,
        "share_url": share_url(lightbox),
        # For GET /api/v1/shared-lightboxes/{token}, the JSON twin of the link.
        "share_token": lightbox.share_token,
        "created_at": rfc3339(lightbox.created_at),
        "updated_at": rfc3339(lightbox.updated_at),
    }


def item_json(item: LightboxItem) -> dict[str, Any]:
    available = item.asset.for_sale
    return {
        "asset_id": item.asset_id,
        "position": item.position,
        "added_at": rfc3339(item.added_at),
        "available": available,
        "asset": asset_json(item.asset) if available else None,
    }


def lightbox_json(lightbox: Lightbox) -> dict[str, Any]:
    """The owner's view: every item in order, including those no longer for sale."""
    items = list(lightbox.items)
    return {**summary_json(lightbox, len(items)), "items": [item_json(i) for i in items]}


def shared_json(lightbox: Lightbox) -> dict[str, Any]:
    """What anyone with the link sees: the name and the items still for sale, nothing private."""
    items = [item for item in lightbox.items if item.asset.for_sale]
    return {
        "name": lightbox.name,
        "item_count": len(items),
        "updated_at": rfc3339(lightbox.updated_at),
        "items": [item_json(item) for item in items],
    }
