"""OpenAPI paths: an order's invoice and credit notes (issue 20)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import PDF, _op

INVOICE_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/orders/{order_id}/invoice": {
        "get": _op(
            "The order's invoice (PDF, in the buyer's language; the buyer or an admin): its "
            "number in the unbroken series INV-000001, INV-000002…, the co-op's and the buyer's "
            "details and tax ids, each line net of tax with its rate and tax, the totals, and the "
            "reverse-charge mention where it applies. 404 while the order is unpaid",
            tag="orders",
            media=PDF,
        ),
    },
    "/api/v1/orders/{order_id}/credit-notes/{credit_note_id}": {
        "get": _op(
            "A credit note of the order (PDF; the buyer or an admin): issued when a refund goes "
            "through, numbered in its own unbroken series (CN-000001…), it names the invoice it "
            "corrects and gives each refunded line with negative amounts, tax reversed",
            tag="orders",
            media=PDF,
        ),
    },
}
