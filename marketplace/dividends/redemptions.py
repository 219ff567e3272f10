"""Revolving redemption: paying members back the retained parts of earlier years, oldest first.

A redemption run is drafted from what each allocation still retains (``core.redeem``), posts
nothing, and on paying posts ``core.redemption_entry`` per line (Dr member capital, Cr
dividends payable) and queues one ``dividends.pay_redemption_line`` task per line, paid like a
dividend: a Stripe transfer keyed by the line id, held without a payout account, then
Dr dividends payable, Cr Stripe clearing.

What an allocation still retains is its ``retained_cents`` less the lines of every redemption
run past the draft; the check is made again, under a lock of its own, when a run is paid, so
two drafts of the same year can never redeem more than was retained.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.background import enqueue
from marketplace.database import lock_row, next_in_sequence, unit_of_work, utcnow
from marketplace.dividends import core, paying, services
from marketplace.dividends.models import (
    DividendAllocation,
    DividendRun,
    RedemptionLine,
    RedemptionRun,
)
from marketplace.dividends.statement_words import error_words
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.i18n.markers import N_
from marketplace.ledger import debts, kinds, member_debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import format_cents

log = logging.getLogger(__name__)

PAY_LINE_TASK = "dividends.pay_redemption_line"
KIND_REDEMPTION_PAYMENT = kinds.REDEMPTION_PAYMENT_KEY
# Runs whose allocation entry is posted, so their retained parts sit in member capital.
CREDITED_RUN_STATUSES = ("approved", "paying", "paid", "partially_paid")
POSTED = ("paying", "paid", "partially_paid")


def retained_allocations(
    session: Session, *, exclude_run_id: int | None = None
) -> list[core.RetainedAllocation]:
    """Every allocation with something still retained, by the year its period ends in."""
    taken = (
        sa.select(
            RedemptionLine.allocation_id,
            sa.func.sum(RedemptionLine.amount_cents).label("taken"),
        )
        .join(RedemptionRun, RedemptionRun.id == RedemptionLine.run_id)
        .where(RedemptionRun.status.in_(POSTED))
    )
    if exclude_run_id is not None:
        taken = taken.where(RedemptionRun.id != exclude_run_id)
    taken_sq = taken.group_by(RedemptionLine.allocation_id).subquery()
    rows = session.execute(
        sa.select(
            DividendAllocation.id,
            DividendAllocation.member_id,
            DividendRun.period_end,
            DividendAllocation.retained_cents,
            sa.func.coalesce(taken_sq.c.taken, 0),
        )
        .join(DividendRun, DividendRun.id == DividendAllocation.run_id)
        .outerjoin(taken_sq, taken_sq.c.allocation_id == DividendAllocation.id)
        .where(
            DividendRun.status.in_(CREDITED_RUN_STATUSES),
            DividendAllocation.retained_cents > 0,
        )
    ).all()
    return [
        core.RetainedAllocation(member_id, period_end.year, retained - int(taken), allocation_id)
        for allocation_id, member_id, period_end, retained, taken in rows
        if retained - int(taken) > 0
    ]


def outstanding_by_year(session: Session) -> dict[int, int]:
    """Retained cents still to redeem, per year (for the admin page)."""
    years: dict[int, int] = {}
    for row in retained_allocations(session):
        years[row.year] = years.get(row.year, 0) + row.amount_cents
    return dict(sorted(years.items()))


def _plan(
    retained: Iterable[core.RetainedAllocation],
    year: int,
    pct_bps: int | None,
    allow_out_of_order: bool,
) -> list[core.Redemption]:
    try:
        return core.redeem(
            retained,
            year,
            None if pct_bps is None else core.bps_pct(pct_bps),
            allow_out_of_order=allow_out_of_order,
        )
    except core.RedemptionOrderError as error:
        raise Conflict(error_words(error), code="older_years_outstanding") from None
    except core.DividendError as error:
        raise InvalidInput(error_words(error), fields={"pct": error_words(error)}) from None


def draft_redemption(
    admin: User, year: int, pct: core.Percent | None = None, *, allow_out_of_order: bool = False
) -> RedemptionRun:
    """A draft redeeming ``year``'s retained allocations (all, or ``pct`` of their total,
    never more than any allocation retains); posts nothing. Refused (409) while an older year
    is outstanding unless ``allow_out_of_order``; 422 when the year has nothing retained."""
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 9999:
        raise InvalidInput(
            gettext("'year' must be a year like 2025."), fields={"year": gettext("Not a year.")}
        )
    pct_bps = None
    if pct is not None:
        try:
            pct_bps = core.percent_bps(pct, N_("The redemption share"))
        except core.DividendError as error:
            raise InvalidInput(error_words(error), fields={"pct": error_words(error)}) from None
        if pct_bps == 0:
            raise InvalidInput(
                gettext("Redeem more than 0 %."), fields={"pct": gettext("More than 0 %.")}
            )
    with unit_of_work() as session:
        plan = _plan(retained_allocations(session), year, pct_bps, allow_out_of_order)
        if not plan:
            raise InvalidInput(
                gettext("Nothing retained from %(year)s is left to redeem.", year=year),
                code="nothing_to_redeem",
                fields={"year": gettext("Nothing to redeem.")},
            )
        numbers = dict(
            session.execute(
                sa.select(DividendAllocation.id, DividendAllocation.member_number).where(
                    DividendAllocation.id.in_([r.allocation_id for r in plan])
                )
            ).all()
        )
        run = RedemptionRun(
            year=year,
            pct_bps=pct_bps,
            allow_out_of_order=allow_out_of_order,
            currency=current_app.config["CURRENCY"],
            status="draft",
            total_cents=sum(r.amount_cents for r in plan),
            created_by_id=admin.id,
        )
        run.lines = [
            RedemptionLine(
                allocation_id=r.allocation_id,
                member_id=r.member_id,
                member_number=numbers.get(r.allocation_id or 0, 0),
                year=r.year,
                amount_cents=r.amount_cents,
                status="pending",
            )
            for r in plan
        ]
        session.add(run)
        session.flush()
        share = "all" if pct_bps is None else f"{core.bps_pct(pct_bps)} %"
        record(
            session,
            admin,
            "dividends.redemption_draft",
            "redemption_run",
            run.id,
            f"Drafted redemption {run.id} of {year} ({share}): "
            f"{format_cents(run.total_cents, run.currency)} to {len(run.lines)} allocation(s)",
        )
    return run


def get_redemption(session: Session, run_id: int) -> RedemptionRun:
    run = session.get(RedemptionRun, run_id)
    if run is None:
        raise NotFound(gettext("No such redemption."))
    return run


def list_redemptions(session: Session) -> list[RedemptionRun]:
    return list(
        session.execute(sa.select(RedemptionRun).order_by(RedemptionRun.id.desc())).scalars()
    )


def _locked(session: Session, run_id: int) -> RedemptionRun:
    run = lock_row(session, RedemptionRun, run_id)
    if run is None:
        raise NotFound(gettext("No such redemption."))
    return run


def discard_redemption(admin: User, run_id: int) -> None:
    """Delete a draft or an approved run (neither posted anything); one being paid or paid
    stays (409)."""
    with unit_of_work() as session:
        run = _locked(session, run_id)
        if run.status not in ("draft", "approved"):
            raise Conflict(
                gettext(
                    "Redemption %(id)s is %(status)s: only a draft can be discarded.",
                    id=run.id,
                    status=run.status,
                ),
                code="not_a_draft",
            )
        record(
            session,
            admin,
            "dividends.redemption_discard",
            "redemption_run",
            run.id,
            f"Discarded the draft redemption of {run.year}",
        )
        session.delete(run)


def approve_redemption(admin: User, run_id: int) -> RedemptionRun:
    """A second admin approves a draft (four eyes, as for dividend runs): the admin who
    drafted it cannot (403); only a draft can be approved (409). Posts nothing yet."""
    with unit_of_work() as session:
        run = _locked(session, run_id)
        if run.status != "draft":
            raise Conflict(
                gettext(
                    "Redemption %(id)s is %(status)s: only a draft can be approved.",
                    id=run.id,
                    status=run.status,
                ),
                code="not_a_draft",
            )
        if run.created_by_id == admin.id:
            raise Forbidden(
                gettext("Another admin must approve this redemption: you drafted it."),
                code="four_eyes",
            )
        run.status, run.approved_by_id, run.approved_at = "approved", admin.id, utcnow()
        record(
            session,
            admin,
            "dividends.redemption_approve",
            "redemption_run",
            run.id,
            f"Approved redemption {run.id}: {format_cents(run.total_cents, run.currency)}",
        )
    return run


def _post_redemptions(session: Session, admin: User, run: RedemptionRun) -> None:
    """Check every line against what its allocation still retains, then post the entries."""
    left = {
        r.allocation_id: r.amount_cents
        for r in retained_allocations(session, exclude_run_id=run.id)
    }
    for line in run.lines:
        if line.amount_cents > left.get(line.allocation_id, 0):
            raise Conflict(
                gettext(
                    "Redemption %(id)s takes more than allocation %(allocation)s still retains "
                    "(another redemption was paid since it was drafted): discard it and draft it "
                    "again.",
                    id=run.id,
                    allocation=line.allocation_id,
                ),
                code="redemption_outdated",
            )
    for line in run.lines:
        # What the member owes the co-op is kept first, as the member agreement allows.
        member_debts.lock_member(session, line.member_id)
        line.kept_cents = member_debts.offset(
            session,
            line.member_id,
            run.currency,
            debts.REDEMPTIONS,
            line.amount_cents,
            f"redemption-line-{line.id}",
            f"the redemption of {line.year}",
        )
        if line.kept_cents == line.amount_cents:
            line.status, line.settled_at = "paid", utcnow()
            continue
        ledger.post(
            session,
            core.redemption_entry(
                core.idempotency_key(core.KIND_REDEMPTION, line.id),
                run.currency,
                core.Redemption(
                    line.member_id,
                    line.year,
                    line.amount_cents - line.kept_cents,
                    0,
                    line.allocation_id,
                ),
                f"Retained allocation of {line.year} redeemed for member {line.member_number} "
                f"(redemption {run.id})",
            ),
            created_by_id=admin.id,
        )


def pay_redemption(admin: User, run_id: int) -> RedemptionRun:
    """Post the redemption entries and queue one transfer per line, after commit. Only an
    approved run is posted (a draft needs a second admin's approval first: 409). A run
    already paying or paid is returned as it is; a partially paid one retries its failures
    (under the same key, or the next one after Stripe refused)."""
    with unit_of_work() as session:
        # One redemption is posted at a time: the check of what is left then holds.
        next_in_sequence(session, "dividend_redemptions")
        run = _locked(session, run_id)
        if run.status in ("paying", "paid"):
            return run
        if run.status == "draft":
            raise Conflict(
                gettext(
                    "Redemption %(id)s is a draft: another admin must approve it first.", id=run.id
                ),
                code="not_approved",
            )
        if run.status == "approved":
            _post_redemptions(session, admin, run)
        run.status, run.pay_started_by_id, run.pay_started_at = "paying", admin.id, utcnow()
        run.queued_at = run.pay_started_at
        queued = paying.queue_payments(session, RedemptionLine, run.id, PAY_LINE_TASK)
        finish_locked_run(session, run)
        record(
            session,
            admin,
            "dividends.redemption_pay",
            "redemption_run",
            run.id,
            f"Started paying redemption {run.id}: {queued} line(s) queued",
        )
    return run


def transfer_key(line: RedemptionLine) -> str:
    base = f"dividend-redemption-line-{line.id}-{line.transfer_token}"
    return base if not line.transfer_attempt else f"{base}-{line.transfer_attempt}"


def pay_line(
    line_id: int,
    *,
    payer: services.Payer | None = None,
    destination_for: services.DestinationLookup | None = None,
) -> RedemptionLine | None:
    """Pay one redemption line, once (see ``paying.pay_allocation``, which this mirrors)."""
    # Looked up on the module at call time, so that tests can stand in for Stripe.
    payer = payer or services.stripe_transfer
    destination_for = destination_for or services.ready_payout_account
    with unit_of_work() as session:
        line = lock_row(session, RedemptionLine, line_id)
        if line is None or line.status != "pending":
            return line
        run = line.run
        paying.send_transfer(
            session,
            line,
            payer=payer,
            destination_for=destination_for,
            amount_cents=line.amount_cents - line.kept_cents,
            currency=run.currency,
            idempotency_key=transfer_key(line),
            metadata={
                "redemption_run_id": str(run.id),
                "redemption_line_id": str(line.id),
                "member_id": str(line.member_id),
                "transfer_token": line.transfer_token,
            },
            transfer_group=f"redemption-run-{run.id}",
            logger=log,
            what="Redemption line",
            entry=lambda transfer_id: core.dividend_payment_entry(
                core.idempotency_key(KIND_REDEMPTION_PAYMENT, line.id),
                run.currency,
                line.member_id,
                line.amount_cents - line.kept_cents,
                f"Redemption of {line.year} paid to member {line.member_number} "
                f"(redemption {run.id}, transfer {transfer_id})",
            ),
        )
        run_id = run.id
    # The run is locked on its own, never while holding the line (two workers would deadlock).
    with unit_of_work() as session:
        finish_locked_run(session, _locked(session, run_id))
    return line


def pay_held(admin: User | None, run_id: int | None = None, member_id: int | None = None) -> int:
    """Queue again held lines whose member can now receive transfers; how many."""
    with unit_of_work() as session:
        query = (
            sa.select(RedemptionLine.id)
            .join(RedemptionRun, RedemptionRun.id == RedemptionLine.run_id)
            .where(RedemptionLine.status == "held", RedemptionRun.status.in_(POSTED))
            .order_by(RedemptionLine.id)
        )
        if run_id is not None:
            query = query.where(RedemptionLine.run_id == run_id)
        if member_id is not None:
            query = query.where(RedemptionLine.member_id == member_id)
        queued: set[int] = set()
        count = 0
        for line_id in list(session.execute(query).scalars()):
            line = lock_row(session, RedemptionLine, line_id)
            if line is None or line.status != "held":
                continue
            if services.ready_payout_account(session, line.member_id) is None:
                continue
            line.status, line.failure_reason = "pending", ""
            enqueue(session, PAY_LINE_TASK, line.id)
            queued.add(line.run_id)
            count += 1
        for queued_run in sorted(queued):
            run = _locked(session, queued_run)
            run.queued_at = utcnow()
            if run.status in ("paid", "partially_paid"):
                run.status = "paying"
            if admin is not None:
                record(
                    session,
                    admin,
                    "dividends.redemption_pay_held",
                    "redemption_run",
                    run.id,
                    f"Queued the held lines of redemption {run.id}",
                )
    return count


def finish_locked_run(session: Session, run: RedemptionRun) -> None:
    """Mark a locked paying redemption paid (or partially paid) once no line is pending."""
    if run.status != "paying":
        return
    counts = progress(session, run.id)
    if counts["pending"]:
        return
    run.status = "partially_paid" if counts["failed"] else "paid"
    run.paid_at = run.paid_at or utcnow()


def progress(session: Session, run_id: int) -> dict[str, int]:
    counts = dict.fromkeys(("pending", "paid", "held", "failed"), 0)
    for status, count in session.execute(
        sa.select(RedemptionLine.status, sa.func.count())
        .where(RedemptionLine.run_id == run_id)
        .group_by(RedemptionLine.status)
    ):
        counts[status] = int(count)
    return counts


def release_held(member_id: int) -> int:
    """When a member's payout account becomes ready: pay their held dividends and
    redemptions (both idempotent); how many were queued. Run by the
    ``dividends.release_held`` task the payouts feature queues."""
    return paying.pay_held(None, member_id=member_id) + pay_held(None, member_id=member_id)
