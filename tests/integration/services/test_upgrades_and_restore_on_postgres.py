"""Upgrades and restores on PostgreSQL, as an operator does them.

- Upgrades: a database holding data is migrated from the first migration to head one step at a
  time, and every step's downgrade is run (then the step again), without losing a row.
- Restore drill: a database with a year of books is dumped with ``pg_dump``, restored with
  ``pg_restore`` into a new database, and the trial balance, the members' capital accounts and
  the licence counts read the same from both, as does every table's row count.

Each test makes its own databases, so nothing else in the run is touched.
"""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import downgrade, upgrade

from marketplace import create_app
from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.dividends import paying
from marketplace.dividends import services as dividends
from marketplace.extensions import db
from marketplace.ledger import core as ledger_core
from marketplace.ledger import reports
from marketplace.ledger import services as ledger
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.membership.models import Member
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_config
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.services import PG_ADMIN_URL, ROOT
from tests.integration.open_books_scenario import make_books

pytestmark = pytest.mark.services


@pytest.fixture
def new_database(postgres_url: str) -> Iterator[Callable[[], str]]:
    """Makes empty databases on the services' PostgreSQL; drops them at the end."""
    made: list[str] = []

    def make() -> str:
        name = f"marketplace_drill_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"

    yield make
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        for name in made:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def app_on(url: str, folder: Path, smtp: SmtpSink) -> Iterator[Flask]:
    app = create_app(app_config(folder, url, smtp))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


# ---- Upgrades ----------------------------------------------------------------------------

# Rows written with the schema of the revision just reached, in that revision's columns: the
# later migrations must carry them (new NOT NULL columns need defaults, renames keep values).
SEEDS: dict[str, list[str]] = {
    "0001_foundation": [
        """INSERT INTO users (id, email, display_name, password_hash, is_admin, login_epoch,
               created_at)
           VALUES (901, 'ada@old.example', 'Ada Early', 'x', false, 0, now()),
                  (902, 'bo@old.example', 'Bo Buyer', 'x', false, 0, now())""",
        """INSERT INTO members (id, user_id, member_number, member_class_id, joined_on, status,
               bio, location, portfolio_url, created_at)
           SELECT 801, 901, 41, id, DATE '2020-02-01', 'active', 'Early member', 'Lisbon',
                  'https://example.org/ada', now()
           FROM member_classes WHERE code = 'artists'""",
    ],
    "0002_assets": [
        """INSERT INTO assets (id, member_id, kind, status, title, description, keywords,
               has_people, has_property, original_key, original_filename, original_mime,
               original_size_bytes, original_sha256, width, height, dominant_colours,
               suggested, rejection_reason, published_at, created_at)
           VALUES (701, 801, 'photo', 'published', 'Harbour at dawn', 'Boats', '["harbour"]',
               false, false, 'originals/old/701', 'harbour.jpg', 'image/jpeg', 12345,
               repeat('ab', 32), 6000, 4000, '[]', '{}', '', now(), now())""",
    ],
    "0007_ledger": [
        """INSERT INTO journal_entries (id, idempotency_key, kind, description, currency,
               posted_at)
           VALUES (601, 'sale:upgrade-test-1', 'sale', 'Early sale', 'USD', now())""",
        """INSERT INTO journal_lines (entry_id, account_id, side, amount_cents, currency)
           SELECT 601, id, 'debit', 1200, 'USD' FROM ledger_accounts
           WHERE code = '1100' AND member_id IS NULL""",
        """INSERT INTO journal_lines (entry_id, account_id, side, amount_cents, currency)
           SELECT 601, id, 'credit', 1200, 'USD' FROM ledger_accounts
           WHERE code = '4000' AND member_id IS NULL""",
    ],
    "0009_orders_payments": [
        """INSERT INTO orders (id, buyer_id, status, currency, total_cents, payment_attempts,
               idempotency_token, payment_error, created_at, paid_at)
           VALUES (501, 902, 'paid', 'USD', 1200, 1, 'upgrade-test-order-1', '', now(),
               now())""",
    ],
}

CHECKS: dict[str, tuple[str, Any]] = {
    "0001_foundation": (
        "SELECT u.email, m.member_number, m.location FROM members m"
        " JOIN users u ON u.id = m.user_id WHERE m.id = 801",
        ("ada@old.example", 41, "Lisbon"),
    ),
    "0002_assets": (
        "SELECT title, original_key, original_size_bytes, original_sha256 FROM assets"
        " WHERE id = 701",
        ("Harbour at dawn", "originals/old/701", 12345, "ab" * 32),
    ),
    "0007_ledger": (
        "SELECT sum(amount_cents) FILTER (WHERE side = 'debit'),"
        " sum(amount_cents) FILTER (WHERE side = 'credit'), count(*)"
        " FROM journal_lines WHERE entry_id = 601",
        (1200, 1200, 2),
    ),
    "0009_orders_payments": (
        "SELECT buyer_id, status, total_cents FROM orders WHERE id = 501",
        (902, "paid", 1200),
    ),
}


def _revisions_in_order() -> list[Any]:
    script = ScriptDirectory(str(ROOT / "migrations"))
    return list(reversed(list(script.walk_revisions())))


def _check_seeds(reached: list[str]) -> None:
    with db.engine.connect() as connection:
        for revision in reached:
            sql, expected = CHECKS[revision]
            row = connection.execute(sa.text(sql)).one()
            assert tuple(row) == expected, f"data written at {revision} changed"


