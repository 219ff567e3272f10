"""The entry kinds the books know: the CHECK constraint of migration 0025 on SQLite and
PostgreSQL refuses any other kind, whatever Python did or did not check."""

from __future__ import annotations

import importlib.util
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.ledger import core, kinds, services
from marketplace.ledger.core import LICENCE_REVENUE, STRIPE_CLEARING, AccountRef
from marketplace.ledger.models import JournalEntry


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def ledger_app(request: pytest.FixtureRequest) -> Flask:
    app: Flask = request.getfixturevalue("app" if request.param == "sqlite" else "services_app")
    return app


def insert_entry(kind: str) -> None:
    """A bare entry row written with plain SQL, past every check in Python (no lines: the
    transaction is rolled back before PostgreSQL's balance check at commit)."""
    with unit_of_work() as session:
        session.execute(
            sa.text(
                "INSERT INTO journal_entries (idempotency_key, kind, description, currency,"
                " posted_at) VALUES (:key, :kind, 'raw', 'USD', CURRENT_TIMESTAMP)"
            ),
            {"key": f"raw:{uuid.uuid4().hex}", "kind": kind},
        )
        raise RollbackWanted


class RollbackWanted(Exception):
    """Raised inside a unit of work to leave nothing behind once the insert was accepted."""


@pytest.mark.parametrize("kind", ["payout", "Sale", "sale ", "dividend_redemption_payment"])
def test_a_kind_the_books_do_not_know_is_refused_by_the_database(
    ledger_app: Flask, kind: str
) -> None:
    with pytest.raises(sa.exc.IntegrityError, match="kind_known"):
        insert_entry(kind)


def test_every_registered_kind_is_accepted_by_the_database(ledger_app: Flask) -> None:
    for kind in kinds.ENTRY_KINDS:
        with pytest.raises(RollbackWanted):
            insert_entry(kind)


def test_a_draft_of_an_unknown_kind_is_not_posted(ledger_app: Flask) -> None:
    draft = core.transfer_entry(
        f"manual:{uuid.uuid4().hex}",
        "A kind nobody registered",
        "USD",
        AccountRef(STRIPE_CLEARING),
        AccountRef(LICENCE_REVENUE),
        100,
        "bonus",
    )
    with pytest.raises(sa.exc.IntegrityError), unit_of_work() as session:
        services.post(session, draft)
    with unit_of_work() as session:
        found = session.execute(
            sa.select(JournalEntry.id).where(JournalEntry.idempotency_key == draft.idempotency_key)
        ).first()
    assert found is None


def test_the_migration_froze_the_registry_as_it_stands() -> None:
    """0025 froze the kinds of its day; later kinds are added by their own migrations."""
    path = Path(__file__).parents[2] / "migrations" / "versions" / "0025_entry_kinds.py"
    spec = importlib.util.spec_from_file_location("entry_kinds_migration", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert set(migration.ENTRY_KINDS) <= set(kinds.ENTRY_KINDS)


@pytest.mark.parametrize("kind", kinds.ENTRY_KINDS)
def test_the_migrated_database_allows_every_kind_of_the_registry(
    ledger_app: Flask, kind: str
) -> None:
    with pytest.raises(RollbackWanted):
        insert_entry(kind)
