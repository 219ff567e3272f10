"""Paying members their royalties by Stripe transfer, and the payout accounts that receive them.

Like ``marketplace.payments.services``, every function may run twice or concurrently (webhooks
are redelivered, workers crash, admins and the beat click at once). State is re-read from
Stripe, rows are locked before they change, each transfer carries an idempotency key stored
on its line, and the ledger refuses a second entry with the same key. A member's payouts are
serialised on their member row, so two lines can never both pay the same royalties.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.background import enqueue
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import (
    Conflict,
    NotFound,
)
from marketplace.i18n.markers import N_
from marketplace.ledger import core as ledger_core
from marketplace.ledger import debts, member_debts
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalLine, LedgerAccount
from marketplace.mail import public_base_url, queue_email
from marketplace.membership.models import Member
from marketplace.payments.gateway import (
    GatewayError,
    PaymentSetupError,
    TransferRefused,
    TransferState,
)
from marketplace.payments.stripe_gateway import gateway
from marketplace.payouts import core
from marketplace.payouts.accounts import RELEASE_HELD_TASK as RELEASE_HELD_TASK
from marketplace.payouts.accounts import member_of as member_of
from marketplace.payouts.accounts import payout_account as payout_account
from marketplace.payouts.accounts import ready_payout_account as ready_payout_account
from marketplace.payouts.accounts import refresh_account as refresh_account
from marketplace.payouts.accounts import refresh_member_account as refresh_member_account
from marketplace.payouts.accounts import start_onboarding as start_onboarding
from marketplace.payouts.models import PayoutLine, PayoutRun
from marketplace.payouts.transfers import transfer_once
from marketplace.taxes import withholding_status
from marketplace.taxes.withholding import withheld_cents

SEND_LINE_TASK = "payouts.send_line"

log = logging.getLogger(__name__)

HANDLED_EVENTS = ("account.updated", "transfer.created", "transfer.updated", "transfer.reversed")
# Kept on the line (data, in English); pages show it in the reader's language.
NO_ACCOUNT_REASON = N_(
    "No payout account ready to receive transfers: connect one on your earnings page."
)


def threshold_cents() -> int:
    return int(current_app.config["PAYOUT_THRESHOLD_CENTS"])


# --- runs --------------------------------------------------------------------------------


def _new_line_key() -> str:
    return f"payout-line-{uuid.uuid4()}"


def _open_run(session: Session) -> PayoutRun | None:
    return session.execute(
        sa.select(PayoutRun).where(PayoutRun.open_slot.is_not(None))
    ).scalar_one_or_none()


def royalty_balances(session: Session, currency: str) -> dict[int, int]:
    """Every member's royalties payable (account 2100, credit-normal) in one query."""
    signed = sa.case(
        (JournalLine.side == "credit", JournalLine.amount_cents), else_=-JournalLine.amount_cents
    )
    rows = session.execute(
        sa.select(LedgerAccount.member_id, sa.func.coalesce(sa.func.sum(signed), 0))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.code == ledger_core.ROYALTIES_PAYABLE,
            LedgerAccount.member_id.is_not(None),
            JournalLine.currency == currency,
        )
        .group_by(LedgerAccount.member_id)
    )
    return {int(member_id): int(balance) for member_id, balance in rows}


def start_run(admin: User | None) -> int:
    """Open a run paying every member whose royalties due reach the threshold; its id.

    Only one run is open at a time: starting another while one is under way answers the open
    one. Members without a ready payout account get a held line and an email; the others get
    a line each, sent by its own task.
    """
    from marketplace.audit.services import record

    try:
        with unit_of_work() as session:
            running = _open_run(session)
            if running is not None:
                return running.id
            run = PayoutRun(
                status="running",
                open_slot=1,
                queued_at=utcnow(),
                currency=current_app.config["CURRENCY"],
                threshold_cents=threshold_cents(),
                created_by_id=admin.id if admin is not None else None,
            )
            session.add(run)
            session.flush()
            _plan_lines(session, run)
            if admin is not None:
                record(
                    session,
                    admin,
                    "payouts.run_started",
                    "payout_run",
                    run.id,
                    f"Royalty payout run {run.id} started ({len(run.lines)} line(s))",
                )
            return run.id
    except IntegrityError:
        # Another start took the open slot between our check and our insert.
        with unit_of_work() as session:
            running = _open_run(session)
            latest = (
                running
                or session.execute(
                    sa.select(PayoutRun).order_by(PayoutRun.id.desc()).limit(1)
                ).scalar_one_or_none()
            )
            if latest is None:
                raise
            return latest.id


