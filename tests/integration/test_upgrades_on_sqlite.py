"""Upgrading the demo's SQLite database when it already holds books.

The demo's database is SQLite, and a co-op that tried the demo upgrades it with ``flask db
upgrade``. Migrations that change ``journal_entries`` must not rebuild the table: its DROP's
implicit DELETE trips the journal lines' foreign key once entries exist (0029 did, on the
100,000-work bench catalogue). Here a database at 0024 gets a balanced sale, then goes to head.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.extensions import db
from marketplace.ledger import kinds
from tests.fixtures.config import app_config
from tests.fixtures.mail import SmtpSink

BEFORE_ENTRY_KINDS = "0024_demo_credits"

SALE = [
    """INSERT INTO journal_entries (id, idempotency_key, kind, description, currency, posted_at)
       VALUES (601, 'sale:sqlite-upgrade-1', 'sale', 'Early sale', 'USD', CURRENT_TIMESTAMP)""",
    """INSERT INTO journal_lines (entry_id, account_id, side, amount_cents, currency)
       SELECT 601, id, 'debit', 1200, 'USD' FROM ledger_accounts
       WHERE code = '1100' AND member_id IS NULL""",
    """INSERT INTO journal_lines (entry_id, account_id, side, amount_cents, currency)
       SELECT 601, id, 'credit', 1200, 'USD' FROM ledger_accounts
       WHERE code = '4000' AND member_id IS NULL""",
]


def test_a_sqlite_database_holding_entries_upgrades_to_head(
    tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    app = create_app(app_config(tmp_path / "instance", url, smtp_sink))
    with app.app_context():
        upgrade(revision=BEFORE_ENTRY_KINDS)
        with db.engine.begin() as connection:
            for statement in SALE:
                connection.execute(sa.text(statement))
        upgrade()
        with db.engine.begin() as connection:
            lines = connection.execute(
                sa.text("SELECT side, amount_cents FROM journal_lines WHERE entry_id = 601")
            ).all()
            assert sorted(lines) == [("credit", 1200), ("debit", 1200)]
            assert connection.execute(sa.text("PRAGMA foreign_key_check")).all() == []
            # The widened check holds every kind the ledger names, and still refuses others.
            table_sql = connection.execute(
                sa.text("SELECT sql FROM sqlite_master WHERE name = 'journal_entries'")
            ).scalar_one()
            assert all(f"'{kind}'" in table_sql for kind in kinds.ENTRY_KINDS)
        with (
            pytest.raises(sa.exc.IntegrityError, match="ck_journal_entries_kind_known"),
            db.engine.begin() as connection,
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO journal_entries (idempotency_key, kind, description,"
                    " currency, posted_at) VALUES ('x', 'gift', '', 'USD', CURRENT_TIMESTAMP)"
                )
            )
        db.engine.dispose()
