"""``GET /api/v1/openapi.json``: the machine-readable description of the API (OpenAPI 3.1).

A test checks that every /api/v1 route is described here (the paths, by area, are in
:mod:`marketplace.openapi_paths`) and nothing else is, and a validator checks the document.
``json_body()`` reads the request body schemas from here, so the fields it accepts are the
fields described.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Blueprint

from marketplace.openapi_paths import (
    ID,
    TEXT,
    _error,
    accounts,
    books,
    catalogue,
    governance,
    invoices,
    leaving,
    money,
    obj,
    orders,
    patronage,
    tax_forms,
    transparency,
)

bp = Blueprint("openapi", __name__)

# Merged in the order the paths have always been listed in.
PATHS: dict[str, dict[str, Any]] = {
    **accounts.ACCOUNT_PATHS,
    **catalogue.ASSET_PATHS,
    **money.DIVIDEND_PATHS,
    **catalogue.LIGHTBOX_PATHS,
    **orders.ORDER_PATHS,
    **invoices.INVOICE_PATHS,
    **money.PAYOUT_PATHS,
    **orders.LICENCE_PATHS,
    **transparency.TRANSPARENCY_PATHS,
    **governance.GOVERNANCE_PATHS,
    **books.COST_PATHS,
    **patronage.PATRONAGE_PATHS,
    **leaving.LEAVING_PATHS,
    **tax_forms.TAX_FORM_PATHS,
}

_PATH_PARAMETER = re.compile(r"{([^{}]+)}")
_FLASK_PARAMETER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
# Path parameters that are not ids (Flask's string converter).
_STRING_PARAMETERS = {"token"}


def _declare_path_parameters(paths: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Every operation declares the parameters its path names (ids up to PostgreSQL's integer),
    and the 404 an unknown one brings; derived here so no operation can forget them."""
    completed: dict[str, dict[str, Any]] = {}
    for path, operations in paths.items():
        names = _PATH_PARAMETER.findall(path)
        declared = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": TEXT if name in _STRING_PARAMETERS else ID,
            }
            for name in names
        ]
        completed[path] = {}
        for method, operation in operations.items():
            operation = dict(operation)
            if declared:
                operation["parameters"] = declared + list(operation.get("parameters", []))
                responses = dict(operation["responses"])
                responses.setdefault("404", _error("No such resource, or not the caller's"))
                operation["responses"] = dict(sorted(responses.items()))
            completed[path][method] = operation
    return completed


_ERROR_SCHEMA = obj(
    ["error"],
    error={
        "type": "object",
        "required": ["code", "message"],
        "properties": {
            "code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
            "message": {"type": "string", "minLength": 1},
            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    },
)


@cache
def openapi_document() -> dict[str, Any]:
    """The document (built once; callers must not change it)."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Co-op Stock API", "version": "1"},
        "paths": _declare_path_parameters(PATHS),
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": _ERROR_SCHEMA},
        },
    }


def openapi_path(rule: str) -> str:
    """``/api/v1/orders/<int:order_id>`` (a Flask rule) as ``/api/v1/orders/{order_id}``."""
    return _FLASK_PARAMETER.sub(r"{\1}", rule)


@cache
def _json_bodies() -> dict[tuple[str, str], dict[str, Any]]:
    index: dict[tuple[str, str], dict[str, Any]] = {}
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                index[(path, method)] = content["application/json"]["schema"]
    return index


def json_body_schema(rule: str, method: str) -> dict[str, Any] | None:
    """The JSON request body schema of the operation a Flask rule and method serve, if any."""
    return _json_bodies().get((openapi_path(rule), method.lower()))


@bp.get("/api/v1/openapi.json")
def openapi_json() -> dict[str, Any]:
    return openapi_document()
