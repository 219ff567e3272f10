"""What PostgreSQL itself enforces on the ledger, and posting under concurrency."""

from __future__ import annotations

import threading
import uuid

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import services
from marketplace.ledger.core import STRIPE_CLEARING, SaleItem
from marketplace.ledger.models import JournalEntry
from tests.fixtures.factories import Factory, unique_email

pytestmark = pytest.mark.services


def member_id() -> int:
    user = Factory().member(unique_email("artist"))
    assert user.member is not None
    return int(user.member.id)


def raw_entry(session: Session, lines: list[tuple[str, int]]) -> None:
    """An entry written with plain SQL, past every check in Python."""
    entry_id = session.execute(
        sa.text(
            "INSERT INTO journal_entries (idempotency_key, kind, description, currency, posted_at)"
            " VALUES (:key, 'manual', 'raw', 'USD', now()) RETURNING id"
        ),
        {"key": f"raw:{uuid.uuid4().hex}"},
    ).scalar_one()
    account_id = services.find_account(session, STRIPE_CLEARING)
    assert account_id is not None
    for side, cents in lines:
        session.execute(
            sa.text(
                "INSERT INTO journal_lines (entry_id, account_id, side, amount_cents, currency)"
                " VALUES (:entry, :account, :side, :cents, 'USD')"
            ),
            {"entry": entry_id, "account": account_id.id, "side": side, "cents": cents},
        )


def commit_raw(lines: list[tuple[str, int]]) -> None:
    with unit_of_work() as session:
        raw_entry(session, lines)


def test_an_unbalanced_entry_is_refused_at_commit(services_app: Flask) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="does not balance"):
        commit_raw([("debit", 100), ("credit", 99)])
    with pytest.raises(sa.exc.IntegrityError, match="at least two"):
        commit_raw([("debit", 100)])
    with pytest.raises(sa.exc.IntegrityError, match="at least two"):
        commit_raw([])
    commit_raw([("debit", 100), ("credit", 60), ("credit", 40)])


def test_the_balance_is_checked_at_commit_not_per_line(services_app: Flask) -> None:
    with unit_of_work() as session:
        raw_entry(session, [("debit", 100), ("credit", 100)])
        # Between the two inserts the entry was unbalanced, and that is fine.


def test_posted_lines_and_entries_cannot_be_changed_or_removed(services_app: Flask) -> None:
    with unit_of_work() as session:
        services.post_sale(
            session,
            idempotency_key=f"sale:{uuid.uuid4().hex}",
            order_id=1,
            currency="USD",
            items=[SaleItem(1, member_id(), 1000, 5000)],
            fee_cents=59,
        )
    for statement in (
        "UPDATE journal_lines SET amount_cents = amount_cents + 1",
        "DELETE FROM journal_lines",
        "UPDATE journal_entries SET description = 'changed'",
        "DELETE FROM journal_entries",
        # CASCADE: tables that name entries (recorded costs, bank payouts) would otherwise make
        # PostgreSQL refuse the TRUNCATE for their foreign keys before the ledger's trigger runs.
        "TRUNCATE journal_lines, journal_entries CASCADE",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), unit_of_work() as session:
            session.execute(sa.text(statement))


def test_a_concurrent_duplicate_posts_once_and_spares_the_callers_transaction(
    services_app: Flask,
) -> None:
    member = member_id()
    key = f"sale:{uuid.uuid4().hex}"
    items = [SaleItem(1, member, 2000, 5000)]
    first_posted = threading.Event()
    results: dict[str, object] = {}

    def post_in_own_transaction(name: str, wait: threading.Event | None) -> None:
        with services_app.app_context(), Session(db.engine) as session, session.begin():
            entry = services.post_sale(
                session,
                idempotency_key=key,
                order_id=2,
                currency="USD",
                items=items,
                fee_cents=88,
            )
            results[name] = entry is not None
            # Work the caller does after posting, in the same transaction.
            session.execute(sa.text("SELECT 1"))
            if wait is None:
                first_posted.set()
                # Hold the transaction open so the other one meets the uncommitted key.
                threading.Event().wait(0.5)

    first = threading.Thread(target=post_in_own_transaction, args=("first", None))
    first.start()
    assert first_posted.wait(10)
    post_in_own_transaction("second", first_posted)
    first.join(10)
    assert results == {"first": True, "second": False}
    count = db.session.execute(
        sa.select(sa.func.count(JournalEntry.id)).where(JournalEntry.idempotency_key == key)
    ).scalar_one()
    assert count == 1
    assert services.member_balance(db.session(), member, "USD") == 1000
