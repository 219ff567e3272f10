"""Lightboxes in the JSON API: a signed-in person's collections, and share links anyone may read.

Saving an asset that is already in the lightbox is not an error: the first save answers 201,
a repeated one 200, both with the same item body.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_babel import gettext

from marketplace.api_support import (
    api_blueprint,
    api_user,
    json_body,
    list_response,
    page_args,
    text_field,
    token_required,
)
from marketplace.errors import InvalidInput
from marketplace.lightboxes import services
from marketplace.lightboxes.schemas import item_json, lightbox_json, shared_json, summary_json
from marketplace.whole_numbers import json_id

bp = api_blueprint("lightboxes_api", __name__)


def _asset_id(value: Any, field: str = "asset_id") -> int:
    return json_id(value, field)


@bp.post("/lightboxes")
@token_required()
def create() -> tuple[dict[str, Any], int]:
    lightbox = services.create(api_user(), text_field(json_body(), "name"))
    return lightbox_json(lightbox), 201


@bp.get("/lightboxes")
@token_required()
def index() -> dict[str, Any]:
    page, per_page = page_args()
    pagination = services.list_own(api_user(), page, per_page)
    counts = services.item_counts(list(pagination.items))
    return list_response(
        pagination, [summary_json(lightbox, counts[lightbox.id]) for lightbox in pagination.items]
    )


@bp.get("/lightboxes/<int:lightbox_id>")
@token_required()
def get(lightbox_id: int) -> dict[str, Any]:
    return lightbox_json(services.get_own(api_user(), lightbox_id))


@bp.patch("/lightboxes/<int:lightbox_id>")
@token_required()
def rename(lightbox_id: int) -> dict[str, Any]:
    name = text_field(json_body(), "name")
    return lightbox_json(services.rename(api_user(), lightbox_id, name))


@bp.delete("/lightboxes/<int:lightbox_id>")
@token_required()
def delete(lightbox_id: int) -> Response:
    services.delete(api_user(), lightbox_id)
    return Response(status=204)


@bp.post("/lightboxes/<int:lightbox_id>/items")
@token_required()
def add_item(lightbox_id: int) -> tuple[dict[str, Any], int]:
    asset_id = _asset_id(json_body().get("asset_id"))
    added = services.add_item(api_user(), lightbox_id, asset_id)
    return item_json(added.item), 201 if added.created else 200


@bp.delete("/lightboxes/<int:lightbox_id>/items/<int:asset_id>")
@token_required()
def remove_item(lightbox_id: int, asset_id: int) -> Response:
    services.remove_item(api_user(), lightbox_id, asset_id)
    return Response(status=204)


@bp.put("/lightboxes/<int:lightbox_id>/order")
@token_required()
def reorder(lightbox_id: int) -> dict[str, Any]:
    asset_ids = json_body().get("asset_ids")
    if not isinstance(asset_ids, list):
        raise InvalidInput(
            gettext("'asset_ids' must be the list of the lightbox's asset ids, in the new order."),
            code="missing_field" if asset_ids is None else "invalid_input",
            fields={
                "asset_ids": gettext("Required.") if asset_ids is None else gettext("Invalid.")
            },
        )
    ordered = [_asset_id(value, "asset_ids") for value in asset_ids]
    return lightbox_json(services.reorder(api_user(), lightbox_id, ordered))


@bp.post("/lightboxes/<int:lightbox_id>/share")
@token_required()
def share(lightbox_id: int) -> dict[str, Any]:
    return lightbox_json(services.share(api_user(), lightbox_id))


@bp.delete("/lightboxes/<int:lightbox_id>/share")
@token_required()
def unshare(lightbox_id: int) -> dict[str, Any]:
    return lightbox_json(services.unshare(api_user(), lightbox_id))


@bp.get("/shared-lightboxes/<token>")
def shared(token: str) -> dict[str, Any]:
    """Anyone with the link, signed in or not, reads the lightbox; nobody changes it."""
    return shared_json(services.get_shared(token))
