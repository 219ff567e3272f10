"""Reading a run request and writing runs, allocations and statements as JSON or CSV."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext

from marketplace.api_support import iso_date, rfc3339
from marketplace.dividends import core
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.dividends.services import RunRequest
from marketplace.dividends.statement_words import error_words
from marketplace.errors import InvalidInput
from marketplace.ledger.entries import decimal_string
from marketplace.ledger.reports import csv_text


def _date(body: Mapping[str, Any], name: str) -> date:
    raw = body.get(name)
    try:
        return date.fromisoformat(str(raw)) if isinstance(raw, str) else _missing(name)
    except ValueError:
        raise InvalidInput(
            gettext("'%(name)s' must be a date like 2025-12-31.", name=name),
            fields={name: gettext("Not a date.")},
        ) from None


def _missing(name: str) -> date:
    raise InvalidInput(
        gettext("The field '%(name)s' is required (a date like 2025-12-31).", name=name),
        code="missing_field",
        fields={name: gettext("Required.")},
    )


def _percent(body: Mapping[str, Any], name: str, default: str | None = None) -> core.Percent:
    raw = body.get(name, default)
    if raw is None or isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise InvalidInput(
            gettext("'%(name)s' must be a number of percent from 0 to 100.", name=name),
            fields={name: gettext("Required.")},
        )
    try:
        core.percent_bps(raw, name)
    except core.DividendError as error:
        raise InvalidInput(error_words(error), fields={name: error_words(error)}) from None
    return raw


def _cents(body: Mapping[str, Any], name: str) -> int:
    raw = body.get(name, 0)
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise InvalidInput(
            gettext("'%(name)s' must be a whole, non-negative number of cents.", name=name),
            fields={name: gettext("Whole cents, 0 or more.")},
        )
    return raw


def run_request(body: Mapping[str, Any]) -> RunRequest:
    """``{period_start, period_end, operating_costs_cents, reserve_pct, cash_pct}``; the cash
    share's 20 % floor is checked when drafting, so its message is the core's."""
    note = body.get("operating_costs_note", "")
    if not isinstance(note, str):
        raise InvalidInput(
            gettext("'operating_costs_note' must be a string."),
            fields={"operating_costs_note": gettext("Text.")},
        )
    return RunRequest(
        period_start=_date(body, "period_start"),
        period_end=_date(body, "period_end"),
        # Absent: the costs recorded in the ledger for the period; given: must agree with them.
        operating_costs_cents=(
            None
            if body.get("operating_costs_cents") is None
            else _cents(body, "operating_costs_cents")
        ),
        reserve_pct=_percent(body, "reserve_pct"),
        cash_pct=_percent(body, "cash_pct", "20"),
        operating_costs_note=note[:2000],
        close_books_now=body.get("close_books_now") is True,
    )


def _number(pct: Decimal) -> int | float:
    """A percentage (at most two decimals, never an amount of money) as a JSON number."""
    return int(pct) if pct == pct.to_integral_value() else float(pct)


def allocation_json(allocation: DividendAllocation) -> dict[str, Any]:
    return {
        "id": allocation.id,
        "member_id": allocation.member_id,
        "member_number": allocation.member_number,
        "class_code": allocation.class_code,
        "basis": allocation.basis,
        "weight": allocation.weight,
        "patronage_cents": allocation.patronage_cents,
        "allocation_cents": allocation.allocation_cents,
        "cash_cents": allocation.cash_cents,
        "retained_cents": allocation.retained_cents,
        "status": allocation.status,
        "stripe_transfer_id": allocation.stripe_transfer_id,
        "failure_reason": allocation.failure_reason or None,
        "distribution_kind": core.distribution(allocation.basis).kind,
        "patronage_dividend": core.distribution(allocation.basis).patronage_dividend,
        "paid_by_other_means": allocation.paid_by_other_means or None,
    }


def run_json(run: DividendRun, progress: dict[str, int]) -> dict[str, Any]:
    return {
        "id": run.id,
        "status": run.status,
        "period_start": iso_date(run.period_start),
        "period_end": iso_date(run.period_end),
        "starts_at": rfc3339(run.starts_at) if run.starts_at else None,
        "books_closed_at": rfc3339(run.books_closed_at) if run.books_closed_at else None,
        "currency": run.currency,
        "revenue_cents": run.revenue_cents,
        "refunds_cents": run.refunds_cents,
        "fees_cents": run.fees_cents,
        "royalties_cents": 0,
        "operating_costs_cents": run.operating_costs_cents,
        "operating_costs_note": run.operating_costs_note,
        "surplus_cents": run.surplus_cents,
        # Member and non-member business: only the first is patronage.
        **run.business_split.as_json(),
        "reserve_pct": _number(core.bps_pct(run.reserve_bps)),
        "reserve_cents": run.reserve_cents,
        "pool_cents": run.pool_cents,
        "unallocated_cents": run.unallocated_cents,
        "cash_pct": _number(core.bps_pct(run.cash_bps)),
        "reason": run.reason or None,
        "classes": [
            {
                "code": c["code"],
                "share_pct": _number(Decimal(c["share_pct"])),
                "basis": c["basis"],
                "pool_cents": c["pool_cents"],
            }
            for c in run.classes
        ],
        "allocations": [allocation_json(a) for a in run.allocations],
        "progress": progress,
        "failures": [
            {"member_id": a.member_id, "member_number": a.member_number, "reason": a.failure_reason}
            for a in run.allocations
            if a.status == "failed"
        ],
        "cash_held": [
            {"member_id": a.member_id, "member_number": a.member_number, "cash_cents": a.cash_cents}
            for a in run.allocations
            if a.status == "held"
        ],
        "patronage_dividends_cents": sum(
            a.allocation_cents
            for a in run.allocations
            if core.distribution(a.basis).patronage_dividend
        ),
        "other_distributions_cents": sum(
            a.allocation_cents
            for a in run.allocations
            if not core.distribution(a.basis).patronage_dividend
        ),
        "loss_brought_forward_cents": run.loss_brought_forward_cents,
        "loss_carried_forward_cents": run.loss_carried_forward_cents,
        "loss_charged_to_reserves_cents": run.loss_charged_to_reserves_cents,
        "loss_policy": run.loss_policy,
        "payment_deadline": iso_date(core.payment_deadline(run.period_end)),
        "past_deadline_on": iso_date(run.past_deadline_on) if run.past_deadline_on else None,
        "late_reason": run.late_reason or None,
        "notices_qualified_by_date": run.past_deadline_on is None or bool(run.late_reason),
        "drafted_by_id": run.drafted_by_id,
        "drafted_at": rfc3339(run.drafted_at),
        "approved_by_id": run.approved_by_id,
        "approved_at": rfc3339(run.approved_at),
        "paid_at": rfc3339(run.paid_at),
    }


CSV_HEADER = [
    "member_number",
    "member_id",
    "class",
    "basis",
    "weight",
    "patronage",
    "allocation",
    "cash",
    "retained",
    "status",
    "stripe_transfer_id",
    "distribution_kind",
    "paid_by_other_means",
    "kept",
    "cash_paid_to_member",
]


def allocations_csv(run: DividendRun) -> Iterator[str]:
    """One row per allocation, amounts as decimals in the run's currency."""
    return csv_text(
        CSV_HEADER,
        (
            [
                a.member_number,
                a.member_id,
                a.class_code,
                a.basis,
                a.weight,
                decimal_string(a.patronage_cents),
                decimal_string(a.allocation_cents),
                decimal_string(a.cash_cents),
                decimal_string(a.retained_cents),
                a.status,
                a.stripe_transfer_id or "",
                core.distribution(a.basis).kind,
                a.paid_by_other_means,
                # Cash kept against the member's debt to the co-op, and what reached them.
                decimal_string(a.kept_cents),
                decimal_string(a.cash_cents - a.kept_cents),
            ]
            for a in run.allocations
        ),
    )
