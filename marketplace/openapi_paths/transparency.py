"""OpenAPI paths: transparency (the public open books)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import _op

TRANSPARENCY_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/open-books": {
        "get": {
            **_op(
                "The open books of a year (?year=YYYY, the latest with ledger activity by "
                "default): sales, royalties, dividends, reserves, members by class and works on "
                "sale, for the year and each month, in integer cents of the co-op's currency, "
                "summed from the ledger. A year with nothing answers zeros; a malformed or "
                "future year is 400",
                auth=None,
                tag="transparency",
            ),
            "parameters": [
                {
                    "name": "year",
                    "in": "query",
                    "required": False,
                    "schema": {"type": "integer", "minimum": 1900},
                }
            ],
        },
    },
}
