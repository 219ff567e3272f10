"""Dividend runs: draft from the ledger, approve (four eyes), pay one task per member.

A draft posts nothing, so it can be discarded; approval posts the run's entries
(``core.dividend_run_entries``) in one transaction; paying queues ``dividends.pay_allocation``
per allocation after the commit. Every step locks the row it changes and returns early when
the work is done, so paying twice, two admins at once or a worker crash never pays twice.

The figures (revenue, refunds, fees and operating costs from the ledger; each member's patronage
from the order tables, reconciled with the ledger) are read by ``period_books``. Royalties are 0
in ``SurplusInputs``: a sale credits the member's royalty straight to royalties payable and only
the co-op's share to licence revenue, so revenue is already net of royalties.

Approving and paying (``approve_run``, ``pay_run``, ``pay_allocation``, ``pay_held``,
``progress``) live in ``paying``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.costs.core import SURPLUS_EXPENSE_CODES, costs_by_code
from marketplace.database import lock_row, next_in_sequence, unit_of_work
from marketplace.dividends import core, member_business
from marketplace.dividends.foreign_sales import foreign_items
from marketplace.dividends.losses import loss_brought_forward, loss_policy
from marketplace.dividends.models import DividendAllocation, DividendRun
from marketplace.dividends.period_books import patronage_by_member, patronage_check, period_figures
from marketplace.dividends.periods import (
    PeriodBounds,
    covering_run,
    draft_bounds,
    ledger_totals,
)
from marketplace.dividends.statement_words import error_words
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.ledger import display, kinds
from marketplace.ledger.bulk import insert_rows
from marketplace.ledger.core import (
    format_cents,
)
from marketplace.membership.models import Member, MemberClass

# The payout account lookup and the Stripe payer are the payouts feature's; paying and
# redemptions take them from here at call time, so tests can stand in for Stripe.
from marketplace.payouts.services import ready_payout_account as ready_payout_account
from marketplace.payouts.transfers import DestinationLookup as DestinationLookup
from marketplace.payouts.transfers import Payer as Payer
from marketplace.payouts.transfers import stripe_transfer as stripe_transfer

log = logging.getLogger(__name__)

PAY_TASK = "dividends.pay_allocation"
DIVIDEND_KINDS = kinds.DIVIDEND_KINDS
# Members of these statuses share in a run; a resigned member's capital is redeemed instead.
SHARING_STATUSES = ("active", "suspended")
FINISHED = ("paid", "partially_paid")


def current_policy(session: Session) -> tuple[core.ClassPolicy, ...]:
    """The member classes' dividend shares (classes at 0 % are left out), validated."""
    rows = session.execute(
        sa.select(MemberClass).where(MemberClass.dividend_share_bps > 0).order_by(MemberClass.id)
    ).scalars()
    try:
        return core.validate_policy(
            core.ClassPolicy(c.code, c.dividend_share_bps, c.dividend_basis)  # type: ignore[arg-type]
            for c in rows
        )
    except core.DividendError as error:
        raise InvalidInput(
            gettext("The member classes' dividend policy is not usable: %(why)s", why=error)
        ) from None


def policy_data(policy: Sequence[core.ClassPolicy]) -> list[dict[str, Any]]:
    return [{"code": c.code, "share_pct": str(c.share_pct), "basis": c.basis} for c in policy]


def _member_facts(
    session: Session, policy: Sequence[core.ClassPolicy], patronage: dict[int, int]
) -> list[core.MemberFacts]:
    rows = session.execute(
        sa.select(
            Member.id, Member.member_number, MemberClass.code, Member.joined_on, Member.status
        )
        .join(MemberClass, MemberClass.id == Member.member_class_id)
        .where(
            MemberClass.code.in_([c.code for c in policy]),
            sa.or_(Member.status.in_(SHARING_STATUSES), Member.left_on.is_not(None)),
        )
    ).all()
    # A member who left keeps the patronage earned while a member (§1388(a)(2)); the few who
    # left are filtered here rather than by an IN list of every member with sales (10,000
    # parameters took longer to send and plan than the query took to run).
    return [
        core.MemberFacts(member_id, number, code, joined_on, patronage.get(member_id, 0))
        for member_id, number, code, joined_on, status in rows
        if status in SHARING_STATUSES or member_id in patronage
    ]


