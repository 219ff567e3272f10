"""OpenAPI paths: patronage as the law defines it (held cash settled by hand, members' consent)."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import NON_BLANK, TEXT, TIME, _op, _props, obj

_ALLOCATION = obj(
    ["id", "member_id", "status", "cash_cents"],
    id={"type": "integer"},
    member_id={"type": "integer"},
    status=TEXT,
    cash_cents={"type": "integer"},
    distribution_kind=TEXT,
    paid_by_other_means={"type": ["string", "null"]},
)
_CONSENT = obj(
    ["agreement_version", "clause", "consent"],
    agreement_version=TEXT,
    clause=TEXT,
    consent={
        "type": ["object", "null"],
        "properties": {"agreement_version": TEXT, "consented_at": TIME, "source": TEXT},
    },
)
_ALLOCATION_PATH = "/api/v1/admin/dividend-runs/{run_id}/allocations/{allocation_id}"

PATRONAGE_PATHS: dict[str, dict[str, Any]] = {
    f"{_ALLOCATION_PATH}/paid-other-means": {
        "post": _op(
            "Record a held allocation's cash as paid outside Stripe (a cheque, a bank "
            "transfer), with its reference: booked Dr dividends payable, Cr bank, under the "
            "allocation's payment key, so it is never paid twice; the run is paid once no cash "
            "is held or failed (only held cash: 409)",
            auth="admin",
            tag="dividends",
            body=_props(["reference"], reference=NON_BLANK),
            returns=_ALLOCATION,
            errors=(409,),
        ),
    },
    f"{_ALLOCATION_PATH}/unpaid": {
        "post": _op(
            "Record why a held allocation's cash cannot be paid: it is failed with that reason "
            "and the run stays partially paid (only held cash: 409)",
            auth="admin",
            tag="dividends",
            body=_props(["reason"], reason=NON_BLANK),
            returns=_ALLOCATION,
            errors=(409,),
        ),
    },
    "/api/v1/me/patronage-consent": {
        "get": _op(
            "The member agreement's consent clause (IRC §1388(c)) and the caller's consent",
            tag="dividends",
            returns=_CONSENT,
        ),
        "post": _op(
            "Consent to take patronage allocations into income, under the current version of "
            "the member agreement (members only: 403; another version: 422); once",
            status=201,
            tag="dividends",
            body=_props(["agreement_version"], agreement_version=NON_BLANK),
            returns=_CONSENT,
            errors=(403,),
        ),
    },
}
