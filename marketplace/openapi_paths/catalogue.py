"""OpenAPI paths: the catalogue (assets, releases, search, review) and lightboxes."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import _op, _props

ASSET_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/assets": {
        "post": _op(
            "Upload a photo or video (multipart: file, title, description, keywords, has_people,"
            " has_property); answers 202 while it is processed",
            auth="member",
            status=202,
            multipart=True,
            tag="assets",
            body={
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "title": {"type": "string"},
                    "description": {"type": "string"},
                    "keywords": {"type": "string", "description": "comma-separated"},
                    "has_people": {"type": "boolean"},
                    "has_property": {"type": "boolean"},
                },
            },
        ),
    },
    "/api/v1/assets/{asset_id}": {
        "get": _op("An asset (unpublished: its member and admins only)", tag="assets"),
        "patch": _op(
            "Edit title, description, keywords, people/property flags",
            auth="member",
            tag="assets",
            body=_props(
                [],
                title="string",
                description="string",
                has_people="boolean",
                has_property="boolean",
            ),
        ),
        "delete": _op("Withdraw from sale (sold licences stay valid)", auth="member", tag="assets"),
    },
    "/api/v1/assets/{asset_id}/releases": {
        "post": _op(
            "Attach a model or property release (multipart: kind, file)",
            auth="member",
            status=201,
            multipart=True,
            tag="assets",
            body={
                "required": ["kind", "file"],
                "properties": {
                    "kind": {"type": "string"},
                    "file": {"type": "string", "format": "binary"},
                },
            },
        ),
    },
    "/api/v1/search": {
        "get": _op(
            'Published work, best match first: ?q= (words AND, "phrases", -exclusions), kind,'
            " orientation (landscape|portrait|square|panoramic), contributor (member number),"
            " people (yes|no), min_mp, added_since (YYYY-MM-DD),"
            " sort (relevance|newest|most_licensed), page, per_page. The newest 5,000 matches"
            " are ranked (1,000 for a search with a quoted phrase on the embedded SQLite"
            " engine); past them total is a lower bound or an estimate (total_exact false).",
            auth=None,
            tag="catalogue",
        ),
    },
    "/api/v1/me/assets": {
        "get": _op("The caller's portfolio (?status=)", auth="member", tag="assets")
    },
    "/api/v1/admin/assets": {
        "get": _op("Assets waiting for review, oldest first (?member=)", auth="admin", tag="admin"),
    },
    "/api/v1/admin/assets/{asset_id}/review": {
        "post": _op(
            "Publish or reject an asset",
            auth="admin",
            tag="admin",
            body=_props(["decision"], decision="string", reason="string"),
        ),
    },
}


LIGHTBOX_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/lightboxes": {
        "post": _op(
            "Create a lightbox (a private, saved collection)",
            status=201,
            tag="lightboxes",
            body=_props(["name"], name="string"),
        ),
        "get": _op(
            "The caller's lightboxes, last changed first (page, per_page)", tag="lightboxes"
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}": {
        "get": _op("One of the caller's lightboxes with its items in order", tag="lightboxes"),
        "patch": _op("Rename a lightbox", tag="lightboxes", body=_props(["name"], name="string")),
        "delete": _op("Delete a lightbox and its share link", status=204, tag="lightboxes"),
    },
    "/api/v1/lightboxes/{lightbox_id}/items": {
        "post": _op(
            "Save an asset for sale to the end of a lightbox: 201, or 200 if it is already there",
            status=201,
            tag="lightboxes",
            body=_props(["asset_id"], asset_id="integer"),
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}/items/{asset_id}": {
        "delete": _op("Remove an asset from a lightbox", status=204, tag="lightboxes"),
    },
    "/api/v1/lightboxes/{lightbox_id}/order": {
        "put": _op(
            "Reorder: every asset id of the lightbox once, in the new order",
            tag="lightboxes",
            body={
                "required": ["asset_ids"],
                "properties": {"asset_ids": {"type": "array", "items": {"type": "integer"}}},
            },
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}/share": {
        "post": _op(
            "Share read-only by link: answers share_url (the same link until unshared)",
            tag="lightboxes",
        ),
        "delete": _op("Stop sharing: the link stops working", tag="lightboxes"),
    },
    "/api/v1/shared-lightboxes/{token}": {
        "get": _op(
            "A shared lightbox, read-only, with only the work still for sale",
            auth=None,
            tag="lightboxes",
        ),
    },
}
