"""The JSON API of dividend runs (admins) and of a member's dividend statements."""

from __future__ import annotations

from typing import Any

from flask import Response, stream_with_context

from marketplace.api_support import api_blueprint, api_user, json_body, token_required
from marketplace.dividends import schemas, services, statements
from marketplace.extensions import db

bp = api_blueprint("dividends_api", __name__)


def _run_json(run_id: int) -> dict[str, Any]:
    session = db.session()
    run = services.get_run(session, run_id)
    return schemas.run_json(run, services.progress(session, run.id))


@bp.post("/admin/dividend-runs")
@token_required("admin")
def draft_run() -> tuple[dict[str, Any], int]:
    """A draft from the ledger: nothing is posted until a second admin approves it."""
    run = services.draft_run(api_user(), schemas.run_request(json_body()))
    return _run_json(run.id), 201


@bp.get("/admin/dividend-runs")
@token_required("admin")
def list_runs() -> dict[str, Any]:
    session = db.session()
    return {
        "results": [
            {
                key: value
                for key, value in schemas.run_json(run, services.progress(session, run.id)).items()
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
    services.approve_run(api_user(), run_id)
    return _run_json(run_id)


@bp.post("/admin/dividend-runs/<int:run_id>/pay")
@token_required("admin")
def pay_run(run_id: int) -> tuple[dict[str, Any], int]:
    services.pay_run(api_user(), run_id)
    return _run_json(run_id), 202


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
