"""Ledger: the entry kinds the books know, one registry held by a CHECK constraint

``journal_entries.kind`` takes only the kinds of ``marketplace/ledger/kinds.py`` (frozen here as
they stood at this revision: a later kind widens the constraint in its own migration). On
SQLite the constraint is written into the table's stored SQL rather than by rebuilding the table:
a rebuild's DROP TABLE trips the journal lines' foreign key once the books hold entries, and
PRAGMA foreign_keys cannot change inside the migration's transaction.

Revision ID: 0025_entry_kinds
Revises: 0024_demo_credits
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0025_entry_kinds"
down_revision = "0024_demo_credits"
branch_labels = None
depends_on = None

ENTRY_KINDS = (
    "sale",
    "refund",
    "chargeback",
    "dispute_fee",
    "royalty_payout",
    "royalty_payout_reversal",
    "operating_costs",
    "dividend_closing",
    "dividend_reserve",
    "dividend_allocation",
    "dividend_payment",
    "dividend_redemption",
    "manual",
    "reversal",
)
KIND_KNOWN = f"kind IN ({', '.join(repr(kind) for kind in ENTRY_KINDS)})"
CONSTRAINT = "ck_journal_entries_kind_known"


def _set_sqlite_table_sql(table_sql: str) -> None:
    bind = op.get_bind()
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": table_sql, "name": "journal_entries"},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"SQLite integrity check after changing journal_entries: {problems}")


def _sqlite_table_sql() -> str:
    return str(
        op.get_bind()
        .execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'journal_entries'"
            )
        )
        .scalar_one()
    )


def upgrade() -> None:
    # Rows of a kind outside the list make PostgreSQL refuse the constraint and SQLite's
    # integrity check fail: the upgrade stops, saying so, instead of keeping such rows.
    if op.get_bind().dialect.name != "sqlite":
        op.create_check_constraint(op.f(CONSTRAINT), "journal_entries", sa.text(KIND_KNOWN))
        return
    table_sql = _sqlite_table_sql().rstrip()
    if not table_sql.endswith(")"):
        raise RuntimeError("The journal_entries table's SQL is not the one this migration knows.")
    _set_sqlite_table_sql(
        f"{table_sql[:-1].rstrip()}, \n\tCONSTRAINT {CONSTRAINT} CHECK ({KIND_KNOWN})\n)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f(CONSTRAINT), "journal_entries", type_="check")
        return
    table_sql = _sqlite_table_sql()
    changed = re.sub(
        rf",\s*CONSTRAINT \"?{CONSTRAINT}\"? CHECK \(kind IN \([^)]*\)\)", "", table_sql
    )
    if changed == table_sql:
        raise RuntimeError(f"{CONSTRAINT} is not on journal_entries")
    _set_sqlite_table_sql(changed)
