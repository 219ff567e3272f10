"""The admins' bank reconciliation page: Stripe clearing, payouts and the bank statement."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.ledger.core import format_cents
from marketplace.payments import bank_payouts
from marketplace.web_support import role_required

bp = Blueprint("bank_admin", __name__, url_prefix="/admin/bank-reconciliation")
MAX_STATEMENT_BYTES = 2_000_000


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


def _page(error: str | None = None) -> str:
    currency = current_app.config["CURRENCY"]
    return render_template(
        "payments/bank_reconciliation.html",
        report=bank_payouts.reconciliation(db.session(), currency),
        currency=currency,
        money=format_cents,
        error=error,
    )


@bp.get("/")
def index() -> str:
    return _page()


@bp.post("/statement")
def import_statement() -> BaseResponse | tuple[str, int]:
    upload = request.files.get("statement")
    text = request.form.get("lines", "")
    if upload is not None and upload.filename:
        raw = upload.read(MAX_STATEMENT_BYTES + 1)
        if len(raw) > MAX_STATEMENT_BYTES:
            return _page("The statement is larger than 2 MB: import it month by month."), 413
        text = raw.decode("utf-8", errors="replace")
    try:
        added, known = bank_payouts.import_statement(
            current_user, text, current_app.config["CURRENCY"]
        )
    except AppError as error:
        return _page(error.message), error.status
    flash(
        gettext(
            "%(added)s statement lines imported (%(known)s were imported before).",
            added=added,
            known=known,
        ),
        "success",
    )
    return redirect(url_for("bank_admin.index"))
