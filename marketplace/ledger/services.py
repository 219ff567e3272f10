"""Posting to the ledger, inside the caller's transaction.

These functions add and flush but never commit: the use case that calls them (a webhook task,
a payout run) owns the transaction, through ``unit_of_work``. Posting is idempotent and race-safe:
an entry whose idempotency key is already in the ledger posts nothing, and a concurrent
duplicate is caught by the unique key inside a savepoint, so the caller's transaction survives.

The reports (trial balance, statements, journal, CSV) live in ``reports.py`` and are re-exported
here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.errors import NotFound
from marketplace.ledger import core
from marketplace.ledger.core import ROYALTIES_PAYABLE, AccountRef, EntryDraft, SaleItem
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
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
    "post_chargeback",
    "post_refund",
    "post_reversal",
    "post_sale",
    "statement_csv",
    "trial_balance",
    "trial_balance_csv",
]


def _begin_transaction(session: Session) -> None:
    """Make sure a real transaction is open before a savepoint.

    pysqlite opens its transaction lazily, at the first write; a SAVEPOINT issued before that
    would start (and its RELEASE commit) a transaction of its own, outside the caller's. A write
    that touches no row opens it. PostgreSQL needs nothing of the kind.
    """
    if session.get_bind().dialect.name == "sqlite":
        session.execute(sa.text("UPDATE ledger_accounts SET code = code WHERE 0 = 1"))


def find_account(session: Session, code: str, member_id: int | None = None) -> LedgerAccount | None:
    query = sa.select(LedgerAccount).where(LedgerAccount.code == code)
    if member_id is None:
        query = query.where(LedgerAccount.member_id.is_(None))
    else:
        query = query.where(LedgerAccount.member_id == member_id)
    return session.execute(query).scalar_one_or_none()


def get_account(session: Session, account_id: int) -> LedgerAccount:
    account = session.get(LedgerAccount, account_id)
    if account is None:
        raise NotFound("No such ledger account.")
    return account


def get_or_create_account(session: Session, ref: AccountRef) -> LedgerAccount:
    """The account for ``ref``, created on first use (per-member accounts, newer chart codes)."""
    account = find_account(session, ref.code, ref.member_id)
    if account is not None:
        return account
    spec = ref.spec
    _begin_transaction(session)
    try:
        with session.begin_nested():
            account = LedgerAccount(
                code=spec.code, name=spec.name, type=spec.type, member_id=ref.member_id
            )
            session.add(account)
    except IntegrityError:
        # Another transaction created it first.
        account = find_account(session, ref.code, ref.member_id)
        if account is None:
            raise
    return account


def _account_ids(session: Session, refs: Iterable[AccountRef]) -> dict[AccountRef, int]:
    """The ids of the accounts for ``refs``: the existing ones in one query (ids only, none of
    the ORM objects and their joined members), the missing ones created as
    ``get_or_create_account`` does."""
    wanted = set(refs)
    found = {
        (code, member_id): account_id
        for account_id, code, member_id in session.execute(
            sa.select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.member_id).where(
                sa.or_(
                    *(
                        sa.and_(
                            LedgerAccount.code == ref.code,
                            LedgerAccount.member_id.is_(None)
                            if ref.member_id is None
                            else LedgerAccount.member_id == ref.member_id,
                        )
                        for ref in wanted
                    )
                )
            )
        )
    }
    ids: dict[AccountRef, int] = {}
    for ref in wanted:
        account_id = found.get((ref.code, ref.member_id))
        ids[ref] = account_id if account_id is not None else get_or_create_account(session, ref).id
    return ids


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
) -> JournalEntry | None:
    """Post ``draft``; None when its idempotency key was posted before (nothing is added).

    Raises ``core.LedgerError`` for a draft that does not validate (unbalanced, empty, a
    non-positive amount): that is a bug in the caller, and its transaction should roll back.
    """
    draft.validate()
    if entry_for_key(session, draft.idempotency_key) is not None:
        return None
    # One query for all of the entry's accounts: a sale has one line per member paid.
    accounts = _account_ids(session, (line.account for line in draft.lines))
    _begin_transaction(session)
    entry = JournalEntry(
        idempotency_key=draft.idempotency_key,
        kind=draft.kind,
        description=draft.description,
        currency=draft.currency,
        order_id=draft.order_id,
        created_by_id=created_by_id,
        reverses_entry_id=reverses_entry_id,
    )
    try:
        with session.begin_nested():
            session.add(entry)
            session.flush()
            session.add_all(
                JournalLine(
                    entry_id=entry.id,
                    account_id=accounts[line.account],
                    side=line.side,
                    amount_cents=line.amount_cents,
                    currency=draft.line_currency(line),
                )
                for line in draft.lines
            )
    except IntegrityError:
        if entry_for_key(session, draft.idempotency_key) is not None:
            return None
        raise
    return entry


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
        raise NotFound("No such journal entry.")
    draft = EntryDraft(
        idempotency_key=idempotency_key,
        description=description,
        currency=original.currency,
        lines=tuple(
            core.Line(
                AccountRef(line.account.code, line.account.member_id),
                debit_cents=line.credit_cents,
                credit_cents=line.debit_cents,
                currency=line.currency,
            )
            for line in original.lines
        ),
        kind="reversal",
        order_id=original.order_id,
    )
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
