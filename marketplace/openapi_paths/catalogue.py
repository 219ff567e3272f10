"""OpenAPI paths: the catalogue (assets, releases, search, review) and lightboxes."""

from __future__ import annotations

from typing import Any

from marketplace.catalogue.languages import WORK_LANGUAGES
from marketplace.openapi_paths import (
    ID,
    NON_BLANK,
    PAGE,
    TEXT,
    TIME,
    Schema,
    _op,
    _props,
    nullable,
    obj,
    page_of,
    query,
)

_FILE: Schema = {"type": "string", "format": "binary"}
_URL: Schema = nullable(TEXT)
# Derived files (watermarked, upright, no GPS). Published work: a plain, stable, public address.
# Work that is not public: the same address signed (expires, signature), which opens without a
# cookie or token for MARKETPLACE_MEDIA_URL_TTL seconds; altered or expired, it answers 403.
_MEDIA_URL: Schema = nullable(
    {
        "type": "string",
        "format": "uri",
        "description": "An image (or video) address that opens without credentials; for work that"
        " is not public it is signed and expires after a few minutes (read the asset again for a"
        " fresh one).",
    }
)
PRICE: Schema = obj(
    ["licence", "size", "amount_cents", "currency"],
    licence=TEXT,
    size=TEXT,
    amount_cents={"type": "integer", "minimum": 0},
    currency={"type": "string", "pattern": "^[A-Z]{3}$"},
)
# A work's language (marketplace.catalogue.languages): search stems its text by its rules.
LANGUAGE: Schema = {
    "type": "string",
    "enum": list(WORK_LANGUAGES),
    "description": "the language of the title, description and keywords; by default the"
    " member's account language, else en",
}
ASSET: Schema = obj(
    ["id", "kind", "status", "title", "keywords", "orientation", "contributor", "prices"],
    id={"type": "integer"},
    kind={"type": "string", "enum": ["photo", "video"]},
    status={
        "type": "string",
        "enum": ["processing", "draft", "pending_review", "published", "rejected", "failed"],
    },
    title=TEXT,
    description=nullable(TEXT),
    keywords={"type": "array", "items": TEXT},
    language=LANGUAGE,
    width=nullable({"type": "integer"}),
    height=nullable({"type": "integer"}),
    orientation=nullable(
        {"type": "string", "enum": ["landscape", "portrait", "square", "panoramic"]}
    ),
    preview_url=_MEDIA_URL,
    thumbnail_url=_MEDIA_URL,
    poster_url=_MEDIA_URL,
    contributor=obj(["id", "display_name"], id={"type": "integer"}, display_name=TEXT),
    prices={
        "type": "array",
        "items": PRICE,
        "description": "Every licence and size on offer, in each currency on sale (the"
        " settlement currency first): each currency's own rounded prices, never converted",
    },
    rejection_reason=nullable(TEXT),
    missing_for_review={
        "type": "object",
        "additionalProperties": TEXT,
        "description": "Owner's view of a draft or rejected work: what it needs before"
        " POST /api/v1/assets/{asset_id}/submit accepts it (field name: what to do)",
    },
    has_people={"type": "boolean"},
    has_property={"type": "boolean"},
    for_sale={"type": "boolean"},
    published_at=TIME,
    created_at=TIME,
)

ASSET_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/assets": {
        "post": _op(
            "Upload a photo or video (multipart: file, title, description, keywords, language,"
            " has_people, has_property); answers 202 while it is processed, then it"
            " waits as a draft until its member sends it (POST /api/v1/assets/{asset_id}/submit)",
            auth="member",
            status=202,
            multipart=True,
            tag="assets",
            body={
                "required": ["file"],
                "properties": {
                    "file": _FILE,
                    "title": TEXT,
                    "description": TEXT,
                    "keywords": {"type": "string", "description": "comma-separated"},
                    "language": LANGUAGE,
                    "has_people": {"type": "boolean"},
                    "has_property": {"type": "boolean"},
                },
            },
            returns=obj(["id", "status"], id={"type": "integer"}, status=TEXT),
            errors=(409,),
        ),
    },
    "/api/v1/assets/{asset_id}": {
        "get": _op(
            "An asset (unpublished: its member and admins only)", tag="assets", returns=ASSET
        ),
        "patch": _op(
            "Edit title, description, keywords, language, people/property flags",
            auth="member",
            tag="assets",
            body=_props(
                [],
                title=TEXT,
                description=TEXT,
                keywords={
                    "type": ["string", "array"],
                    "items": TEXT,
                    "description": "a list of words, or one comma-separated string",
                },
                language=LANGUAGE,
                has_people={"type": "boolean"},
                has_property={"type": "boolean"},
            ),
            returns=ASSET,
            errors=(409,),
        ),
        "delete": _op(
            "Withdraw from sale (sold licences stay valid)",
            auth="member",
            tag="assets",
            returns=ASSET,
            errors=(409,),
        ),
    },
    "/api/v1/assets/{asset_id}/submit": {
        "post": _op(
            "Send a draft (or rejected work) to the curators: pending_review. 422 names what is"
            " missing (error.fields: title, keywords); 409 when it is not a draft",
            auth="member",
            tag="assets",
            returns=ASSET,
            errors=(409, 422),
        ),
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
                    "kind": {"type": "string", "enum": ["model", "property"]},
                    "file": _FILE,
                },
            },
            returns=ASSET,
            errors=(409,),
        ),
    },
    "/api/v1/search": {
        "get": _op(
            'Published work, best match first: q (words AND, "phrases", -exclusions). The newest'
            " 5,000 matches are ranked (1,000 for a search with a quoted phrase on the embedded"
            " SQLite engine); past them total is a lower bound or an estimate (total_exact"
            " false).",
            auth=None,
            tag="catalogue",
            params=[
                query("q"),
                query("kind", {"type": "string", "enum": ["photo", "video"]}),
                query(
                    "orientation",
                    {"type": "string", "enum": ["landscape", "portrait", "square", "panoramic"]},
                ),
                query("contributor", ID, "a member number"),
                query("people", {"type": "string", "enum": ["yes", "no"]}),
                query("min_mp", {"type": "number", "minimum": 0, "maximum": 10_000}),
                query("added_since", {"type": "string", "format": "date"}),
                query("colour", {"type": "string", "pattern": "^#?[0-9a-fA-F]{6}$"}),
                query("sort", {"type": "string", "enum": ["relevance", "newest", "most_licensed"]}),
                *PAGE,
            ],
            returns={
                **page_of(ASSET),
                "properties": {
                    **page_of(ASSET)["properties"],
                    "did_you_mean": nullable(TEXT),
                    "broader_searches": {"type": "array"},
                },
            },
        ),
    },
    "/api/v1/me/assets": {
        "get": _op(
            "The caller's portfolio",
            auth="member",
            tag="assets",
            params=[query("status"), *PAGE],
            returns=page_of(ASSET),
        )
    },
    "/api/v1/admin/assets": {
        "get": _op(
            "Assets waiting for review, oldest first",
            auth="admin",
            tag="admin",
            params=[query("member", ID, "a member number"), *PAGE],
            returns=page_of(ASSET),
        ),
    },
    "/api/v1/admin/assets/{asset_id}/review": {
        "post": _op(
            "Publish or reject an asset (a rejection needs a reason)",
            auth="admin",
            tag="admin",
            body=_props(
                ["decision"],
                decision={"type": "string", "enum": ["approve", "reject"]},
                reason=TEXT,
            ),
            returns=ASSET,
            errors=(409,),
        ),
    },
}

