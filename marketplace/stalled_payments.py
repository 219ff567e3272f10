"""Payment runs whose tasks were lost are queued again, so that no run waits forever.

Each member's transfer in a dividend run, a redemption or a royalty payout run is one task,
queued when the run starts paying. Redis can lose such a task: kombu's Redis transport takes a
message off the queue (BRPOP) and only then records it as unacknowledged, so a worker killed
between the two loses it (celery/kombu#305); a Redis restarted without persistence loses the
whole queue. The run would then stay "paying" with a line pending that no task will pay.

The beat runs ``resume_stalled`` every few minutes. A run still paying where nothing settled
for ``PAYMENT_STALL_SECONDS`` since its tasks were last queued (``queued_at``: started paying,
held cash released, failed lines retried, or queued again here) has every pending line queued
again; an audit entry says so and an error is logged, for whoever watches the logs. A run
still paying with nothing pending (its last task died between its commit and the run's
finish) is finished. Every payment task is idempotent: it locks its line and pays only a
pending one, under the line's Stripe idempotency key, so a task that was only slow, not lost,
pays nobody twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from marketplace.audit.services import record
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.dividends import paying, redemptions
from marketplace.dividends.models import (
    DividendAllocation,
    DividendRun,
    RedemptionLine,
    RedemptionRun,
)
from marketplace.payouts import services as payouts
from marketplace.payouts.models import PayoutLine, PayoutRun

RESUMED = "payments.resumed"
FINISHED = "payments.finished_by_sweep"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunKind:
    """One kind of payment run, as the sweep sees it."""

    subject: str  # the audit log's subject type for such a run
    run_model: Any
    line_model: Any
    paying_status: str
    settled: Any  # the line's column: when it was paid, held or failed (a payout line: sent)
    task: str  # the task that pays one line, by name
    finish: Callable[[Session, Any], None]  # closes a locked run with nothing pending


KINDS = (
    RunKind(
        "dividend_run",
        DividendRun,
        DividendAllocation,
        "paying",
        DividendAllocation.settled_at,
        paying.PAY_TASK,
        paying.finish_locked_run,
    ),
    RunKind(
        "redemption_run",
        RedemptionRun,
        RedemptionLine,
        "paying",
        RedemptionLine.settled_at,
        redemptions.PAY_LINE_TASK,
        redemptions.finish_locked_run,
    ),
    RunKind(
        "payout_run",
        PayoutRun,
        PayoutLine,
        "running",
        PayoutLine.sent_at,
        payouts.SEND_LINE_TASK,
        payouts.finish_locked_run,
    ),
)


@dataclass(frozen=True)
class Resumed:
    """What the sweep did to one run: its pending lines queued again, or the run finished."""

    subject: str
    run_id: int
    queued: int


def resume_stalled(now: datetime | None = None) -> list[Resumed]:
    """Queue again the pending lines of every run stalled at ``now`` (by default, now), and
    finish every paying run with nothing pending; what was done, run by run."""
    now = now or utcnow()
    stall_after = timedelta(seconds=current_app.config["PAYMENT_STALL_SECONDS"])
    done: list[Resumed] = []
    for kind in KINDS:
        with unit_of_work() as session:
            run_ids = list(
                session.execute(
                    sa.select(kind.run_model.id)
                    .where(kind.run_model.status == kind.paying_status)
                    .order_by(kind.run_model.id)
                ).scalars()
            )
        for run_id in run_ids:
            resumed = _resume_run(kind, run_id, now, stall_after)
            if resumed is not None:
                done.append(resumed)
    return done


def _resume_run(
    kind: RunKind, run_id: int, now: datetime, stall_after: timedelta
) -> Resumed | None:
    # The run is locked while deciding: a second sweep (a duplicate delivery of the beat's
    # task) waits, then sees the ``queued_at`` this one set and finds the run not stalled.
    with unit_of_work() as session:
        run = lock_row(session, kind.run_model, run_id)
        if run is None or run.status != kind.paying_status:
            return None
        pending = list(
            session.execute(
                sa.select(kind.line_model.id)
                .where(kind.line_model.run_id == run_id, kind.line_model.status == "pending")
                .order_by(kind.line_model.id)
            ).scalars()
        )
        what = f"{kind.subject.replace('_', ' ')} {run_id}"
        if not pending:
            kind.finish(session, run)
            record(
                session,
                None,
                FINISHED,
                kind.subject,
                run_id,
                # Its last task may have died between its commit and finishing the run, or
                # be about to finish it itself: finishing twice does nothing more.
                f"Finished {what}: none of its payments was pending",
                actor_label="scheduler",
            )
            return Resumed(kind.subject, run_id, 0)
        last = _last_activity(session, kind, run)
        if last is not None and now - last < stall_after:
            return None
        for line_id in pending:
            enqueue(session, kind.task, line_id)
        run.queued_at = now
        since = f"{last:%Y-%m-%d %H:%M} UTC" if last is not None else "its tasks were queued"
        summary = (
            f"Nothing settled in {what} since {since}: "
            f"its {len(pending)} pending payment(s) queued again"
        )
        record(session, None, RESUMED, kind.subject, run_id, summary, actor_label="scheduler")
        # A task lost now and then is Redis; one lost every time is a payment that always
        # fails before settling, which someone must look at.
        log.error("Stalled payments resumed: %s", summary)
        return Resumed(kind.subject, run_id, len(pending))


def _last_activity(session: Session, kind: RunKind, run: Any) -> datetime | None:
    """The later of: the run's tasks were last queued, a line of it settled."""
    settled = session.execute(
        sa.select(sa.func.max(kind.settled)).where(kind.line_model.run_id == run.id)
    ).scalar_one()
    moments = [moment for moment in (run.queued_at, settled) if moment is not None]
    return max(moments, default=None)
