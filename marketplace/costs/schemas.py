"""Reading a cost from JSON or a form, and writing costs as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext

from marketplace.api_support import iso_date, rfc3339
from marketplace.costs import core
from marketplace.costs.models import RecordedCost
from marketplace.costs.services import CostYear
from marketplace.errors import InvalidInput


def _text(body: Mapping[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InvalidInput(
            gettext("'%(name)s' must be text.", name=name), fields={name: gettext("Required.")}
        )
    return value


def _day(body: Mapping[str, Any], name: str) -> date:
    try:
        return date.fromisoformat(_text(body, name).strip())
    except ValueError:
        raise InvalidInput(
            gettext("'%(name)s' must be a date like 2026-03-31.", name=name),
            fields={name: gettext("Not a date.")},
        ) from None


def cost_from_json(body: Mapping[str, Any]) -> core.Cost:
    """``{incurred_on, description, amount_cents, expense_code, paid_from}``."""
    amount = body.get("amount_cents")
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise InvalidInput(
            gettext("'amount_cents' must be a whole number of cents."),
            fields={"amount_cents": gettext("Whole cents.")},
        )
    return core.Cost(
        incurred_on=_day(body, "incurred_on"),
        description=_text(body, "description"),
        amount_cents=amount,
        expense_code=str(body.get("expense_code", core.EXPENSE_CODES[0])),
        paid_from=str(body.get("paid_from", "bank")),
    )


def cents_from_form(raw: str) -> int:
    """``"1,234.50"`` -> ``123450``: the form takes money in units, the service in cents."""
    try:
        amount = Decimal((raw or "").replace(",", "").strip())
    except InvalidOperation:
        raise InvalidInput(gettext("The amount must be like 1234.50.")) from None
    cents = amount * 100
    if not amount.is_finite() or cents != cents.to_integral_value():
        raise InvalidInput(gettext("The amount must be like 1234.50, to the cent."))
    return int(cents)


def cost_from_form(form: Mapping[str, str]) -> core.Cost:
    return core.Cost(
        incurred_on=_day(form, "incurred_on"),
        description=form.get("description", ""),
        amount_cents=cents_from_form(form.get("amount", "")),
        expense_code=form.get("expense_code", ""),
        paid_from=form.get("paid_from", ""),
    )


def cost_json(row: RecordedCost) -> dict[str, Any]:
    return {
        "id": row.id,
        "incurred_on": iso_date(row.incurred_on),
        "description": row.description,
        "amount_cents": row.amount_cents,
        "currency": row.currency,
        "expense_code": row.expense_code,
        "expense_account": core.expense_name(row.expense_code),
        "paid_from": row.paid_from,
        "status": row.status,
        "entry_id": row.entry_id,
        "recorded_at": rfc3339(row.recorded_at),
        "paid_on": iso_date(row.paid_on),
        "reversal_entry_id": row.reversal_entry_id,
        "reversal_reason": row.reversal_reason or None,
        "reversed_at": rfc3339(row.reversed_at),
    }


def year_json(year: CostYear) -> dict[str, Any]:
    return {
        "year": year.year,
        "total_cents": year.total_cents,
        "by_account": [
            {"code": code, "name": core.expense_name(code), "amount_cents": cents}
            for code, cents in sorted(year.by_code.items())
        ],
        "results": [cost_json(row) for row in year.costs],
    }
