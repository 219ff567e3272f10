"""Paths of the books kept as they happen: operating costs (admins)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import DAY, NON_BLANK, TEXT, TIME, Schema, _op, _props, obj, query

_CENTS: Schema = {"type": "integer", "minimum": 1}
COST: Schema = obj(
    ["id", "incurred_on", "description", "amount_cents", "currency", "expense_code", "status"],
    id={"type": "integer"},
    incurred_on={"type": "string", "format": "date"},
    description=TEXT,
    amount_cents=_CENTS,
    currency=TEXT,
    expense_code=TEXT,
    expense_account=TEXT,
    paid_from={"enum": ["bank", "payable"]},
    status={"enum": ["booked", "owed", "reversed"]},
    entry_id={"type": "integer"},
    recorded_at=TIME,
    paid_on=DAY,
    reversal_entry_id={"type": ["integer", "null"]},
    reversal_reason={"type": ["string", "null"]},
    reversed_at=TIME,
)

COST_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/admin/costs": {
        "post": _op(
            "Record an operating cost as it happens: posted at once (Dr the expense account, "
            "Cr bank 1000, or accounts payable 2000 when accrued), dated the day it was "
            "incurred (a cost of today after the books were closed today belongs to the next "
            "period). A date in the future is 422; a date whose books a dividend run closed "
            "(draft or approved) is 409 books_closed. expense_code is one of 5210 hosting and "
            "software, 5220 accounting and legal fees, 5230 insurance, 5240 bank charges, 5200 "
            "other operating costs",
            auth="admin",
            status=201,
            tag="admin",
            body=_props(
                ["incurred_on", "description", "amount_cents"],
                incurred_on={"type": "string", "format": "date"},
                description=NON_BLANK,
                amount_cents=_CENTS,
                expense_code={"enum": ["5210", "5220", "5230", "5240", "5200"]},
                paid_from={"enum": ["bank", "payable"]},
            ),
            returns=COST,
            errors=(409,),
        ),
        "get": _op(
            "A year's operating costs (latest first) and each expense account's total, net of "
            "reversals",
            auth="admin",
            tag="admin",
            params=[query("year", {"type": "integer", "minimum": 1900, "maximum": 9999})],
            returns=obj(
                ["year", "total_cents", "by_account", "results"],
                year={"type": "integer"},
                total_cents={"type": "integer"},
                by_account={"type": "array"},
                results={"type": "array", "items": COST},
            ),
        ),
    },
    "/api/v1/admin/costs/{cost_id}": {
        "get": _op("One operating cost", auth="admin", tag="admin", returns=COST),
    },
    "/api/v1/admin/costs/{cost_id}/reverse": {
        "post": _op(
            "Reverse a mistaken cost with a reason: a reversing entry (never a deletion), "
            "dated beside the cost while its period is open, now once a dividend run closed "
            "it. Reversing twice is 409",
            auth="admin",
            tag="admin",
            body=_props(["reason"], reason=NON_BLANK),
            returns=COST,
            errors=(409,),
        ),
    },
    "/api/v1/admin/costs/{cost_id}/pay": {
        "post": _op(
            "Pay an accrued cost from the bank today (Dr accounts payable, Cr bank); paying "
            "again changes nothing; a reversed or bank-paid cost is 409",
            auth="admin",
            tag="admin",
            returns=COST,
            errors=(409,),
        ),
    },
}