LIGHTBOX_ITEM: Schema = obj(
    ["asset_id", "position", "available"],
    asset_id={"type": "integer"},
    position={"type": "integer"},
    added_at=TIME,
    available={"type": "boolean"},
    asset={"anyOf": [ASSET, {"type": "null"}]},
)
LIGHTBOX_SUMMARY: Schema = obj(
    ["id", "name", "item_count", "shared"],
    id={"type": "integer"},
    name=TEXT,
    item_count={"type": "integer", "minimum": 0},
    shared={"type": "boolean"},
    share_url=_URL,
)
LIGHTBOX: Schema = {
    **LIGHTBOX_SUMMARY,
    "required": [*LIGHTBOX_SUMMARY["required"], "items"],
    "properties": {
        **LIGHTBOX_SUMMARY["properties"],
        "items": {"type": "array", "items": LIGHTBOX_ITEM},
    },
}
_NAME: Schema = {**NON_BLANK, "description": "at most 80 characters once spaces are collapsed"}

LIGHTBOX_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/lightboxes": {
        "post": _op(
            "Create a lightbox (a private, saved collection)",
            status=201,
            tag="lightboxes",
            body=_props(["name"], name=_NAME),
            returns=LIGHTBOX,
        ),
        "get": _op(
            "The caller's lightboxes, last changed first",
            tag="lightboxes",
            params=PAGE,
            returns=page_of(LIGHTBOX_SUMMARY),
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}": {
        "get": _op(
            "One of the caller's lightboxes with its items in order",
            tag="lightboxes",
            returns=LIGHTBOX,
        ),
        "patch": _op(
            "Rename a lightbox",
            tag="lightboxes",
            body=_props(["name"], name=_NAME),
            returns=LIGHTBOX,
        ),
        "delete": _op("Delete a lightbox and its share link", status=204, tag="lightboxes"),
    },
    "/api/v1/lightboxes/{lightbox_id}/items": {
        "post": _op(
            "Save an asset for sale to the end of a lightbox: 201, or 200 if it is already there",
            status=201,
            also=(200,),
            tag="lightboxes",
            body=_props(["asset_id"], asset_id=ID),
            returns=LIGHTBOX_ITEM,
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}/items/{asset_id}": {
        "delete": _op("Remove an asset from a lightbox", status=204, tag="lightboxes"),
    },
    "/api/v1/lightboxes/{lightbox_id}/order": {
        "put": _op(
            "Reorder: every asset id of the lightbox once, in the new order",
            tag="lightboxes",
            body=_props(["asset_ids"], asset_ids={"type": "array", "items": ID}),
            returns=LIGHTBOX,
        ),
    },
    "/api/v1/lightboxes/{lightbox_id}/share": {
        "post": _op(
            "Share read-only by link: answers share_url (the same link until unshared)",
            tag="lightboxes",
            returns=LIGHTBOX,
        ),
        "delete": _op("Stop sharing: the link stops working", tag="lightboxes", returns=LIGHTBOX),
    },
    "/api/v1/shared-lightboxes/{token}": {
        "get": _op(
            "A shared lightbox, read-only, with only the work still for sale",
            auth=None,
            tag="lightboxes",
            returns=obj(
                ["name", "item_count", "items"],
                name=TEXT,
                item_count={"type": "integer", "minimum": 0},
                items={"type": "array", "items": LIGHTBOX_ITEM},
            ),
        ),
    },
}
