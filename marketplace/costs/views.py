"""The admins' operating costs page: record a cost, see a year's costs, pay or reverse one."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from marketplace.costs import core, schemas, services
from marketplace.dividends.periods import today_utc
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.ledger import display
from marketplace.ledger.core import account_spec
from marketplace.web_support import role_required
from marketplace.whole_numbers import query_int

bp = Blueprint("costs_admin", __name__, url_prefix="/admin/costs")


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


def expense_name(code: str) -> str:
    """ "5210 Hosting and software", the account's name in the reader's language."""
    return f"{code} {display.account_name(account_spec(code).name)}"


def _page(form_values: dict[str, str] | None = None, error: str | None = None) -> str:
    today = today_utc()
    year = query_int("year", today.year, 1900, 9999)
    defaults = {
        "incurred_on": today.isoformat(),
        "description": "",
        "amount": "",
        "expense_code": core.EXPENSE_CODES[0],
        "paid_from": "bank",
    }
    return render_template(
        "costs/index.html",
        costs=services.costs_of_year(db.session(), year),
        year=year,
        today=today,
        accounts=[(code, expense_name(code)) for code in core.EXPENSE_CODES],
        paid_from_words={code: gettext(words) for code, words in core.PAID_FROM_WORDS.items()},
        expense_name=expense_name,
        money=display.money,
        status_label=display.status_label,
        day=display.day,
        defaults={**defaults, **(form_values or {})},
        error=error,
    )


@bp.get("/")
def index() -> str:
    return _page()


@bp.post("/")
def record() -> BaseResponse | tuple[str, int]:
    sent: dict[str, Any] = {
        name: request.form.get(name, "")
        for name in ("incurred_on", "description", "amount", "expense_code", "paid_from")
    }
    try:
        row = services.record_cost(current_user, schemas.cost_from_form(sent))
    except AppError as error:
        return _page(sent, error.message), error.status
    flash(
        gettext(
            "Cost %(id)s recorded: %(amount)s to %(account)s, dated %(date)s.",
            id=row.id,
            amount=display.money(row.amount_cents, row.currency),
            account=expense_name(row.expense_code),
            date=row.incurred_on,
        ),
        "success",
    )
    return redirect(url_for("costs_admin.index", year=row.incurred_on.year))


def _back(cost_id: int) -> BaseResponse:
    row = services.get_cost(db.session(), cost_id)
    return redirect(url_for("costs_admin.index", year=row.incurred_on.year))


@bp.post("/<int:cost_id>/reverse")
def reverse(cost_id: int) -> BaseResponse:
    try:
        services.reverse_cost(current_user, cost_id, request.form.get("reason", ""))
        flash(
            gettext("Cost %(id)s reversed: a reversing entry is in the ledger.", id=cost_id),
            "success",
        )
    except AppError as error:
        flash(error.message, "error")
    return _back(cost_id)


@bp.post("/<int:cost_id>/pay")
def pay(cost_id: int) -> BaseResponse:
    try:
        services.pay_accrued(current_user, cost_id)
        flash(gettext("Cost %(id)s paid from the bank.", id=cost_id), "success")
    except AppError as error:
        flash(error.message, "error")
    return _back(cost_id)
