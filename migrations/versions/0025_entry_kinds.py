"""Ledger: the entry kinds the books know, one registry held by a CHECK constraint

``journal_entries.kind`` takes only the kinds of ``marketplace/ledger/kinds.py`` (frozen here as
they stood at this revision: a later kind widens the constraint in its own migration). On
SQLite the table is rebuilt by batch mode, so the triggers on it are dropped first and made again
afterwards, exactly as 0007 and 0015 made them.

Revision ID: 0025_entry_kinds
Revises: 0024_demo_credits
"""

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


def _sqlite_triggers_on_entries() -> list[tuple[str, str]]:
    """(name, SQL) of every SQLite trigger on or reading ``journal_entries``: a batch rebuild
    drops the first and, with SQLite's schema check on rename, trips on the second."""
    rows = op.get_bind().execute(
        sa.text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' "
            "AND (tbl_name = 'journal_entries' OR sql LIKE '%journal_entries%')"
        )
    )
    return [(row.name, row.sql) for row in rows]


def _rebuild(change_constraint: str) -> None:
    bind = op.get_bind()
    triggers = _sqlite_triggers_on_entries() if bind.dialect.name == "sqlite" else []
    for name, _sql in triggers:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        if change_constraint == "add":
            batch_op.create_check_constraint(op.f(CONSTRAINT), sa.text(KIND_KNOWN))
        else:
            batch_op.drop_constraint(op.f(CONSTRAINT), type_="check")
    for _name, sql in triggers:
        op.execute(sql)


def upgrade() -> None:
    _rebuild("add")


def downgrade() -> None:
    _rebuild("drop")