@dataclass(frozen=True)
class RunRequest:
    """What an admin asks to draft. ``operating_costs_cents`` is read from the ledger (the
    costs recorded during the period); given, it must agree with the ledger or the draft is
    refused. ``close_books_now`` closes a period that ends today at this moment."""

    period_start: date
    period_end: date
    operating_costs_cents: int | None
    reserve_pct: core.Percent
    cash_pct: core.Percent
    operating_costs_note: str = ""
    close_books_now: bool = False


def recorded_costs_of(
    session: Session, run: DividendRun, bounds: PeriodBounds
) -> dict[str, int] | None:
    """The run's operating costs per expense account, as the ledger holds them for its period
    (recorded during the year, ``costs``): what its closing entry closes. None for a run
    drafted before costs were recorded (its costs are one sum, posted when it is approved).
    409 when the recorded costs no longer add up to the draft's (redraft it)."""
    sums = ledger_totals(
        session, SURPLUS_EXPENSE_CODES, bounds, run.currency, exclude_kinds=DIVIDEND_KINDS
    )
    costs = costs_by_code(sums)
    if sum(costs.values()) == run.operating_costs_cents:
        return costs
    if not costs:
        return None
    raise Conflict(
        gettext(
            "The costs recorded in the period (%(recorded)s) are not the draft's (%(drafted)s): "
            "discard the draft and draft the run again.",
            recorded=display.money(sum(costs.values()), run.currency),
            drafted=display.money(run.operating_costs_cents, run.currency),
        ),
        code="costs_changed",
    )


def _refuse_other_costs(given: int | None, inputs: core.SurplusInputs, currency: str) -> None:
    if given is None or given == inputs.operating_costs_cents:
        return
    message = gettext(
        "The ledger holds %(recorded)s of operating costs in this period, not %(given)s: record "
        "each cost on the costs page (dated when it was incurred), or leave "
        "operating_costs_cents out to use the ledger's figure.",
        recorded=display.money(inputs.operating_costs_cents, currency),
        given=display.money(given, currency),
    )
    raise InvalidInput(
        message, code="operating_costs_disagree", fields={"operating_costs_cents": message}
    )


def _transfer_tokens(count: int) -> list[str]:
    """``count`` random 128-bit tokens in hex (an allocation's part of its Stripe idempotency
    key), from one read of the system's random source rather than 10,000."""
    pool = secrets.token_hex(16 * count)
    return [pool[i : i + 32] for i in range(0, 32 * count, 32)]