def _plan_lines(session: Session, run: PayoutRun) -> None:
    owing = member_debts.owed_by_member(session, run.currency)
    for member_id, due in sorted(royalty_balances(session, run.currency).items()):
        if due > 0 and member_id in owing:
            # What the member owes the co-op is kept from their royalties first.
            member_debts.lock_member(session, member_id)
            due -= member_debts.offset(
                session,
                member_id,
                run.currency,
                debts.ROYALTIES,
                due,
                f"payout-run-{run.id}:member-{member_id}",
                "royalties due",
            )
        if due < run.threshold_cents:
            continue
        member = session.get(Member, member_id)
        if member is None:
            continue
        ready = ready_payout_account(session, member_id) is not None
        line = PayoutLine(
            member_id=member_id,
            amount_cents=due,
            currency=run.currency,
            status="pending" if ready else "held",
            failure_reason="" if ready else NO_ACCOUNT_REASON,
            idempotency_key=_new_line_key(),
        )
        run.lines.append(line)
        if not ready:
            queue_email(
                session,
                member.user.email,
                N_("Connect a payout account to receive your royalties"),
                "payout_held",
                member=member,
                amount_cents=due,
                currency=run.currency,
                earnings_url=f"{public_base_url()}/account/earnings",
            )
    session.flush()
    for line in run.lines:
        if line.status == "pending":
            enqueue(session, SEND_LINE_TASK, line.id)
    finish_locked_run(session, run)


def finish_locked_run(session: Session, run: PayoutRun) -> None:
    """Close a locked run once none of its lines is pending."""
    pending = session.execute(
        sa.select(sa.func.count())
        .select_from(PayoutLine)
        .where(PayoutLine.run_id == run.id, PayoutLine.status == "pending")
    ).scalar_one()
    if pending == 0 and run.status != "done":
        run.status, run.open_slot, run.finished_at = "done", None, utcnow()


def _finish_run(session: Session, run_id: int) -> None:
    run = lock_row(session, PayoutRun, run_id)
    if run is not None:
        finish_locked_run(session, run)


# Serialise a member's payouts until the transaction ends; clawbacks take the same lock.
_lock_member = member_debts.lock_member


def send_line(line_id: int) -> None:
    """Pay one line by Stripe transfer (once), post it to the ledger, and close the run when
    it was the last one pending.

    The tax withheld is decided and committed first, in a transaction of its own: a worker
    that dies after Stripe made the transfer but before the second commit leaves the decision
    on the line, so the retry sends the same net amount and metadata (Stripe answers the same
    transfer under the same key, or ``transfer_once`` adopts it) even when the member's form or
    the rates changed meanwhile."""
    decide_withholding(line_id)
    with unit_of_work() as session:
        line = lock_row(session, PayoutLine, line_id)
        if line is None or line.status != "pending" or line.withholding_bps is None:
            # Not pending when the decision was taken: whoever made it pending since queued
            # the task that pays it.
            return
        _lock_member(session, line.member_id)
        due = ledger.member_balance(session, line.member_id, line.currency)
        destination = ready_payout_account(session, line.member_id)
        if due < line.amount_cents:
            line.status = "held"
            line.failure_reason = (
                f"Only {ledger_core.format_cents(max(due, 0), line.currency)} is due now "
                "(a refund since the run started): the rest waits for a later run."
            )
        elif destination is None:
            line.status, line.failure_reason = "held", NO_ACCOUNT_REASON
        else:
            _transfer(session, line, destination)
        if line.status == "held":
            # Nothing was paid: nothing withheld (a transfer made by an attempt that died
            # still names its withholding, which ``apply_transfer`` books).
            line.withholding_bps, line.withheld_cents = None, 0
        _finish_run(session, line.run_id)


def decide_withholding(line_id: int) -> None:
    """Decide the tax withheld from a pending line that has no decision yet, and commit it
    before any transfer is attempted (``send_line``). A line with a decision keeps it: every
    attempt, and the ledger entry, use the rate and cents stored here."""
    with unit_of_work() as session:
        line = lock_row(session, PayoutLine, line_id)
        if line is None or line.status != "pending" or line.withholding_bps is not None:
            return
        decided = withholding_status.decide(session, line.member_id, utcnow().date())
        line.withholding_bps = decided.rate_bps
        line.withheld_cents = withheld_cents(line.amount_cents, decided.rate_bps)


