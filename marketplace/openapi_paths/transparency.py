"""OpenAPI paths: transparency (the public open books)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import TEXT, _op, obj, query

TRANSPARENCY_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/open-books": {
        "get": _op(
            "The open books of a year (the latest with ledger activity by default): sales,"
            " royalties, dividends, reserves, members by class and works on sale, for the year"
            " and each month, in integer cents of the co-op's currency, summed from the ledger."
            " A year with nothing answers zeros; a malformed or future year is 400",
            auth=None,
            tag="transparency",
            params=[query("year", {"type": "integer", "minimum": 1900, "maximum": 9999})],
            returns=obj(
                ["currency", "sales_cents", "royalties_cents", "dividends_cents", "months"],
                currency=TEXT,
                sales_cents={"type": "integer"},
                royalties_cents={"type": "integer"},
                dividends_cents={"type": "integer"},
                months={"type": "array"},
            ),
        ),
    },
}