def draft_run(admin: User, request: RunRequest) -> DividendRun:
    """Compute a run's figures and allocations from the ledger; posts nothing to it.

    A period that overlaps another run (a draft or an approved one) is refused with 409: its
    surplus would be shared twice. Discard the draft first to redo it.
    """
    if request.period_start > request.period_end:
        raise InvalidInput(gettext("The period must end on or after the day it starts."))
    with unit_of_work() as session:
        # A lock row of its own: two admins drafting at once are taken one after the other.
        next_in_sequence(session, "dividend_run_drafts")
        bounds = draft_bounds(
            session, request.period_start, request.period_end, request.close_books_now
        )
        other = covering_run(session, bounds)
        if other is not None:
            raise Conflict(
                gettext(
                    "Dividend run %(id)s (%(status)s) already covers %(start)s to %(end)s: "
                    "discard that draft first, or choose a period that does not overlap.",
                    id=other.id,
                    status=other.status,
                    start=other.period_start,
                    end=other.period_end,
                ),
                code="period_taken",
            )
        currency = current_app.config["CURRENCY"]
        try:
            inputs = period_figures(
                session, request.period_start, request.period_end, currency, bounds
            )
            _refuse_other_costs(request.operating_costs_cents, inputs, currency)
            policy = current_policy(session)
            start, end = request.period_start, request.period_end
            # Orders paid in another currency are read once, for both (a scan of the orders).
            foreign = foreign_items(session, currency, bounds.starts_at, bounds.closes_at)
            outside = member_business.non_member_sales_in(
                session, currency, start, end, bounds, foreign
            )
            patronage = patronage_by_member(session, start, end, currency, bounds, outside, foreign)
            check = patronage_check(session, start, end, currency, patronage, bounds, outside)
            plan = core.plan_dividend_run(
                inputs,
                request.reserve_pct,
                request.cash_pct,
                _member_facts(session, policy, patronage),
                request.period_end,
                policy,
                currency,
                loss_brought_forward(session, request.period_start, currency),
                loss_policy(),
            )
        except core.DividendError as error:
            field = "cash_pct" if isinstance(error, core.CashShareTooLow) else "period"
            raise InvalidInput(error_words(error), fields={field: error_words(error)}) from None
        run = DividendRun(
            period_start=request.period_start,
            period_end=request.period_end,
            starts_at=bounds.starts_at,
            books_closed_at=bounds.closes_at,
            currency=currency,
            status="draft",
            revenue_cents=inputs.revenue_cents,
            refunds_cents=inputs.refunds_cents,
            fees_cents=inputs.fees_cents,
            operating_costs_cents=inputs.operating_costs_cents,
            operating_costs_note=request.operating_costs_note.strip(),
            surplus_cents=plan.surplus.surplus_cents,
            reserve_bps=plan.surplus.reserve_bps,
            reserve_cents=plan.surplus.reserve_cents,
            pool_cents=plan.surplus.pool_cents,
            cash_bps=plan.cash_bps,
            unallocated_cents=plan.allocation.unallocated_cents,
            member_business_cents=check.from_orders_cents - check.non_member_cents,
            non_member_business_cents=check.non_member_cents,
            reason=plan.reason or "",
            loss_brought_forward_cents=plan.surplus.loss_brought_forward_cents,
            loss_carried_forward_cents=plan.surplus.loss_carried_forward_cents,
            loss_charged_to_reserves_cents=plan.surplus.loss_charged_to_reserves_cents,
            loss_policy=loss_policy(),
            policy=policy_data(policy),
            classes=[
                {
                    "code": c.code,
                    "share_pct": str(c.share_pct),
                    "basis": c.basis,
                    "pool_cents": c.pool_cents,
                    "eligible_count": c.eligible_count,
                    "total_weight": sum(
                        m.weight for m in plan.allocation.members if m.class_code == c.code
                    ),
                }
                for c in plan.allocation.classes
            ],
            drafted_by_id=admin.id,
        )
        session.add(run)
        session.flush()
        bases = {c.code: c.basis for c in policy}
        weights = {(m.member_id, m.class_code): m.weight for m in plan.allocation.members}
        paid = [d for d in plan.dividends if d.allocation_cents > 0]
        tokens = _transfer_tokens(len(paid))
        rows = [
            {
                "run_id": run.id,
                "member_id": d.member_id,
                "member_number": d.member_number,
                "class_code": d.class_code,
                "basis": bases[d.class_code],
                "weight": weights[(d.member_id, d.class_code)],
                "patronage_cents": d.patronage_cents,
                "allocation_cents": d.allocation_cents,
                "cash_cents": d.cash_cents,
                "retained_cents": d.retained_cents,
                "status": "pending",
                "transfer_attempt": 0,
                "transfer_token": token,
                "failure_reason": "",
            }
            for d, token in zip(paid, tokens, strict=True)
        ]
        if rows:
            # Plain rows, copied in: 10,000 ORM objects took longer than the queries.
            insert_rows(session, DividendAllocation.__table__, rows)
        record(
            session,
            admin,
            "dividends.draft",
            "dividend_run",
            run.id,
            f"Drafted dividend run {run.id} for {run.period_start} to {run.period_end}: "
            f"pool {format_cents(run.pool_cents, currency)}; {check.describe(currency)}",
        )
        if not check.agrees:
            log.warning("Dividend run %s: %s", run.id, check.describe(currency))
    return run


def get_run(session: Session, run_id: int) -> DividendRun:
    run = session.get(DividendRun, run_id)
    if run is None:
        raise NotFound(gettext("No such dividend run."))
    return run


def list_runs(session: Session) -> list[DividendRun]:
    return list(
        session.execute(
            sa.select(DividendRun).order_by(DividendRun.period_end.desc(), DividendRun.id.desc())
        ).scalars()
    )


