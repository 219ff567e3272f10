"""The JSON API of dividend runs (admins) and of a member's dividend statements."""

from __future__ import annotations

from typing import Any

from flask import Response, request, stream_with_context
from flask_babel import gettext

from marketplace.api_support import api_blueprint, api_user, json_body, rfc3339, token_required
from marketplace.dividends import (
    core,
    held_cash,
    paying,
    periods,
    redemptions,
    schemas,
    services,
    statements,
)
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.membership import consent
from marketplace.whole_numbers import parse_whole_number

bp = api_blueprint("dividends_api", __name__)


def _run_json(run_id: int) -> dict[str, Any]:
    session = db.session()
    run = services.get_run(session, run_id)
    return schemas.run_json(run, paying.progress(session, run.id))


@bp.post("/admin/dividend-runs")
@token_required("admin")
def draft_run() -> tuple[dict[str, Any], int]:
    """A draft from the ledger: nothing is posted until a second admin approves it."""
    body = json_body()
    run_request = schemas.run_request(body)
    periods.refuse_open_period(run_request.period_end, body.get("close_books_now"))
    run = services.draft_run(api_user(), run_request)
    return _run_json(run.id), 201


@bp.get("/admin/dividend-runs")
@token_required("admin")
def list_runs() -> dict[str, Any]:
    session = db.session()
    return {
        "results": [
            {
                key: value
                for key, value in schemas.run_json(run, paying.progress(session, run.id)).items()
                if key not in ("allocations", "failures")
            }
            for run in services.list_runs(session)
        ]
    }


@bp.get("/admin/dividend-runs/<int:run_id>")
@token_required("admin")
def get_run(run_id: int) -> dict[str, Any]:
    return _run_json(run_id)


@bp.delete("/admin/dividend-runs/<int:run_id>")
@token_required("admin")
def discard_run(run_id: int) -> tuple[str, int]:
    services.discard_draft(api_user(), run_id)
    return "", 204


@bp.post("/admin/dividend-runs/<int:run_id>/approve")
@token_required("admin")
def approve_run(run_id: int) -> dict[str, Any]:
    paying.approve_run(api_user(), run_id, _text_field("late_reason"))
    return _run_json(run_id)


@bp.post("/admin/dividend-runs/<int:run_id>/pay")
@token_required("admin")
def pay_run(run_id: int) -> tuple[dict[str, Any], int]:
    paying.pay_run(api_user(), run_id, _text_field("late_reason"))
    return _run_json(run_id), 202


def _text_field(name: str, required: bool = False) -> str:
    """An optional (or ``required``) text field of an optional JSON body."""
    body = json_body() if request.content_length or required else {}
    value = body.get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidInput(
            gettext("'%(name)s' must be text.", name=name), fields={name: gettext("Text.")}
        )
    return value


@bp.post("/admin/dividend-runs/<int:run_id>/allocations/<int:allocation_id>/paid-other-means")
@token_required("admin")
def paid_other_means(run_id: int, allocation_id: int) -> dict[str, Any]:
    """A held allocation's cash paid outside Stripe, with the payment's reference."""
    allocation = held_cash.record_other_payment(
        api_user(), run_id, allocation_id, _text_field("reference", required=True)
    )
    return schemas.allocation_json(allocation)


@bp.post("/admin/dividend-runs/<int:run_id>/allocations/<int:allocation_id>/unpaid")
@token_required("admin")
def cash_unpaid(run_id: int, allocation_id: int) -> dict[str, Any]:
    """A held allocation's cash recorded as not paid, with the reason."""
    allocation = held_cash.record_unpaid(
        api_user(), run_id, allocation_id, _text_field("reason", required=True)
    )
    return schemas.allocation_json(allocation)


def _consent_json() -> dict[str, Any]:
    member = consent.member_of_user(db.session(), api_user())
    given = consent.consent_of(db.session(), member.id) if member else None
    return {
        "agreement_version": consent.AGREEMENT_VERSION,
        "clause": consent.clause(consent.AGREEMENT_VERSION),
        "consent": None
        if given is None
        else {
            "agreement_version": given.agreement_version,
            "consented_at": rfc3339(given.consented_at),
            "source": given.source,
        },
    }


