"""Dividend runs, approving and paying: approval (four eyes) posts the run's entries, paying
queues one ``dividends.pay_allocation`` task per allocation after the commit.

Every step locks the row it changes and returns early when the work is done, so paying twice,
two admins at once or a worker crash never pays twice. The Stripe transfer and the payout
account lookup are taken from ``services`` at call time, so tests can stand in for Stripe.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.dividends import core, services, statement_words
from marketplace.dividends.models import DividendAllocation, DividendRun, RedemptionLine
from marketplace.dividends.periods import run_bounds, today_utc
from marketplace.dividends.qualification import note_deadline
from marketplace.dividends.services import (
    FINISHED,
    PAY_TASK,
    DestinationLookup,
    Payer,
    locked_run,
    period_label,
    recorded_costs_of,
    run_inputs,
    stored_plan,
)
from marketplace.errors import AppError, Conflict, Forbidden
from marketplace.ledger import debts, member_debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import (
    DIVIDENDS_PAYABLE,
    RESERVES,
    RETAINED_SURPLUS,
    AccountRef,
    EntryDraft,
    format_cents,
    transfer_entry,
)
from marketplace.ledger.entries import WITHHOLDING_PAYABLE
from marketplace.payments.gateway import GatewayError, TransferRefused
from marketplace.taxes import withholding_status
from marketplace.taxes.withholding import withheld_cents

log = logging.getLogger(__name__)


def approve_run(admin: User, run_id: int, late_reason: str = "") -> DividendRun:
    """The second admin's approval: posts the run's entries (operating costs, closing, reserve,
    allocation, keyed by the run id, and a loss the board's policy charges to reserves) in this
    one transaction. Approving again changes nothing; the admin who drafted the run cannot
    approve it (403). Past the payment period the run is marked late: its notices are
    nonqualified unless ``late_reason`` (or a reason given before) says why not."""
    with unit_of_work() as session:
        run = locked_run(session, run_id)
        if run.status != "draft":
            return run
        if run.drafted_by_id == admin.id:
            raise Forbidden(
                gettext(
                    "Four eyes: another admin must approve this run, not the one who drafted it."
                ),
                code="drafter_cannot_approve",
            )
        plan = stored_plan(session, run)
        # Dated at the end of the period they close, whenever the run is approved.
        bounds = run_bounds(run)
        for draft in core.dividend_run_entries(
            run.id,
            run.currency,
            run_inputs(run),
            plan,
            period_label(run),
            run.operating_costs_note,
            recorded_costs_of(session, run, bounds),
        ):
            ledger.post(session, draft, created_by_id=admin.id, posted_at=bounds.last_moment)
        if run.loss_charged_to_reserves_cents:
            ledger.post(
                session,
                loss_to_reserves_entry(run),
                created_by_id=admin.id,
                posted_at=bounds.last_moment,
            )
        run.status, run.approved_by_id, run.approved_at = "approved", admin.id, utcnow()
        note_deadline(run, today_utc(), late_reason)
        record(
            session,
            admin,
            "dividends.approve",
            "dividend_run",
            run.id,
            f"Approved dividend run {run.id}: pool {format_cents(run.pool_cents, run.currency)} "
            f"to {len(plan.dividends)} members",
        )
    return run


def pay_run(admin: User, run_id: int, late_reason: str = "") -> DividendRun:
    """Start paying: one ``dividends.pay_allocation`` task per pending allocation, sent after
    commit. A run already paying or paid is returned as it is; a partially paid run retries
    its failed allocations (Stripe's idempotency key, from the allocation id, is the same), and
    is returned as it is when only held cash is left.
    A run that allocated nothing has nobody to pay (409): it stays approved, never "paid"."""
    with unit_of_work() as session:
        run = locked_run(session, run_id)
        if run.status == "draft":
            raise Conflict(gettext("Approve the run before paying it."), code="not_approved")
        if run.status in ("paying", "paid"):
            return run
        counts = progress(session, run.id)
        if run.status == "partially_paid" and not counts["failed"]:
            return run  # only held cash is left: pay_held or settle it by hand, not again
        if not sum(counts.values()):
            raise Conflict(
                gettext(
                    "Dividend run %(id)s allocated nothing (%(reason)s): there is nobody to pay, "
                    "so it stays approved.",
                    id=run.id,
                    reason=statement_words.run_reason(run) or gettext("no pool"),
                ),
                code="nothing_to_pay",
            )
        note_deadline(run, today_utc(), late_reason)
        run.status, run.pay_started_by_id, run.pay_started_at = "paying", admin.id, utcnow()
        run.queued_at = run.pay_started_at
        queued = queue_payments(session, DividendAllocation, run.id, PAY_TASK)
        finish_locked_run(session, run)
        record(
            session,
            admin,
            "dividends.pay",
            "dividend_run",
            run.id,
            f"Started paying dividend run {run.id}: {queued} allocations queued",
        )
    return run


def queue_payments(
    session: Session,
    line_model: type[DividendAllocation] | type[RedemptionLine],
    run_id: int,
    task_name: str,
) -> int:
    """Put the run's failed lines back to pending, then queue one payment task per pending
    line, in id order (sent after the commit); how many were queued. Dividend runs and
    redemptions are paid the same way."""
    session.execute(
        sa.update(line_model)
        .where(line_model.run_id == run_id, line_model.status == "failed")
        .values(status="pending", failure_reason="")
    )
    pending = session.execute(
        sa.select(line_model.id)
        .where(line_model.run_id == run_id, line_model.status == "pending")
        .order_by(line_model.id)
    ).scalars()
    queued = 0
    for line_id in pending:
        enqueue(session, task_name, line_id)
        queued += 1
    return queued


def transfer_key(allocation: DividendAllocation) -> str:
    """Stripe's idempotency key: from the allocation id, and its attempt after a refusal."""
    base = f"dividend-allocation-{allocation.id}-{allocation.transfer_token}"
    return base if not allocation.transfer_attempt else f"{base}-{allocation.transfer_attempt}"


def pay_allocation(
    allocation_id: int,
    *,
    payer: Payer | None = None,
    destination_for: DestinationLookup | None = None,
) -> DividendAllocation | None:
    """Pay one member's cash part, once: held when they have no payout account, failed with
    the reason when the transfer is refused. Then the run finishes when nothing is pending.

    What is withheld and what is kept against the member's debts are decided and committed
    first (``decide_payment``), so every attempt sends the same amount and metadata. The
    transfer is sent while the allocation is locked; a crash before the commit leaves it
    pending, and the retried task sends the same idempotency key, so Stripe answers with the
    transfer it already made (or ``transfer_once`` adopts it). Only a refusal (Stripe made no
    transfer and keeps that answer under the key) moves the next attempt to a new key.
    """
    payer = payer or services.stripe_transfer
    destination_for = destination_for or services.ready_payout_account
    decide_payment(allocation_id)
    with unit_of_work() as session:
        allocation = lock_row(session, DividendAllocation, allocation_id)
        if (
            allocation is None
            or allocation.status != "pending"
            or allocation.withholding_bps is None
        ):
            # Not pending when the decision was taken: whoever made it pending since queued
            # the task that pays it.
            return allocation
        run = allocation.run
        withheld = allocation.withheld_cents
        paid_cents = allocation.cash_cents - allocation.kept_cents - withheld
        if paid_cents == 0:
            if withheld:
                ledger.post(session, withheld_only_entry(allocation, run))
            allocation.status, allocation.settled_at = "paid", utcnow()
        else:
            send_transfer(
                session,
                allocation,
                payer=payer,
                destination_for=destination_for,
                amount_cents=paid_cents,
                currency=run.currency,
                idempotency_key=transfer_key(allocation),
                metadata={
                    "dividend_run_id": str(run.id),
                    "dividend_allocation_id": str(allocation.id),
                    "member_id": str(allocation.member_id),
                    "transfer_token": allocation.transfer_token,
                    "withheld_cents": str(withheld),
                },
                transfer_group=f"dividend-run-{run.id}",
                logger=log,
                what="Dividend allocation",
                entry=lambda transfer_id: core.dividend_payment_entry(
                    core.idempotency_key(core.KIND_PAYMENT, allocation.id),
                    run.currency,
                    allocation.member_id,
                    paid_cents + withheld,
                    f"Patronage dividend paid to member {allocation.member_number}, "
                    f"{period_label(run)} (transfer {transfer_id})",
                    withheld,
                ),
            )
            if allocation.status == "held" and allocation.kept_cents == 0:
                # Nothing paid and nothing kept: decided again when it is paid, from the form
                # on file then (once cash was kept against a debt, that decision stands).
                allocation.withholding_bps, allocation.withheld_cents = None, 0
        run_id = run.id
    # The run is locked in a transaction of its own: taking it while holding the allocation
    # made two workers wait on each other (a deadlock under load).
    finish_if_done(run_id)
    return allocation


def decide_payment(allocation_id: int) -> None:
    """Decide, and commit before any transfer, what a pending allocation without a decision
    withholds and keeps: the tax withheld on the whole cash (``cash_cents``: what is kept
    against the member's debts is paid to them too), then what the member owes the co-op kept
    from the rest, at most the cash less the tax. A retry uses what is stored here, whatever
    changed since (a form filed, a rate set, a W-8BEN expired)."""
    with unit_of_work() as session:
        allocation = lock_row(session, DividendAllocation, allocation_id)
        if allocation is None or allocation.status != "pending":
            return
        if allocation.withholding_bps is not None:
            return
        decided = withholding_status.decide(session, allocation.member_id, utcnow().date())
        allocation.withholding_bps = decided.rate_bps
        allocation.withheld_cents = withheld_cents(allocation.cash_cents, decided.rate_bps)
        if allocation.kept_cents == 0:
            # What the member owes the co-op is kept first, as the member agreement allows.
            member_debts.lock_member(session, allocation.member_id)
            allocation.kept_cents = member_debts.offset(
                session,
                allocation.member_id,
                allocation.run.currency,
                debts.DIVIDENDS,
                allocation.cash_cents - allocation.withheld_cents,
                f"dividend-allocation-{allocation.id}",
                f"the dividend cash of {period_label(allocation.run)}",
            )


def withheld_only_entry(allocation: DividendAllocation, run: DividendRun) -> EntryDraft:
    """Dr dividends payable[member] (2200), Cr withholding payable[member] (2500): the tax
    withheld from a dividend whose rest was all kept against the member's debts (no transfer)."""
    return transfer_entry(
        core.idempotency_key(core.KIND_PAYMENT, allocation.id),
        f"Tax withheld from the patronage dividend of member {allocation.member_number}, "
        f"{period_label(run)} (the rest kept against what they owe)",
        run.currency,
        AccountRef(DIVIDENDS_PAYABLE, allocation.member_id),
        AccountRef(WITHHOLDING_PAYABLE, allocation.member_id),
        allocation.withheld_cents,
        core.KIND_PAYMENT,
    )


def finish_if_done(run_id: int) -> None:
    """Mark the run paid (or partially paid) once nothing is pending, in a transaction of its
    own. While allocations are pending it only looks, without the run's lock: every task
    looks after its own commit, so the last one to commit finds none pending and finishes."""
    with unit_of_work() as session:
        pending = session.execute(
            sa.select(DividendAllocation.id)
            .where(DividendAllocation.run_id == run_id, DividendAllocation.status == "pending")
            .limit(1)
        ).first()
        if pending is None:
            finish_locked_run(session, locked_run(session, run_id))


def send_transfer(
    session: Session,
    row: DividendAllocation | RedemptionLine,
    *,
    payer: Payer,
    destination_for: DestinationLookup,
    amount_cents: int,
    currency: str,
    idempotency_key: str,
    metadata: dict[str, str],
    transfer_group: str,
    logger: logging.Logger,
    what: str,
    entry: Callable[[str], EntryDraft],
) -> None:
    """Pay one locked pending allocation or redemption line: held when the member has no payout
    account, failed with the reason when the transfer is refused (a refusal also moves the next
    attempt to a new key), else paid with ``entry(transfer_id)`` posted. Then settled."""
    destination = destination_for(session, row.member_id)
    if destination is None:
        row.status = "held"
    else:
        try:
            transfer_id = payer(
                amount_cents=amount_cents,
                currency=currency.lower(),
                destination=destination,
                idempotency_key=idempotency_key,
                metadata=metadata,
                transfer_group=transfer_group,
            )
        except (GatewayError, AppError) as error:
            logger.warning("%s %s not paid: %s", what, row.id, error)
            if isinstance(error, TransferRefused):
                row.transfer_attempt += 1
            row.status = "failed"
            row.failure_reason = str(error)[:1000] or type(error).__name__
        else:
            row.stripe_transfer_id = transfer_id
            ledger.post(session, entry(transfer_id))
            row.status = "paid"
    row.settled_at = utcnow()


def finish_locked_run(session: Session, run: DividendRun) -> None:
    """Once no allocation is pending: paid when every member's cash was paid; partially paid
    while any failed or is held (a member without a payout account has not been paid: IRC
    §1388(c) counts cash when paid), and when nobody was paid at all."""
    if run.status != "paying":
        return
    counts = progress(session, run.id)
    if counts["pending"]:
        return
    everyone_paid = counts["paid"] and not counts["failed"] and not counts["held"]
    run.status = "paid" if everyone_paid else "partially_paid"
    # Kept from the first finish: paying held cash later does not move the run's tax year.
    run.paid_at = run.paid_at or utcnow()


def pay_held(
    admin: User | None,
    run_id: int | None = None,
    member_id: int | None = None,
    *,
    destination_for: DestinationLookup | None = None,
) -> int:
    """Queue again the held allocations (of a run, or of a member) whose member can now
    receive transfers; how many. Nothing else changes: each allocation is still paid by
    ``pay_allocation`` under its own lock and idempotency key (a held allocation never reached
    Stripe, so its key is unused), and one already pending or paid is left alone. A run that
    had finished goes back to ``paying`` until these are settled; its ``paid_at`` is kept.
    """
    destination_for = destination_for or services.ready_payout_account
    with unit_of_work() as session:
        query = (
            sa.select(DividendAllocation.id, DividendAllocation.run_id)
            .join(DividendRun, DividendRun.id == DividendAllocation.run_id)
            .where(
                DividendAllocation.status == "held",
                DividendRun.status.in_(("paying", *FINISHED)),
            )
            .order_by(DividendAllocation.id)
        )
        if run_id is not None:
            run = locked_run(session, run_id)
            if run.status not in ("paying", *FINISHED):
                raise Conflict(
                    gettext("Pay the run before paying its held allocations."), code="not_paid"
                )
            query = query.where(DividendAllocation.run_id == run_id)
        if member_id is not None:
            query = query.where(DividendAllocation.member_id == member_id)
        queued = 0
        runs: set[int] = set()
        for allocation_id, allocation_run_id in session.execute(query).all():
            allocation = lock_row(session, DividendAllocation, allocation_id)
            if allocation is None or allocation.status != "held":
                continue
            if destination_for(session, allocation.member_id) is None:
                continue
            allocation.status, allocation.failure_reason = "pending", ""
            enqueue(session, PAY_TASK, allocation.id)
            runs.add(allocation_run_id)
            queued += 1
        for queued_run_id in sorted(runs):
            locked = locked_run(session, queued_run_id)
            locked.queued_at = utcnow()
            if locked.status in FINISHED:
                locked.status = "paying"
            if admin is not None:
                record(
                    session,
                    admin,
                    "dividends.pay_held",
                    "dividend_run",
                    queued_run_id,
                    f"Queued the held allocations of dividend run {queued_run_id} whose "
                    "members now have a payout account",
                )
    return queued


def progress(session: Session, run_id: int) -> dict[str, int]:
    """How many allocations are pending, paid, held and failed (one grouped query)."""
    counts = dict.fromkeys(("pending", "paid", "held", "failed"), 0)
    for status, count in session.execute(
        sa.select(DividendAllocation.status, sa.func.count())
        .where(DividendAllocation.run_id == run_id)
        .group_by(DividendAllocation.status)
    ):
        counts[status] = int(count)
    return counts


def loss_to_reserves_entry(run: DividendRun) -> EntryDraft:
    """Dr reserves (3200), Cr retained surplus (3300): the period's loss the board's policy
    charges to reserves rather than carrying it forward against later surpluses."""
    return transfer_entry(
        core.idempotency_key(core.KIND_RESERVE, f"{run.id}-loss"),
        f"Loss charged to reserves, {period_label(run)} (dividend run {run.id})",
        run.currency,
        AccountRef(RESERVES),
        AccountRef(RETAINED_SURPLUS),
        run.loss_charged_to_reserves_cents,
        core.KIND_RESERVE,
    )
