"""``GET /api/v1/openapi.json``: the machine-readable description of the API (OpenAPI 3.1).

A test checks that every /api/v1 route is described here (the paths, by area, are in
:mod:`marketplace.openapi_paths`) and nothing else is.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from marketplace.openapi_paths import (
    accounts,
    catalogue,
    governance,
    money,
    orders,
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
    **money.PAYOUT_PATHS,
    **orders.LICENCE_PATHS,
    **transparency.TRANSPARENCY_PATHS,
    **governance.GOVERNANCE_PATHS,
}


def openapi_document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Co-op Stock API", "version": "1"},
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {
                        "error": {
                            "type": "object",
                            "required": ["code", "message"],
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                            },
                        }
                    },
                }
            },
        },
    }


@bp.get("/api/v1/openapi.json")
def openapi_json() -> dict[str, Any]:
    return openapi_document()
