"""OpenAPI paths: members' tax forms (the W-9 / W-8BEN interview), the tax withheld from what
the co-op pays them, and the admins' year-end figures."""

from __future__ import annotations

from typing import Any

from marketplace.openapi_paths import CSV, TEXT, Schema, _op, _props, nullable, obj, query

_BPS: Schema = {"type": "integer", "minimum": 0, "maximum": 10_000}
_YEAR = query("year", {"type": "integer", "minimum": 1900, "maximum": 9999})
WITHHOLDING: Schema = obj(
    ["rate_bps", "reason", "enabled"],
    rate_bps=_BPS,
    reason={
        "type": "string",
        "enum": [
            "valid_tin",
            "no_form",
            "no_valid_tin",
            "b_notice",
            "treaty",
            "no_treaty_claim",
            "w8ben_invalid",
        ],
    },
    enabled={"type": "boolean"},
)
TAX_PROFILE: Schema = obj(
    ["form_type", "withholding"],
    form_type={"type": ["string", "null"], "enum": ["w9", "w8ben", None]},
    legal_name=TEXT,
    country=TEXT,
    tax_id=nullable({"type": "string", "description": "masked: •••• and the last four"}),
    tin_type=nullable({"type": "string", "enum": ["ssn", "ein"]}),
    tin_valid={"type": ["boolean", "null"]},
    tin_verified={"type": "boolean"},
    b_notice_on={
        "type": ["string", "null"],
        "format": "date",
        "description": "the IRS B notice an admin recorded: backup withholding while set",
    },
    treaty_country=nullable(TEXT),
    treaty_article=nullable(TEXT),
    treaty_rate_bps=nullable(_BPS),
    signed_name=nullable(TEXT),
    signed_on={"type": ["string", "null"], "format": "date"},
    expires_on={"type": ["string", "null"], "format": "date"},
    withholding=WITHHOLDING,
)
_TEXT_UP_TO = {"type": "string", "maxLength": 200}


def _with_csv(operation: dict[str, Any]) -> dict[str, Any]:
    """The operation answering CSV too, when asked with ``Accept: text/csv``."""
    operation["responses"]["200"]["content"][CSV] = {
        "schema": {"type": "string", "format": "binary"}
    }
    return operation


TAX_FORM_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/me/tax-profile": {
        "get": _op(
            "The caller's tax form (W-9 or W-8BEN, tax id masked) and the rate withheld from"
            " their payments today",
            tag="taxes",
            returns=TAX_PROFILE,
            errors=(403,),
        ),
        "put": _op(
            "Give a W-9 (form_type w9: legal_name, tin_type ssn|ein, tax_id, checked with"
            " python-stdnum; tax_id may be left out to keep the stored one) or a W-8BEN"
            " (form_type w8ben: legal_name, country of residence, optional foreign tax_id,"
            " optional treaty claim treaty_country + treaty_article + treaty_rate_bps, signed_name"
            " equal to legal_name, certified true); signed today",
            tag="taxes",
            body=_props(
                ["form_type", "legal_name"],
                form_type={"type": "string", "enum": ["w9", "w8ben"]},
                legal_name=_TEXT_UP_TO,
                tax_id={"type": "string", "maxLength": 30},
                tin_type={"type": "string", "enum": ["ssn", "ein"]},
                country={"type": "string", "maxLength": 2},
                treaty_country={"type": "string", "maxLength": 2},
                treaty_article={"type": "string", "maxLength": 20},
                treaty_rate_bps={"type": "integer", "minimum": 0, "maximum": 3000},
                signed_name=_TEXT_UP_TO,
                certified={"type": "boolean"},
            ),
            returns=TAX_PROFILE,
            errors=(403,),
        ),
    },
    "/api/v1/admin/tax/year-end": {
        "get": _with_csv(
            _op(
                "Every member's year-end figures for the forms the co-op files: royalties"
                " (1099-MISC, or 1042-S for a W-8BEN holder), patronage dividends (1099-PATR or"
                " 1042-S) and the federal income tax withheld from each, from the ledger; CSV with"
                " Accept: text/csv",
                auth="admin",
                tag="taxes",
                params=[_YEAR],
                returns=obj(
                    ["year", "results"], year={"type": "integer"}, results={"type": "array"}
                ),
            )
        ),
    },
    "/api/v1/admin/tax-profiles/{profile_id}/tin-verified": {
        "put": _op(
            "Record (or clear) the IRS TIN matching program's confirmation of a member's W-9",
            auth="admin",
            tag="taxes",
            body=_props(["verified"], verified={"type": "boolean"}),
            returns=obj(
                ["id", "member_id", "tin_verified"],
                id={"type": "integer"},
                member_id={"type": "integer"},
                tin_verified={"type": "boolean"},
            ),
            errors=(404,),
        ),
    },
    "/api/v1/admin/tax-profiles/{profile_id}/b-notice": {
        "put": _op(
            "Record the IRS B notice received for a member's W-9 (received_on, a date not in the"
            " future), or clear it (null) once the member's new certification arrived: the"
            " member's payments are backup withheld while it is recorded, and a new TIN given by"
            " the member clears it. 422 for a W-8BEN or a W-9 without a TIN",
            auth="admin",
            tag="taxes",
            body=_props(
                ["received_on"], received_on={"type": ["string", "null"], "format": "date"}
            ),
            returns=obj(
                ["id", "member_id", "b_notice_on"],
                id={"type": "integer"},
                member_id={"type": "integer"},
                b_notice_on={"type": ["string", "null"], "format": "date"},
            ),
            errors=(404,),
        ),
    },
}
