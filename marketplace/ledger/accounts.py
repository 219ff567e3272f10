"""The chart's accounts in the database: found, or created on first use (per-member accounts
and newer chart codes), many at once when an entry names thousands of them."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketplace.database import utcnow
from marketplace.errors import NotFound
from marketplace.ledger.core import AccountRef
from marketplace.ledger.models import LedgerAccount

# Past this many members an entry's accounts are found by reading all accounts of its codes:
# a query with thousands of parameters costs more to send and parse than the rows it spares.
MANY_MEMBERS = 200


def begin_transaction(session: Session) -> None:
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
        raise NotFound(gettext("No such ledger account."))
    return account


def get_or_create_account(session: Session, ref: AccountRef) -> LedgerAccount:
    """The account for ``ref``, created on first use (per-member accounts, newer chart codes)."""
    account = find_account(session, ref.code, ref.member_id)
    if account is not None:
        return account
    spec = ref.spec
    begin_transaction(session)
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


def _existing_account_ids(session: Session, refs: Iterable[AccountRef]) -> dict[AccountRef, int]:
    """The ids of the accounts of ``refs`` that exist (ids only, none of the ORM objects and
    their joined members)."""
    wanted = set(refs)
    shared = sorted({ref.code for ref in wanted if ref.member_id is None})
    members = sorted({ref.member_id for ref in wanted if ref.member_id is not None})
    codes = sorted({ref.code for ref in wanted if ref.member_id is not None})
    per_member = sa.and_(LedgerAccount.code.in_(codes), LedgerAccount.member_id.is_not(None))
    if len(members) <= MANY_MEMBERS:
        per_member = sa.and_(LedgerAccount.code.in_(codes), LedgerAccount.member_id.in_(members))
    found: dict[AccountRef, int] = {}
    query = sa.select(LedgerAccount.id, LedgerAccount.code, LedgerAccount.member_id).where(
        sa.or_(
            sa.and_(LedgerAccount.code.in_(shared), LedgerAccount.member_id.is_(None)),
            per_member if members else sa.false(),
        )
    )
    for account_id, code, member_id in session.execute(query):
        ref = AccountRef(code, member_id)
        if ref in wanted:
            found[ref] = account_id
    return found


def _create_accounts(session: Session, refs: list[AccountRef]) -> None:
    """Insert the accounts of ``refs`` in one statement; one another transaction created
    meanwhile is skipped (``ON CONFLICT DO NOTHING``)."""
    begin_transaction(session)
    created_at = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # One statement of four arrays, whatever the number of accounts.
        session.execute(
            sa.text(
                "INSERT INTO ledger_accounts (code, name, type, member_id, created_at) "
                "SELECT code, name, type, member_id, :created_at FROM unnest("
                "CAST(:codes AS varchar[]), CAST(:names AS varchar[]), "
                "CAST(:types AS varchar[]), CAST(:members AS integer[])"
                ") AS new (code, name, type, member_id) ON CONFLICT DO NOTHING"
            ),
            {
                "created_at": created_at,
                "codes": [ref.spec.code for ref in refs],
                "names": [ref.spec.name for ref in refs],
                "types": [ref.spec.type for ref in refs],
                "members": [ref.member_id for ref in refs],
            },
        )
        return
    session.execute(
        sqlite_insert(LedgerAccount.__table__).on_conflict_do_nothing(),
        [
            {
                "code": ref.spec.code,
                "name": ref.spec.name,
                "type": ref.spec.type,
                "member_id": ref.member_id,
                "created_at": created_at,
            }
            for ref in refs
        ],
    )


def account_ids(session: Session, refs: Iterable[AccountRef]) -> dict[AccountRef, int]:
    """The ids of the accounts for ``refs``, the missing ones created in one statement.

    A run's allocation entry names two accounts per member: 20,000 at 10,000 members, which
    one savepoint each (``get_or_create_account``) took minutes to create.
    """
    wanted = set(refs)
    ids = _existing_account_ids(session, wanted)
    missing = sorted(wanted - ids.keys(), key=lambda ref: (ref.code, ref.member_id or 0))
    if missing:
        _create_accounts(session, missing)
        ids.update(_existing_account_ids(session, missing))
    return ids
