"""Operating costs: record, pay (an accrued one), reverse with a reason, list; and the costs of
a dividend run's period, read from the ledger.

Each use case is one transaction (``unit_of_work``). A cost is dated in the ledger when it was
incurred (``core.posting_moment``), so a cost dated in a period whose books a dividend run
closed (a draft or an approved run) is refused: that run's figures would no longer be the
ledger's. Recording takes the lock drafting a run takes, so the two never cross.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.costs import core
from marketplace.costs.models import RecordedCost
from marketplace.database import lock_row, next_in_sequence, unit_of_work, utcnow
from marketplace.dividends.periods import PeriodBounds, ledger_totals, run_covering
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.ledger import kinds
from marketplace.ledger import services as ledger
from marketplace.ledger.core import format_cents
from marketplace.ledger.models import JournalEntry

# The lock row ``dividends.services.draft_run`` takes: a cost and a draft never cross.
DRAFT_LOCK = "dividend_run_drafts"


def _refuse_closed_books(session: Session, moment_of: date, moment: datetime) -> None:
    run = run_covering(session, moment)
    if run is None:
        return
    closed = run.books_closed_at or moment
    facts = {
        "date": moment_of.isoformat(),
        "run": run.id,
        "status": run.status,
        "start": run.period_start,
        "end": run.period_end,
        "closed": f"{closed:%Y-%m-%d %H:%M}",
    }
    message = (
        gettext(
            "The books of %(date)s are closed: dividend run %(run)s (%(status)s) covers "
            "%(start)s to %(end)s, closed at %(closed)s UTC. Date the cost after that, or "
            "discard that draft first.",
            **facts,
        )
        if run.status == "draft"
        else gettext(
            "The books of %(date)s are closed: dividend run %(run)s (%(status)s) covers "
            "%(start)s to %(end)s, closed at %(closed)s UTC. Date the cost after that.",
            **facts,
        )
    )
    raise Conflict(message, code="books_closed")


def _invalid(error: core.CostError) -> InvalidInput:
    return InvalidInput(gettext(error.message, **error.values), code="invalid_cost")


def record_cost(admin: User, cost: core.Cost) -> RecordedCost:
    """Post the cost (Dr expense, Cr bank or accounts payable) dated when it was incurred,
    with its row. 422 for a cost the rules refuse, 409 when its date's books are closed."""
    now = utcnow()
    try:
        cost = cost.validated(now.date())
    except core.CostError as error:
        raise _invalid(error) from None
    with unit_of_work() as session:
        next_in_sequence(session, DRAFT_LOCK)
        moment = core.posting_moment(cost.incurred_on, now)
        _refuse_closed_books(session, cost.incurred_on, moment)
        currency = current_app.config["CURRENCY"]
        draft = core.cost_entry(f"{kinds.EXPENSE}:{uuid.uuid4().hex}", currency, cost)
        entry = ledger.post(session, draft, created_by_id=admin.id, posted_at=moment)
        if entry is None:
            raise Conflict(gettext("This cost was recorded already."), code="already_recorded")
        row = RecordedCost(
            incurred_on=cost.incurred_on,
            description=cost.description,
            amount_cents=cost.amount_cents,
            currency=currency,
            expense_code=cost.expense_code,
            paid_from=cost.paid_from,
            entry_id=entry.id,
            recorded_by_id=admin.id,
            recorded_at=now,
        )
        session.add(row)
        session.flush()
        record(
            session,
            admin,
            "costs.record",
            "recorded_cost",
            row.id,
            f"Recorded cost {row.id}: {format_cents(row.amount_cents, currency)} to "
            f"{core.expense_name(row.expense_code)} on {row.incurred_on}, {cost.description}",
        )
    return row


def _cost_of(row: RecordedCost) -> core.Cost:
    return core.Cost(
        row.incurred_on, row.description, row.amount_cents, row.expense_code, row.paid_from
    )


def _locked_cost(session: Session, cost_id: int) -> RecordedCost:
    row = lock_row(session, RecordedCost, cost_id)
    if row is None:
        raise NotFound(gettext("No such cost."))
    return row


def _reversal_moment(session: Session, row: RecordedCost) -> datetime:
    """Beside the cost while its period is open (the correction stays in the year it
    corrects); now once a dividend run has closed those books."""
    original = session.get(JournalEntry, row.entry_id)
    if original is not None and run_covering(session, original.posted_at) is None:
        return original.posted_at
    return utcnow()