def test_every_migration_up_and_down_on_a_database_holding_data(
    new_database: Callable[[], str], smtp_sink: SmtpSink, tmp_path: Path
) -> None:
    revisions = _revisions_in_order()
    assert revisions[0].revision == "0001_foundation"
    assert set(SEEDS) <= {r.revision for r in revisions}
    seeded: list[str] = []
    with app_on(new_database(), tmp_path / "instance", smtp_sink):
        for script in revisions:
            upgrade(revision=script.revision)
            # Each step's downgrade, then the step again: the data written so far survives.
            downgrade(revision=script.down_revision or "base")
            upgrade(revision=script.revision)
            _check_seeds(seeded)
            if script.revision in SEEDS:
                with db.engine.begin() as connection:
                    for statement in SEEDS[script.revision]:
                        connection.execute(sa.text(statement))
                seeded.append(script.revision)
                _check_seeds(seeded)
        with db.engine.connect() as connection:
            version = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == revisions[-1].revision
        assert seeded == list(SEEDS)
        # At head the old rows read through today's models and reports.
        with unit_of_work() as session:
            member = session.get(Member, 801)
            assert member is not None
            assert member.member_number == 41
            assert member.user.email == "ada@old.example"
            balance = reports.trial_balance(session, "USD")
            assert balance.balanced
            assert balance.total_debits_cents == 1200


# ---- Restore drill -----------------------------------------------------------------------


def _figures() -> dict[str, Any]:
    """What the books and the licence register say, as the admin pages and CSV give them."""
    session = db.session()
    try:
        balance = reports.trial_balance(session, "USD")
        members = session.scalars(sa.select(Member.id).order_by(Member.id)).all()
        tables = sorted(db.metadata.tables)
        return {
            "trial_balance_csv": "".join(reports.trial_balance_csv(balance)),
            "balanced": balance.balanced,
            "capital": {
                member: ledger.member_balance(session, member, "USD", ledger_core.MEMBER_CAPITAL)
                for member in members
            },
            "licences": dict(
                session.execute(
                    sa.select(Licence.status, sa.func.count()).group_by(Licence.status)
                ).all()
            ),
            "rows": {
                table: session.scalar(sa.text(f'SELECT count(*) FROM "{table}"'))  # noqa: S608
                for table in tables
            },
        }
    finally:
        session.rollback()


def _sell_licences(buyer_id: int, first_item: int) -> None:
    catalogue = Catalogue()
    for number, title in enumerate(("Pier", "Lighthouse", "Gulls")):
        asset_id = catalogue.add(title)
        with unit_of_work() as session:
            asset = session.get(Asset, asset_id)
            assert asset is not None
            quote = licensing.quote(session, asset, "standard", "M", "USD")
            licensing.issue(
                session,
                holder_id=buyer_id,
                asset_id=asset_id,
                terms_id=quote.terms_id,
                size="M",
                price_cents=quote.price_cents,
                currency="USD",
                order_id=first_item + number,
                order_item_id=first_item + number,
            )


def _pay_a_dividend_run(admin: User, monkeypatch: pytest.MonkeyPatch) -> None:
    """The last month's surplus allocated by patronage (retained shares go to members' capital
    accounts), approved by a second admin and paid (Stripe's transfers stood in for)."""
    today = utcnow().date()
    start = max(today - timedelta(days=30), date(today.year, 1, 1))
    request = dividends.RunRequest(start, today, None, 10, 30, close_books_now=True)
    run = dividends.draft_run(admin, request)
    paying.approve_run(Factory().admin(), run.id)
    monkeypatch.setattr(dividends, "ready_payout_account", lambda s, m: f"acct_{m}")
    monkeypatch.setattr(dividends, "stripe_transfer", lambda **kwargs: "tr_test")
    paying.pay_run(admin, run.id)


def test_restore_drill_pg_dump_and_pg_restore_give_the_same_books(
    new_database: Callable[[], str],
    smtp_sink: SmtpSink,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    original_url, restored_url = new_database(), new_database()
    dump = tmp_path / "coop.dump"
    with app_on(original_url, tmp_path / "a", smtp_sink):
        upgrade()
        # Two years of sales, refunds, a chargeback, a payout; then a dividend run, paid.
        books = make_books(monkeypatch, dividend_run=False)
        _pay_a_dividend_run(books.admin, monkeypatch)
        _sell_licences(books.buyer.id, 9000)
        before = _figures()
    assert before["balanced"]
    assert any(before["capital"].values()), "the dividend run put patronage in capital accounts"
    assert before["licences"]

    # The README's backup and restore commands.
    subprocess.run(
        ["pg_dump", "--format=custom", f"--file={dump}", libpq_url(original_url)],
        check=True,
        timeout=120,
    )
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq_url(restored_url)}",
         str(dump)],
        check=True,
        timeout=120,
    )  # fmt: skip

    with app_on(restored_url, tmp_path / "b", smtp_sink):
        after = _figures()
        # The restored books still refuse to be changed (the ledger's triggers came back too).
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as c:
            c.execute(sa.text("UPDATE journal_lines SET amount_cents = amount_cents + 1"))
        # And the restored database takes new work: three more licences.
        _sell_licences(Factory().buyer().id, 9100)
        assert sum(_figures()["licences"].values()) == sum(before["licences"].values()) + 3
    assert after == before
