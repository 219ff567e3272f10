"""The JSON API of taxes: a member's tax form (the interview) and yearly summary, and the
admins' year-end figures, IRS TIN matches and B notices."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_babel import gettext

from marketplace.api_support import api_blueprint, api_user, json_body, text_field, token_required
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.taxes import interview, services, withholding_status
from marketplace.taxes.models import TaxProfile
from marketplace.taxes.withholding import w8ben_expires_on

bp = api_blueprint("taxes_api", __name__)


def profile_json(profile: TaxProfile | None) -> dict[str, Any]:
    """The form as the member gave it, the tax id masked, and the rate withheld today."""
    rule = withholding_status.withholding_of(profile, withholding_status.today())
    answer: dict[str, Any] = {
        "form_type": None,
        "withholding": {
            "rate_bps": rule.rate_bps,
            "reason": rule.reason,
            "enabled": withholding_status.enabled(),
        },
    }
    if profile is None:
        return answer
    return answer | {
        "form_type": profile.form_type,
        "legal_name": profile.legal_name,
        "country": profile.country,
        "tax_id": profile.masked_tax_id or None,
        "tin_type": profile.tin_type,
        "tin_valid": withholding_status.tin_valid(profile) if profile.is_w9 else None,
        "tin_verified": profile.tin_verified,
        "b_notice_on": profile.b_notice_on.isoformat() if profile.b_notice_on else None,
        "treaty_country": profile.treaty_country,
        "treaty_article": profile.treaty_article,
        "treaty_rate_bps": profile.treaty_rate_bps,
        "signed_name": profile.signed_name,
        "signed_on": profile.signed_on.isoformat() if profile.signed_on else None,
        "expires_on": (
            w8ben_expires_on(profile.signed_on).isoformat() if profile.signed_on else None
        ),
    }


@bp.get("/me/tax-profile")
@token_required()
def my_tax_profile() -> dict[str, Any]:
    member = services.member_of(api_user())
    return profile_json(services.profile_of(db.session(), member.id))


@bp.put("/me/tax-profile")
@token_required()
def save_my_tax_profile() -> dict[str, Any]:
    """Give a W-9 or a W-8BEN (replacing the form on file)."""
    body = json_body()
    rate = body.get("treaty_rate_bps")
    if rate is not None and (isinstance(rate, bool) or not isinstance(rate, int)):
        raise InvalidInput(
            gettext("'treaty_rate_bps' is whole basis points, such as 1000 for 10 percent."),
            fields={"treaty_rate_bps": gettext("Not a whole number.")},
        )
    certified = body.get("certified", False)
    if not isinstance(certified, bool):
        raise InvalidInput(
            gettext("'%(field)s' is true or false.", field="certified"),
            fields={"certified": gettext("Not true or false.")},
        )
    raw = interview.InterviewInput(
        form_type=text_field(body, "form_type"),
        legal_name=text_field(body, "legal_name"),
        tax_id=text_field(body, "tax_id", required=False),
        tin_type=text_field(body, "tin_type", required=False),
        country=text_field(body, "country", required=False),
        treaty_country=text_field(body, "treaty_country", required=False),
        treaty_article=text_field(body, "treaty_article", required=False),
        treaty_rate_bps="" if rate is None else str(rate),
        signed_name=text_field(body, "signed_name", required=False),
        certified=certified,
    )
    return profile_json(interview.save_interview(api_user(), raw))


@bp.get("/me/tax-summary")
@token_required()
def my_tax_summary() -> dict[str, Any]:
    """Royalties and patronage dividends paid to the caller in ``year`` (default: last year),
    the tax withheld from them and the forms they go on."""
    year = services.parse_year(request.args.get("year"))
    return services.summary_for(api_user(), year).as_json()


@bp.get("/admin/tax/year-end")
@token_required("admin")
def year_end() -> Any:
    """Every member's year-end figures (CSV with ``Accept: text/csv``)."""
    year = services.parse_year(request.args.get("year"))
    rows = services.summaries(db.session(), year)
    if request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv":
        return Response(
            services.summaries_csv(rows),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="tax-year-end-{year}.csv"'},
        )
    return {
        "year": year,
        "results": [
            {"member_number": s.member_number, "legal_name": s.legal_name} | s.as_json()
            for s in rows
        ],
    }


@bp.put("/admin/tax-profiles/<int:profile_id>/tin-verified")
@token_required("admin")
def set_tin_verified(profile_id: int) -> dict[str, Any]:
    """Record the IRS TIN matching program's answer for a member's W-9."""
    verified = json_body().get("verified")
    if not isinstance(verified, bool):
        raise InvalidInput(
            gettext("'%(field)s' is true or false.", field="verified"),
            fields={"verified": gettext("Not true or false.")},
        )
    profile = interview.set_tin_verified(api_user(), profile_id, verified)
    return {"id": profile.id, "member_id": profile.member_id, "tin_verified": profile.tin_verified}


@bp.put("/admin/tax-profiles/<int:profile_id>/b-notice")
@token_required("admin")
def set_b_notice(profile_id: int) -> dict[str, Any]:
    """Record the IRS B notice received for a member's W-9 (``received_on``), or clear it
    (null): backup withholding applies while it is recorded."""
    body = json_body()
    if "received_on" not in body:
        raise InvalidInput(
            gettext("'%(field)s' is a date such as 2026-03-31, or empty.", field="received_on"),
            fields={"received_on": gettext("Not a date.")},
        )
    received_on = interview.parse_b_notice_date(body["received_on"])
    profile = interview.set_b_notice(api_user(), profile_id, received_on)
    return {
        "id": profile.id,
        "member_id": profile.member_id,
        "b_notice_on": profile.b_notice_on.isoformat() if profile.b_notice_on else None,
    }
