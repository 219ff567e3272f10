"""Posting to the ledger, inside the caller's transaction.

These functions add and flush but never commit: the use case that calls them (a webhook task,
a payout run) owns the transaction, through ``unit_of_work``. Posting is idempotent and race-safe:
an entry whose idempotency key is already in the ledger posts nothing, and a concurrent
duplicate is caught by the unique key inside a savepoint, so the caller's transaction survives.

The reports (trial balance, statements, journal, CSV) live in ``reports.py`` and are re-exported
here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.errors import NotFound
from marketplace.ledger import core
from marketplace.ledger.accounts import (
    account_ids,
    begin_transaction,
    find_account,
    get_account,
    get_or_create_account,
)
from marketplace.ledger.bulk import insert_rows
from marketplace.ledger.core import ROYALTIES_PAYABLE, AccountRef, EntryDraft, SaleItem
from marketplace.ledger.models import JournalEntry, JournalLine
from marketplace.ledger.reports import (
    JournalFilters,
    Statement,
    StatementLine,
    account_statement,
    balance_before,
    journal,
    journal_csv,
    journal_filters,
    statement_csv,
    trial_balance,
    trial_balance_csv,
)

__all__ = [
    "JournalFilters",
    "Statement",
    "StatementLine",
    "account_balance",
    "account_statement",
    "entry_for_key",
    "find_account",
    "get_account",
    "get_or_create_account",
    "journal",
    "journal_csv",
    "journal_filters",
    "member_balance",
    "post",
    "post_many",
    "post_chargeback",
    "post_dispute_fee",
    "post_refund",
    "post_reversal",
    "post_sale",
    "statement_csv",
    "trial_balance",
    "trial_balance_csv",
]


def entry_for_key(session: Session, idempotency_key: str) -> JournalEntry | None:
    return session.execute(
        sa.select(JournalEntry).where(JournalEntry.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def post(
    session: Session,
    draft: EntryDraft,
    *,
    created_by_id: int | None = None,
    reverses_entry_id: int | None = None,
    posted_at: datetime | None = None,
) -> JournalEntry | None:
    """Post ``draft``, dated now or ``posted_at`` (an import of past books); None when its
    idempotency key was posted before (nothing is added).

    Raises ``core.LedgerError`` for a draft that does not validate (unbalanced, empty, a
    non-positive amount): that is a bug in the caller, and its transaction should roll back.
    """
    draft.validate()
    if entry_for_key(session, draft.idempotency_key) is not None:
        return None
    # One query for all of the entry's accounts: a sale has one line per member paid.
    accounts = account_ids(session, (line.account for line in draft.lines))
    begin_transaction(session)
    entry = JournalEntry(
        idempotency_key=draft.idempotency_key,
        kind=draft.kind,
        description=draft.description,
        currency=draft.currency,
        order_id=draft.order_id,
        created_by_id=created_by_id,
        reverses_entry_id=reverses_entry_id,
        posted_at=posted_at or utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
            # Plain rows, copied in: an allocation entry has two lines per member.
            insert_rows(
                session,
                JournalLine.__table__,
                [
                    {
                        "entry_id": entry.id,
                        "account_id": accounts[line.account],
                        "side": line.side,
                        "amount_cents": line.amount_cents,
                        "currency": draft.line_currency(line),
                    }
                    for line in draft.lines
                ],
            )
    except IntegrityError:
        if entry_for_key(session, draft.idempotency_key) is not None:
            return None
        raise
    return entry


def post_many(
    session: Session, drafts: Sequence[EntryDraft], *, posted_at: datetime | None = None
) -> set[str]:
    """Post many drafts in three statements (accounts, entries, lines), as ``post`` does one,
    dated now or ``posted_at``; those whose idempotency key was posted before are skipped.
    Returns the keys posted."""
    for draft in drafts:
        draft.validate()
    if not drafts:
        return set()
    accounts = account_ids(session, (line.account for d in drafts for line in d.lines))
    begin_transaction(session)
    table = JournalEntry.__table__
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    posted_at = posted_at or utcnow()
    entries = [
        {
            "idempotency_key": d.idempotency_key,
            "kind": d.kind,
            "description": d.description,
            "currency": d.currency,
            "order_id": d.order_id,
            "posted_at": posted_at,
        }
        for d in drafts
    ]
    added = session.execute(
        insert(table)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(table.c.idempotency_key, table.c.id),
        entries,
    )
    ids = {str(key): int(entry_id) for key, entry_id in added}
    lines = [
        {
            "entry_id": ids[d.idempotency_key],
            "account_id": accounts[line.account],
            "side": line.side,
            "amount_cents": line.amount_cents,
            "currency": d.line_currency(line),
        }
        for d in drafts
        if d.idempotency_key in ids
        for line in d.lines
    ]
    if lines:
        # One COPY: the ledger's statement triggers (balance queue, day totals) run once.
        insert_rows(session, JournalLine.__table__, lines)
    return set(ids)


def post_sale(
    session: Session,
    *,
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    fee_cents: int,
    description: str | None = None,
) -> JournalEntry | None:
    """Post a paid order (see ``core.sale_entry``); None when already posted."""
    draft = core.sale_entry(idempotency_key, order_id, currency, items, fee_cents, description)
    return post(session, draft)


def post_refund(
    session: Session,
    *,
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    description: str | None = None,
) -> JournalEntry | None:
    """Post the refund of ``items`` (see ``core.refund_entry``); None when already posted."""
    draft = core.refund_entry(idempotency_key, order_id, currency, items, description)
    return post(session, draft)


def post_chargeback(
    session: Session,
    *,
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    dispute_fee_cents: int = 0,
    description: str | None = None,
) -> JournalEntry | None:
    """Post a lost dispute (see ``core.chargeback_entry``); None when already posted."""
    draft = core.chargeback_entry(
        idempotency_key, order_id, currency, items, dispute_fee_cents, description
    )
    return post(session, draft)


def post_dispute_fee(
    session: Session,
    *,
    dispute_id: str,
    order_id: int | None,
    currency: str,
    fee_cents: int | None = None,
) -> JournalEntry | None:
    """Post Stripe's fee for the lost dispute ``dispute_id`` as its own entry (see
    ``core.dispute_fee_entry``), keyed ``dispute_fee:<dispute id>``; ``fee_cents`` defaults to
    Stripe's US dispute fee. None when already posted, or when the fee is zero."""
    fee = core.DISPUTE_FEE_CENTS if fee_cents is None else fee_cents
    if fee == 0:
        return None
    key = core.idempotency_key(core.KIND_DISPUTE_FEE, dispute_id)
    draft = core.dispute_fee_entry(
        key, order_id, currency, fee, f"Stripe dispute fee, dispute {dispute_id}"
    )
    return post(session, draft)