def locked_run(session: Session, run_id: int) -> DividendRun:
    """The run, locked until the transaction ends; ``NotFound`` when there is none."""
    run = lock_row(session, DividendRun, run_id)
    if run is None:
        raise NotFound(gettext("No such dividend run."))
    return run


def discard_draft(admin: User, run_id: int) -> None:
    """Delete a draft (it posted nothing); an approved or paid run stays (409)."""
    with unit_of_work() as session:
        run = locked_run(session, run_id)
        if run.status != "draft":
            raise Conflict(
                gettext(
                    "Dividend run %(id)s is %(status)s: only a draft can be discarded.",
                    id=run.id,
                    status=run.status,
                ),
                code="not_a_draft",
            )
        record(
            session,
            admin,
            "dividends.discard",
            "dividend_run",
            run.id,
            f"Discarded the draft dividend run for {run.period_start} to {run.period_end}",
        )
        # Its allocations in one statement, rather than the cascade's one DELETE per row.
        session.execute(sa.delete(DividendAllocation).where(DividendAllocation.run_id == run.id))
        session.expire(run, ["allocations"])
        session.delete(run)


def period_label(run: DividendRun) -> str:
    return f"Period {run.period_start.isoformat()} to {run.period_end.isoformat()}"


def run_inputs(run: DividendRun) -> core.SurplusInputs:
    """The figures the draft stored, as the core takes them (revenue is booked net of
    royalties: no royalty expense)."""
    return core.SurplusInputs(
        revenue_cents=run.revenue_cents,
        refunds_cents=run.refunds_cents,
        fees_cents=run.fees_cents,
        royalties_cents=0,
        operating_costs_cents=run.operating_costs_cents,
    )


def stored_plan(session: Session, run: DividendRun) -> core.DividendPlan:
    """The stored draft as the core's plan, so approval posts exactly what was shown. Its
    allocations are read as plain rows: 10,000 ORM objects cost more than the posting."""
    surplus = core.Surplus(
        run.surplus_cents, run.reserve_bps, run.reserve_cents, run.pool_cents, run.reason or None
    )
    a = DividendAllocation
    rows = session.execute(
        sa.select(
            a.member_id,
            a.member_number,
            a.class_code,
            a.patronage_cents,
            a.weight,
            a.allocation_cents,
            a.cash_cents,
            a.retained_cents,
        )
        .where(a.run_id == run.id)
        .order_by(a.member_number)
    ).all()
    allocation = core.PoolAllocation(
        pool_cents=run.pool_cents,
        classes=tuple(
            core.ClassAllocation(
                c["code"],
                core.percent_bps(c["share_pct"]),
                c["basis"],
                c["pool_cents"],
                c.get("eligible_count", 0),
            )
            for c in run.classes
        ),
        members=tuple(core.MemberAllocation(*row[:6]) for row in rows),
        unallocated_cents=run.unallocated_cents,
        reason_if_unallocated=None,
    )
    dividends = tuple(
        core.MemberDividend(member, number, code, patronage, allocated, cash, retained)
        for member, number, code, patronage, _, allocated, cash, retained in rows
    )
    return core.DividendPlan(surplus, run.cash_bps, allocation, dividends)


def dividend(allocation: DividendAllocation, qualified: bool = True) -> core.MemberDividend:
    """The allocation as the core reads it; its cash counts as paid only once it was."""
    return core.MemberDividend(
        allocation.member_id,
        allocation.member_number,
        allocation.class_code,
        allocation.patronage_cents,
        allocation.allocation_cents,
        allocation.cash_cents,
        allocation.retained_cents,
        allocation.basis,  # type: ignore[arg-type]
        allocation.status == "paid",
        qualified,
    )


def deadline_banner(session: Session, today: date | None = None) -> str | None:
    """The Subchapter T deadline warning for the earliest period with an unpaid run that has
    something to pay (the most urgent), if close or past; each open run shows its own."""
    latest = session.execute(
        sa.select(DividendRun.period_end)
        .where(DividendRun.status.not_in(FINISHED), DividendRun.pool_cents > 0)
        .order_by(DividendRun.period_end.asc())
        .limit(1)
    ).scalar_one_or_none()
    if latest is None:
        return None
    words = core.deadline_warning_words(today or date.today(), latest, paid=False)
    return None if words is None else gettext(words[0], **words[1])
