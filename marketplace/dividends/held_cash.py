"""Cash a member was allocated but not paid (no payout account, or a failed transfer): its
deadline and its two ways out.

Cash counts when it is paid (IRC §1388(c)(1)(A): at least 20 % "paid in money"), so a held
allocation keeps its run ``partially_paid`` until it is paid by Stripe (``paying.pay_held``
once the member connects a payout account), paid by other means (an admin records the cheque
or bank transfer with its reference: ``record_other_payment``), or recorded as not paid with
the reason (``record_unpaid``). Its deadline is the run's payment deadline.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.dividends import core
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.dividends.paying import progress
from marketplace.dividends.services import FINISHED, locked_run, period_label
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.ledger import services as ledger
from marketplace.ledger.core import (
    BANK,
    DIVIDENDS_PAYABLE,
    AccountRef,
    format_cents,
    transfer_entry,
)

# Only held cash never reached Stripe; a failed transfer is retried by paying the run again
# (its key may have made a transfer after all), never settled by hand.
HELD = ("held",)


def _unpaid_allocation(session: Session, run_id: int, allocation_id: int) -> DividendAllocation:
    allocation = lock_row(session, DividendAllocation, allocation_id)
    if allocation is None or allocation.run_id != run_id:
        raise NotFound(gettext("No such allocation in this dividend run."))
    if allocation.status not in HELD:
        raise Conflict(
            gettext(
                "Member %(number)s's cash is %(status)s: only held cash can be settled by hand.",
                number=allocation.member_number,
                status=allocation.status,
            ),
            code="not_unpaid",
        )
    return allocation


def _settle_run(session: Session, run: DividendRun) -> None:
    """A finished run becomes ``paid`` once none of its cash is held, failed or pending."""
    if run.status not in FINISHED:
        return
    counts = progress(session, run.id)
    if counts["paid"] and not (counts["held"] or counts["failed"] or counts["pending"]):
        run.status = "paid"
    else:
        run.status = "partially_paid"


def _reference(text: str, what: str) -> str:
    cleaned = text.strip()
    if not cleaned:
        raise InvalidInput(what, fields={"reference": what})
    return cleaned[:500]


def record_other_payment(
    admin: User, run_id: int, allocation_id: int, reference: str
) -> DividendAllocation:
    """The admin paid a member's held cash outside Stripe, from the co-op's bank:
    posts Dr dividends payable[member], Cr bank under the same idempotency key a Stripe
    payment of this allocation would use, so the cash is never booked as paid twice."""
    reference = _reference(
        reference, gettext("Give the payment's reference (cheque number or bank transfer id).")
    )
    with unit_of_work() as session:
        run = locked_run(session, run_id)
        allocation = _unpaid_allocation(session, run_id, allocation_id)
        ledger.post(
            session,
            transfer_entry(
                core.idempotency_key(core.KIND_PAYMENT, allocation.id),
                f"Dividend cash paid to member {allocation.member_number} by other means, "
                f"{period_label(run)}: {reference}"[:500],
                run.currency,
                AccountRef(DIVIDENDS_PAYABLE, allocation.member_id),
                AccountRef(BANK),
                # Less what was kept against a debt of the member's (paying.pay_allocation).
                allocation.cash_cents - allocation.kept_cents,
                core.KIND_PAYMENT,
            ),
            created_by_id=admin.id,
        )
        allocation.status, allocation.failure_reason = "paid", ""
        allocation.paid_by_other_means = reference
        allocation.paid_by_other_means_by_id = admin.id
        allocation.settled_at = utcnow()
        _settle_run(session, run)
        record(
            session,
            admin,
            "dividends.paid_other_means",
            "dividend_run",
            run.id,
            f"Recorded {format_cents(allocation.cash_cents - allocation.kept_cents, run.currency)}"
            " paid to member "
            f"{allocation.member_number} outside Stripe: {reference}",
        )
    return allocation


def record_unpaid(admin: User, run_id: int, allocation_id: int, reason: str) -> DividendAllocation:
    """The admin records why a member's held cash could not be paid: the allocation is failed
    with that reason (paying the run again tries it once more) and the run stays partially
    paid."""
    reason = _reference(reason, gettext("Say why the cash could not be paid."))
    with unit_of_work() as session:
        run = locked_run(session, run_id)
        allocation = _unpaid_allocation(session, run_id, allocation_id)
        allocation.status, allocation.failure_reason = "failed", reason
        allocation.settled_at = utcnow()
        _settle_run(session, run)
        record(
            session,
            admin,
            "dividends.cash_unpaid",
            "dividend_run",
            run.id,
            f"Recorded member {allocation.member_number}'s cash as not paid: {reason}",
        )
    return allocation


def held_allocations(session: Session, run_id: int) -> list[DividendAllocation]:
    """The run's held allocations, by member number."""
    return list(
        session.execute(
            sa.select(DividendAllocation)
            .where(DividendAllocation.run_id == run_id, DividendAllocation.status.in_(HELD))
            .order_by(DividendAllocation.member_number, DividendAllocation.id)
        ).scalars()
    )