def post_reversal(
    session: Session,
    entry_id: int,
    idempotency_key: str,
    description: str,
    *,
    created_by_id: int | None = None,
) -> JournalEntry | None:
    """Correct a posted entry the only way the ledger allows: an entry with every line
    on the other side. None when that key was posted before."""
    original = session.get(JournalEntry, entry_id)
    if original is None:
        raise NotFound(gettext("No such journal entry."))
    posted = EntryDraft(
        idempotency_key=original.idempotency_key,
        description=original.description,
        currency=original.currency,
        lines=tuple(
            core.Line(
                AccountRef(line.account.code, line.account.member_id),
                debit_cents=line.debit_cents,
                credit_cents=line.credit_cents,
                currency=line.currency,
            )
            for line in original.lines
        ),
        kind=original.kind,
        order_id=original.order_id,
    )
    draft = core.reversal(posted, idempotency_key, description)
    return post(session, draft, created_by_id=created_by_id, reverses_entry_id=original.id)


def account_balance(session: Session, account_id: int, currency: str) -> int:
    """The account's balance in its normal direction (e.g. what a liability owes)."""
    account = get_account(session, account_id)
    return balance_before(session, account, currency, None)


def member_balance(
    session: Session, member_id: int, currency: str, code: str = ROYALTIES_PAYABLE
) -> int:
    """A member's balance on one of their accounts, e.g. the royalties the co-op owes them
    (negative after a refund of royalties already paid out); 0 before their first entry."""
    ref = AccountRef(code, member_id)
    account = find_account(session, ref.code, ref.member_id)
    return 0 if account is None else account_balance(session, account.id, currency)
