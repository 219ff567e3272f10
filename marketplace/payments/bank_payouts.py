"""Stripe's payouts to the bank, booked once each, and the bank reconciliation.

``apply_payout`` takes Stripe's payout object (from a ``payout.paid`` or ``payout.failed``
webhook, or a sync) and keeps the row in step: a paid payout posts Bank <- Stripe clearing
once (its key is the payout id), a failed one that was booked posts the money coming back.
Replays and duplicate deliveries change nothing: the row is locked and the entries are keyed.
``import_statement`` stores a bank statement's lines (CSV); ``reconciliation`` lists payouts
without a statement line, statement lines without a payout, and the balances side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.audit.services import record
from marketplace.database import lock_row, unit_of_work, utcnow
from marketplace.errors import InvalidInput
from marketplace.ledger import services as ledger
from marketplace.ledger.core import BANK, STRIPE_CLEARING
from marketplace.payments import bank_payouts_core as core
from marketplace.payments.bank_payouts_models import BankPayout, BankStatementLine

HANDLED_EVENTS = core.HANDLED_EVENTS


def _arrival(raw: Any) -> date | None:
    if raw in (None, ""):
        return None
    return datetime.fromtimestamp(int(raw), UTC).date()


def _row_for(session: Session, payout: dict[str, Any]) -> BankPayout:
    """The payout's row, created once (a concurrent creation is skipped), then locked."""
    table = BankPayout.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    session.execute(
        insert(table)
        .values(
            stripe_payout_id=payout["id"],
            amount_cents=int(payout["amount"]),
            currency=str(payout["currency"]).upper(),
            status=str(payout["status"]),
            arrival_date=_arrival(payout.get("arrival_date")),
            balance_transaction_id=payout.get("balance_transaction"),
            failure_message="",
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["stripe_payout_id"])
    )
    row_id = session.execute(
        sa.select(BankPayout.id).where(BankPayout.stripe_payout_id == payout["id"])
    ).scalar_one()
    row = lock_row(session, BankPayout, row_id)
    if row is None:
        raise LookupError(payout["id"])
    return row


def apply_payout(payout: dict[str, Any]) -> BankPayout:
    """Bring the payout's row and entries in step with Stripe's ``payout`` object."""
    with unit_of_work() as session:
        row = _row_for(session, payout)
        row.status = str(payout["status"])
        row.arrival_date = _arrival(payout.get("arrival_date")) or row.arrival_date
        row.balance_transaction_id = payout.get("balance_transaction") or row.balance_transaction_id
        if row.status == "paid" and row.entry_id is None:
            entry = ledger.post(
                session,
                core.payout_entry(
                    row.stripe_payout_id, row.currency, row.amount_cents, row.arrival_date
                ),
            )
            if entry is not None:
                row.entry_id = entry.id
        if row.status == "failed":
            row.failure_message = str(payout.get("failure_message") or "")
            if row.entry_id is not None and row.return_entry_id is None:
                entry = ledger.post(
                    session,
                    core.payout_return_entry(
                        row.stripe_payout_id, row.currency, row.amount_cents, row.failure_message
                    ),
                )
                if entry is not None:
                    row.return_entry_id = entry.id
    return row


def import_statement(admin: User, text: str, currency: str) -> tuple[int, int]:
    """Store the statement's lines (CSV, see ``core.read_statement``); (added, already there)."""
    try:
        lines = core.read_statement(text)
    except core.StatementError as error:
        raise InvalidInput(gettext(error.message, **error.values), code="bad_statement") from None
    with unit_of_work() as session:
        known = set(
            session.execute(
                sa.select(BankStatementLine.fingerprint).where(
                    BankStatementLine.fingerprint.in_([line.fingerprint for line in lines])
                )
            ).scalars()
        )
        added = [line for line in lines if line.fingerprint not in known]
        session.add_all(
            BankStatementLine(
                booked_on=line.booked_on,
                amount_cents=line.amount_cents,
                currency=currency,
                description=line.description,
                fingerprint=line.fingerprint,
                imported_by_id=admin.id,
            )
            for line in added
        )
        session.flush()
        _match(session)
        record(
            session,
            admin,
            "bank.import_statement",
            "bank_statement",
            None,
            f"Imported a bank statement: {len(added)} new lines, {len(lines) - len(added)} "
            "already imported",
        )
    return len(added), len(lines) - len(added)


def _match(session: Session) -> None:
    """Match the unmatched statement lines to booked payouts not matched yet."""
    payouts = [
        core.PayoutFacts(p.id, p.amount_cents, p.arrival_date, p.entry_id is not None)
        for p in session.execute(
            sa.select(BankPayout).where(
                ~sa.exists().where(BankStatementLine.payout_id == BankPayout.id)
            )
        ).scalars()
    ]
    lines = list(
        session.execute(
            sa.select(BankStatementLine).where(BankStatementLine.payout_id.is_(None))
        ).scalars()
    )
    pairs = core.match(
        payouts, [core.LineFacts(line.id, line.booked_on, line.amount_cents) for line in lines]
    )
    for line in lines:
        if line.id in pairs:
            line.payout_id = pairs[line.id]


@dataclass(frozen=True)
class Reconciliation:
    payouts_unmatched: list[BankPayout]
    lines_unmatched: list[BankStatementLine]
    matched: list[BankStatementLine]
    bank_cents: int
    clearing_cents: int
    statement_cents: int


def reconciliation(session: Session, currency: str) -> Reconciliation:
    """What the reconciliation page shows: payouts the statement does not show, statement
    lines no payout explains, and Bank and Stripe clearing in the ledger beside the statement."""
    matched = list(
        session.execute(
            sa.select(BankStatementLine)
            .where(BankStatementLine.payout_id.is_not(None))
            .order_by(BankStatementLine.booked_on.desc())
        ).scalars()
    )
    matched_ids = {line.payout_id for line in matched}
    payouts = [
        p
        for p in session.execute(
            sa.select(BankPayout).order_by(BankPayout.arrival_date.desc(), BankPayout.id.desc())
        ).scalars()
        if p.id not in matched_ids and p.status != "canceled"
    ]
    lines = list(
        session.execute(
            sa.select(BankStatementLine)
            .where(BankStatementLine.payout_id.is_(None))
            .order_by(BankStatementLine.booked_on.desc())
        ).scalars()
    )
    statement = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(BankStatementLine.amount_cents), 0)).where(
            BankStatementLine.currency == currency
        )
    ).scalar_one()
    return Reconciliation(
        payouts,
        lines,
        matched,
        _balance(session, BANK, currency),
        _balance(session, STRIPE_CLEARING, currency),
        int(statement),
    )


def _balance(session: Session, code: str, currency: str) -> int:
    account = ledger.find_account(session, code)
    return 0 if account is None else ledger.account_balance(session, account.id, currency)
