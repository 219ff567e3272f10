"""The paths of the OpenAPI description, one module per area of the API.

:mod:`marketplace.openapi` merges them into ``PATHS`` and completes each operation (path
parameters, the 404 they bring); the helpers here build one operation and its schemas.
Request bodies are closed (``additionalProperties: false``): ``json_body()`` refuses any other
field with 422, so the document and the code accept the same fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Schema = dict[str, Any]

ERROR: Schema = {"$ref": "#/components/schemas/Error"}
# Flask's int converter answers ids up to PostgreSQL's integer; larger ones are 404.
MAX_ID = 2_147_483_647
ID: Schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
TEXT: Schema = {"type": "string"}
# What the services refuse as blank (the field must hold something besides spaces).
NON_BLANK: Schema = {"type": "string", "minLength": 1, "pattern": r"\S"}
TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
DAY: Schema = {"type": ["string", "null"], "format": "date"}
OBJECT: Schema = {"type": "object"}


def nullable(schema: Schema) -> Schema:
    """``schema``, or null (the code reads null as "left out")."""
    kind = schema.get("type", "string")
    return {**schema, "type": [kind, "null"] if isinstance(kind, str) else [*kind, "null"]}


def obj(required: Iterable[str] = (), **properties: Schema) -> Schema:
    """An object answer: the properties named, at least those ``required``; others may follow."""
    return {"type": "object", "required": list(required), "properties": properties}


def results(item: Schema = OBJECT) -> Schema:
    return obj(["results"], results={"type": "array", "items": item})


def page_of(item: Schema = OBJECT) -> Schema:
    """The contract's list shape (``?page=&per_page=``)."""
    return obj(
        ["total", "total_exact", "page", "per_page", "results"],
        total={"type": "integer", "minimum": 0},
        total_exact={"type": "boolean"},
        page={"type": "integer", "minimum": 1},
        per_page={"type": "integer", "minimum": 1, "maximum": 100},
        results={"type": "array", "items": item},
    )


def query(name: str, schema: Schema | None = None, description: str = "") -> dict[str, Any]:
    parameter = {"name": name, "in": "query", "required": False, "schema": schema or TEXT}
    if description:
        parameter["description"] = description
    return parameter


PAGE = [
    query("page", {"type": "integer", "minimum": 1, "maximum": MAX_ID}),
    query("per_page", {"type": "integer", "minimum": 1, "maximum": 100}),
]

# Media types of answers that are not JSON.
CSV = "text/csv"
PDF = "application/pdf"


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


def _success(status: int, returns: Schema | None, media: str) -> dict[str, Any]:
    if status == 204:
        return {"description": "Done; no content"}
    if status == 302:
        return {"description": "Redirect to the file"}
    if media == "application/json":
        schema = returns if returns is not None else OBJECT
    else:
        schema = {"type": "string", "format": "binary"}
    return {"description": "Success", "content": {media: {"schema": schema}}}


def _op(
    summary: str,
    *,
    auth: str | None = "token",
    body: Schema | None = None,
    status: int = 200,
    multipart: bool = False,
    tag: str,
    returns: Schema | None = None,
    media: str = "application/json",
    params: list[dict[str, Any]] | None = None,
    errors: Iterable[int] = (),
    also: Iterable[int] = (),
) -> dict[str, Any]:
    """One operation: ``returns`` is the success answer's schema; ``errors`` the 4xx statuses
    beyond those the auth, the body and the query bring; ``also`` other success statuses."""
    responses: dict[str, Any] = {str(status): _success(status, returns, media)}
    for other in also:
        responses[str(other)] = _success(other, returns, media)
    statuses = set(errors)
    if auth:
        statuses.add(401)
        if auth != "token":
            statuses.add(403)
    if body is not None:
        statuses.update((400, 413, 422))
    if params:
        statuses.update((400, 422))
    for code in sorted(statuses):
        responses[str(code)] = _error(_REASONS[code])
    operation: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if auth:
        operation["security"] = [{"bearerAuth": []}]
        if auth != "token":
            operation["description"] = f"Needs the {auth} role."
    if params:
        operation["parameters"] = list(params)
    if body is not None:
        content_type = "multipart/form-data" if multipart else "application/json"
        operation["requestBody"] = {
            "required": True,
            "content": {content_type: {"schema": {"type": "object", **body}}},
        }
    return operation


_REASONS = {
    400: "Malformed request: not JSON (or not multipart), or a malformed query parameter",
    401: "No valid API token",
    403: "The token's user lacks the role",
    404: "No such resource, or not one the caller may know about",
    409: "Conflicts with the resource's state",
    410: "Gone (refunded, disputed or expired)",
    413: "The body is too large",
    422: "Invalid input: the fields named are missing, unknown or wrong",
    429: "Too many attempts; try again later",
}


def _props(required: list[str], **types: str | Schema) -> Schema:
    """A closed request body: these properties only (a type name or a schema each)."""
    return {
        "required": required,
        "properties": {
            name: {"type": kind} if isinstance(kind, str) else kind for name, kind in types.items()
        },
        "additionalProperties": False,
    }