def _transfer(session: Session, line: PayoutLine, destination: str) -> None:
    """Pay the line, or adopt the transfer made for it before (see ``transfer_once``), at the
    withholding decided and committed before (``decide_withholding``)."""
    line.attempts += 1
    group, metadata = f"payout-run-{line.run_id}", {"payout_line_key": line.idempotency_key}
    metadata |= {"payout_line_id": str(line.id), "member_id": str(line.member_id)}
    metadata |= {"withholding_bps": str(line.withholding_bps)}
    metadata |= {"withheld_cents": str(line.withheld_cents)}
    try:
        transfer = transfer_once(
            amount_cents=line.net_cents,
            currency=line.currency,
            destination=destination,
            idempotency_key=line.idempotency_key,
            metadata=metadata,
            transfer_group=group,
        )
    except TransferRefused as refused:
        line.status, line.failure_reason, line.key_refused = "failed", str(refused), True
        return
    except PaymentSetupError as error:
        # Refused before any transfer was made (a key Stripe does not accept, a setting):
        # once an admin fixes it, a retry pays.
        reason = f"The co-op's Stripe setup has a problem, not the member's: {error}"
        line.status, line.failure_reason = "failed", reason[:2000]
        return
    except GatewayError as error:
        # Maybe made, maybe not: a retry keeps the key, so Stripe answers with the same one.
        line.status, line.failure_reason = "failed", f"Stripe did not answer: {error}"[:2000]
        return
    _mark_sent(session, line, transfer)


def _mark_sent(session: Session, line: PayoutLine, transfer: TransferState) -> None:
    if line.withholding_bps is None:
        # The transfer was made but its line's commit was lost: the transfer says what was
        # withheld from it.
        line.withholding_bps = int(transfer.metadata.get("withholding_bps") or 0)
        line.withheld_cents = int(transfer.metadata.get("withheld_cents") or 0)
    line.status, line.stripe_transfer_id, line.sent_at = "sent", transfer.id, utcnow()
    line.failure_reason = ""
    ledger.post(
        session,
        core.royalty_payout_entry(
            core.payout_key(line.id),
            line.currency,
            line.member_id,
            transfer.amount_cents + line.withheld_cents,
            f"Royalty payout to member {line.member_id} ({transfer.id})",
            line.withheld_cents,
        ),
    )


def retry_failed(run_id: int, admin: User | None) -> int:
    """Queue a run's failed lines again; how many. A line Stripe refused gets a new key
    (Stripe keeps the refusal under the old one); a line whose answer was lost keeps its key."""
    from marketplace.audit.services import record

    with unit_of_work() as session:
        if session.get(PayoutRun, run_id) is None:
            raise NotFound(gettext("No such payout run."))
        other = _open_run(session)
        if other is not None and other.id != run_id:
            raise Conflict(
                gettext("Payout run %(id)s is under way: retry once it is done.", id=other.id)
            )
        failed = session.execute(
            sa.select(PayoutLine.id).where(
                PayoutLine.run_id == run_id, PayoutLine.status == "failed"
            )
        ).scalars()
        retried = 0
        for line_id in list(failed):
            line = lock_row(session, PayoutLine, line_id)
            if line is None or line.status != "failed":
                continue
            if line.key_refused:
                line.idempotency_key, line.key_refused = _new_line_key(), False
            line.status, line.failure_reason = "pending", ""
            enqueue(session, SEND_LINE_TASK, line.id)
            retried += 1
        run = lock_row(session, PayoutRun, run_id)
        if retried and run is not None:
            run.status, run.open_slot, run.finished_at = "running", 1, None
            run.queued_at = utcnow()
            if admin is not None:
                record(
                    session,
                    admin,
                    "payouts.lines_retried",
                    "payout_run",
                    run_id,
                    f"{retried} failed payout line(s) of run {run_id} sent again",
                )
    return retried


# --- Connect events ----------------------------------------------------------------------


def apply_connect_event(event_type: str, obj: dict[str, Any]) -> None:
    """An event of the Connect endpoint: only *what* to look at is taken from it."""
    if event_type == "account.updated":
        refresh_account(str(obj["id"]))
    elif event_type.startswith("transfer."):
        apply_transfer(gateway().retrieve_transfer(str(obj["id"])))


def apply_transfer(transfer: TransferState) -> None:
    """Bring a line in line with its transfer: sent once Stripe made it (even when our answer
    was lost), and a reversal at Stripe reversed in the ledger."""
    line_id = int(transfer.metadata.get("payout_line_id") or 0)
    with unit_of_work() as session:
        line = lock_row(session, PayoutLine, line_id)
        if line is None:
            log.info("Transfer %s names no payout line of ours", transfer.id)
            return
        _lock_member(session, line.member_id)
        if line.status != "sent" and line.stripe_transfer_id is None:
            _mark_sent(session, line, transfer)
        if transfer.id == line.stripe_transfer_id:
            _apply_reversal(session, line, transfer)
        _finish_run(session, line.run_id)


def _apply_reversal(session: Session, line: PayoutLine, transfer: TransferState) -> None:
    reversed_now = transfer.amount_reversed_cents - line.reversed_cents
    if reversed_now <= 0:
        return
    ledger.post(
        session,
        core.royalty_payout_reversal_entry(
            line.id,
            line.currency,
            line.member_id,
            reversed_now,
            transfer.amount_reversed_cents,
            transfer.id,
            line.withheld_cents,
            line.net_cents,
        ),
    )
    line.reversed_cents = transfer.amount_reversed_cents