@bp.get("/me/patronage-consent")
@token_required()
def my_consent() -> dict[str, Any]:
    """The member agreement's consent clause and the caller's consent (or null)."""
    return _consent_json()


@bp.post("/me/patronage-consent")
@token_required()
def give_consent() -> tuple[dict[str, Any], int]:
    """The caller consents to the current version's clause (a member only; once)."""
    consent.give_consent(api_user(), _text_field("agreement_version", required=True))
    return _consent_json(), 201


@bp.get("/admin/dividend-runs/<int:run_id>/allocations.csv")
@token_required("admin")
def allocations_csv(run_id: int) -> Response:
    run = services.get_run(db.session(), run_id)
    return Response(
        stream_with_context(schemas.allocations_csv(run)),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="dividend-run-{run.id}-allocations.csv"'
        },
    )


@bp.get("/me/dividend-statements")
@token_required()
def my_statements() -> dict[str, Any]:
    """One statement per paid run the caller had an allocation in (cash paid or held)."""
    return {
        "results": [
            statement.as_json() for statement in statements.for_user(db.session(), api_user())
        ]
    }


@bp.post("/admin/dividend-runs/<int:run_id>/pay-held")
@token_required("admin")
def pay_held(run_id: int) -> tuple[dict[str, Any], int]:
    """Queue the run's held allocations whose members now have a payout account."""
    queued = paying.pay_held(api_user(), run_id)
    return {**_run_json(run_id), "queued": queued}, 202


def _redemption_json(run_id: int) -> dict[str, Any]:
    session = db.session()
    run = redemptions.get_redemption(session, run_id)
    return {
        "id": run.id,
        "year": run.year,
        "pct": None if run.pct_bps is None else str(core.bps_pct(run.pct_bps)),
        "status": run.status,
        "currency": run.currency,
        "total_cents": run.total_cents,
        "created_by": run.created_by_id,
        "created_at": rfc3339(run.created_at),
        "paid_at": rfc3339(run.paid_at),
        "progress": redemptions.progress(session, run.id),
        "lines": [
            {
                "id": line.id,
                "member_id": line.member_id,
                "member_number": line.member_number,
                "allocation_id": line.allocation_id,
                "year": line.year,
                "amount_cents": line.amount_cents,
                "status": line.status,
                "stripe_transfer_id": line.stripe_transfer_id,
                "failure_reason": line.failure_reason,
            }
            for line in run.lines
        ],
    }


@bp.post("/admin/redemptions")
@token_required("admin")
def draft_redemption() -> tuple[dict[str, Any], int]:
    """A draft redeeming a year's retained allocations, oldest year first; posts nothing."""
    body = json_body()
    year, pct = body.get("year"), body.get("pct")
    if isinstance(year, str):
        year = parse_whole_number(year.strip(), 1900, 9999) or year
    if pct is not None and (isinstance(pct, bool) or not isinstance(pct, int | float | str)):
        raise InvalidInput(
            gettext("'pct' must be a number of percent."), fields={"pct": gettext("Not a number.")}
        )
    run = redemptions.draft_redemption(
        api_user(),
        year,  # type: ignore[arg-type]  # checked by the service
        pct,
        allow_out_of_order=body.get("allow_out_of_order") is True,
    )
    return _redemption_json(run.id), 201


@bp.get("/admin/redemptions")
@token_required("admin")
def list_redemptions() -> dict[str, Any]:
    session = db.session()
    return {
        "results": [
            {k: v for k, v in _redemption_json(run.id).items() if k != "lines"}
            for run in redemptions.list_redemptions(session)
        ]
    }


@bp.get("/admin/redemptions/<int:run_id>")
@token_required("admin")
def get_redemption(run_id: int) -> dict[str, Any]:
    return _redemption_json(run_id)


@bp.post("/admin/redemptions/<int:run_id>/pay")
@token_required("admin")
def pay_redemption(run_id: int) -> tuple[dict[str, Any], int]:
    """Post the redemption entries and pay each line like a dividend (once)."""
    redemptions.pay_redemption(api_user(), run_id)
    return _redemption_json(run_id), 202


@bp.delete("/admin/redemptions/<int:run_id>")
@token_required("admin")
def discard_redemption(run_id: int) -> tuple[str, int]:
    redemptions.discard_redemption(api_user(), run_id)
    return "", 204