def reverse_cost(admin: User, cost_id: int, reason: str) -> RecordedCost:
    """Undo a mistaken cost with a reversing entry, keeping both and the reason: dated beside
    the cost while its period is open, now once a run has closed those books. Reversing twice
    is refused (409); a paid accrued cost is reversed to the bank (its payment stays)."""
    with unit_of_work() as session:
        row = _locked_cost(session, cost_id)
        if row.reversal_entry_id is not None:
            raise Conflict(
                gettext(
                    "Cost %(id)s was reversed on %(date)s: %(reason)s",
                    id=row.id,
                    date=format(row.reversed_at, "%Y-%m-%d"),
                    reason=row.reversal_reason,
                ),
                code="already_reversed",
            )
        cost = _cost_of(row)
        if row.paid_entry_id is not None:
            cost = core.Cost(
                cost.incurred_on, cost.description, cost.amount_cents, cost.expense_code, "bank"
            )
        try:
            draft = core.cost_reversal_entry(
                f"{kinds.EXPENSE_REVERSAL}:{row.id}", row.currency, cost, reason
            )
        except core.CostError as error:
            raise _invalid(error) from None
        entry = ledger.post(
            session,
            draft,
            created_by_id=admin.id,
            reverses_entry_id=row.entry_id,
            posted_at=_reversal_moment(session, row),
        )
        if entry is None:
            raise Conflict(
                gettext("Cost %(id)s was reversed already.", id=row.id), code="already_reversed"
            )
        row.reversal_entry_id, row.reversed_by_id, row.reversed_at = entry.id, admin.id, utcnow()
        row.reversal_reason = " ".join(reason.split())
        record(
            session,
            admin,
            "costs.reverse",
            "recorded_cost",
            row.id,
            f"Reversed cost {row.id} ({format_cents(row.amount_cents, row.currency)}): "
            f"{row.reversal_reason}",
        )
    return row


def pay_accrued(admin: User, cost_id: int) -> RecordedCost:
    """An accrued cost paid from the bank today: Dr accounts payable, Cr bank. Paying twice
    changes nothing; a reversed or bank-paid cost is refused (409)."""
    with unit_of_work() as session:
        row = _locked_cost(session, cost_id)
        if row.paid_entry_id is not None:
            return row
        if row.reversal_entry_id is not None or row.paid_from != "payable":
            raise Conflict(
                gettext(
                    "Cost %(id)s is %(status)s: only an owed cost can be paid.",
                    id=row.id,
                    status=row.status,
                ),
                code="not_owed",
            )
        draft = core.payable_paid_entry(
            f"{kinds.EXPENSE_PAYMENT}:{row.id}", row.currency, _cost_of(row)
        )
        entry = ledger.post(session, draft, created_by_id=admin.id)
        if entry is None:
            raise Conflict(gettext("Cost %(id)s was paid already.", id=row.id), code="already_paid")
        row.paid_entry_id, row.paid_on = entry.id, utcnow().date()
        record(
            session,
            admin,
            "costs.pay",
            "recorded_cost",
            row.id,
            f"Paid accrued cost {row.id}: {format_cents(row.amount_cents, row.currency)}",
        )
    return row


def get_cost(session: Session, cost_id: int) -> RecordedCost:
    row = session.get(RecordedCost, cost_id)
    if row is None:
        raise NotFound(gettext("No such cost."))
    return row


@dataclass(frozen=True)
class CostYear:
    year: int
    costs: list[RecordedCost]
    by_code: dict[str, int]

    @property
    def total_cents(self) -> int:
        return sum(self.by_code.values())


def costs_of_year(session: Session, year: int) -> CostYear:
    """The year's costs, latest first, and what each expense account holds net of reversals."""
    rows = list(
        session.execute(
            sa.select(RecordedCost)
            .where(RecordedCost.incurred_on.between(date(year, 1, 1), date(year, 12, 31)))
            .order_by(RecordedCost.incurred_on.desc(), RecordedCost.id.desc())
        ).scalars()
    )
    by_code: dict[str, int] = {}
    for row in rows:
        if row.reversal_entry_id is None:
            by_code[row.expense_code] = by_code.get(row.expense_code, 0) + row.amount_cents
    return CostYear(year, rows, by_code)


def costs_in(session: Session, bounds: PeriodBounds, currency: str) -> dict[str, int]:
    """Each expense account's costs posted within ``bounds`` (net of reversals), from the
    ledger, leaving out the dividend runs' own entries (closings, earlier lump costs)."""
    totals = ledger_totals(
        session, core.SURPLUS_EXPENSE_CODES, bounds, currency, exclude_kinds=kinds.DIVIDEND_KINDS
    )
    return core.costs_by_code(totals)
