"""The paths of the OpenAPI description, one module per area of the API.

:mod:`marketplace.openapi` merges them into ``PATHS``; the helpers here build one operation.
"""

from __future__ import annotations

from typing import Any

_ERROR = {"$ref": "#/components/schemas/Error"}


def _op(
    summary: str,
    *,
    auth: str | None = "token",
    body: dict[str, Any] | None = None,
    status: int = 200,
    multipart: bool = False,
    tag: str,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": summary,
        "tags": [tag],
        "responses": {
            str(status): {"description": "Success"},
            "4XX": {
                "description": "The request cannot be served",
                "content": {"application/json": {"schema": _ERROR}},
            },
        },
    }
    if auth:
        operation["security"] = [{"bearerAuth": []}]
        if auth != "token":
            operation["description"] = f"Needs the {auth} role."
    if body is not None:
        media = "multipart/form-data" if multipart else "application/json"
        operation["requestBody"] = {
            "required": True,
            "content": {media: {"schema": {"type": "object", **body}}},
        }
    return operation


def _props(required: list[str], **types: str) -> dict[str, Any]:
    return {
        "required": required,
        "properties": {name: {"type": kind} for name, kind in types.items()},
    }
