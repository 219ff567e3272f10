"""Books dated right: the moment a run's books close, costs as they happen, payouts to the bank

* ``dividend_runs.starts_at`` and ``books_closed_at``: the run covers the moments from
  ``starts_at`` (included) to ``books_closed_at`` (excluded). A run drafted with
  ``close_books_now`` closes at that moment, and the next run starts there, so nothing falls
  between two runs. Runs drafted before keep their whole days (backfilled here).
* ``recorded_costs``: operating costs recorded during the year (date, description, expense
  account, paid from the bank or accrued), each with its ledger entry, and the reversal (with
  its reason) that undoes a mistaken one; nothing posted is deleted.
* ``bank_payouts``: Stripe's payouts of the platform balance to the bank, each booked once as
  Bank <- Stripe clearing when paid; ``bank_statement_lines``: the bank statement's lines an
  admin imports (CSV), matched to payouts on the reconciliation page.
* ``ck_journal_entries_kind_known`` takes the kinds those entries post. The kinds already
  allowed are read from the database (a migration before this one may have widened the
  constraint too), so this one adds its own and removes only those on the way down.

Revision ID: 0029_books_dated
Revises: 0028_patronage_law
"""

import re
from datetime import UTC, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0029_books_dated"
down_revision = "0028_patronage_law"
branch_labels = None
depends_on = None

ADDED_KINDS = (
    "expense",
    "expense_reversal",
    "expense_payment",
    "bank_payout",
    "bank_payout_return",
)
CONSTRAINT = "ck_journal_entries_kind_known"
_UTC_TIMESTAMP = sa.DateTime(timezone=True)


def _allowed_kinds() -> list[str]:
    """The kinds the constraint allows now, in its order, read from the database."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        definition = bind.execute(
            sa.text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name"),
            {"name": CONSTRAINT},
        ).scalar_one()
    else:
        table_sql = bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'journal_entries'"
            )
        ).scalar_one()
        found = re.search(rf"{CONSTRAINT}\"?\s+CHECK\s*\(\s*kind IN \(([^)]*)\)", table_sql)
        if found is None:
            raise RuntimeError(f"{CONSTRAINT} is not on journal_entries")
        definition = found.group(1)
    return re.findall(r"'([^']+)'", definition)


def _sqlite_rewrite_kinds(kinds: list[str]) -> None:
    """Change the CHECK in the table's stored SQL instead of rebuilding the table.

    A batch rebuild (copy, DROP TABLE, rename) fails on a SQLite database holding entries: the
    DROP's implicit DELETE trips the journal lines' foreign key, and PRAGMA foreign_keys cannot
    change inside the migration's transaction. Widening a CHECK leaves every stored row valid,
    so editing the schema text is safe; SQLite's integrity check confirms it (as 0030 does).
    """
    bind = op.get_bind()
    table_sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'journal_entries'")
    ).scalar_one()
    found = re.search(r"kind IN \([^)]*\)", table_sql)
    if found is None:
        raise RuntimeError(f"{CONSTRAINT} is not on journal_entries")
    condition = f"kind IN ({', '.join(repr(kind) for kind in kinds)})"
    changed = table_sql[: found.start()] + condition + table_sql[found.end() :]
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": changed, "name": "journal_entries"},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"SQLite integrity check after changing journal_entries: {problems}")


def _allow_kinds(kinds: list[str]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rewrite_kinds(kinds)
        return
    condition = f"kind IN ({', '.join(repr(kind) for kind in kinds)})"
    op.drop_constraint(op.f(CONSTRAINT), "journal_entries", type_="check")
    op.create_check_constraint(op.f(CONSTRAINT), "journal_entries", sa.text(condition))


def _start_of(day: object) -> datetime:
    if isinstance(day, str):
        day = datetime.strptime(day[:10], "%Y-%m-%d").date()
    return datetime.combine(day, time.min, tzinfo=UTC)  # type: ignore[arg-type]


def _backfill_run_bounds() -> None:
    """Runs drafted before this revision cover whole UTC days, both ends included."""
    bind = op.get_bind()
    runs = sa.table(
        "dividend_runs",
        sa.column("id", sa.Integer),
        sa.column("period_start", sa.Date),
        sa.column("period_end", sa.Date),
        sa.column("starts_at", _UTC_TIMESTAMP),
        sa.column("books_closed_at", _UTC_TIMESTAMP),
    )
    rows = bind.execute(sa.select(runs.c.id, runs.c.period_start, runs.c.period_end)).all()
    for run_id, start, end in rows:
        closed = _start_of(end) + timedelta(days=1)
        bind.execute(
            sa.update(runs)
            .where(runs.c.id == run_id)
            .values(starts_at=_start_of(start), books_closed_at=closed)
        )


def upgrade() -> None:
    with op.batch_alter_table("dividend_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("starts_at", _UTC_TIMESTAMP, nullable=True))
        batch_op.add_column(sa.Column("books_closed_at", _UTC_TIMESTAMP, nullable=True))
    _backfill_run_bounds()

    op.create_table(
        "recorded_costs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("expense_code", sa.String(length=16), nullable=False),
        sa.Column("paid_from", sa.String(length=16), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", _UTC_TIMESTAMP, nullable=False),
        sa.Column("paid_entry_id", sa.Integer(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("reversal_entry_id", sa.Integer(), nullable=True),
        sa.Column("reversal_reason", sa.Text(), nullable=False),
        sa.Column("reversed_by_id", sa.Integer(), nullable=True),
        sa.Column("reversed_at", _UTC_TIMESTAMP, nullable=True),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_recorded_costs_amount_positive")),
        sa.CheckConstraint(
            "paid_from IN ('bank', 'payable')", name=op.f("ck_recorded_costs_paid_from_known")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_recorded_costs_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["paid_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_recorded_costs_paid_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["reversal_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_recorded_costs_reversal_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_recorded_costs_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by_id"], ["users.id"], name=op.f("fk_recorded_costs_reversed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recorded_costs")),
    )
    op.create_index(
        op.f("ix_recorded_costs_incurred_on"), "recorded_costs", ["incurred_on"], unique=False
    )

    op.create_table(
        "bank_payouts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("stripe_payout_id", sa.String(length=255), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("arrival_date", sa.Date(), nullable=True),
        sa.Column("balance_transaction_id", sa.String(length=255), nullable=True),
        sa.Column("failure_message", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("return_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_at", _UTC_TIMESTAMP, nullable=False),
        sa.Column("updated_at", _UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_bank_payouts_amount_positive")),
        sa.CheckConstraint(
            "status IN ('pending', 'in_transit', 'paid', 'failed', 'canceled')",
            name=op.f("ck_bank_payouts_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_bank_payouts_entry_id_journal_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["return_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_bank_payouts_return_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_payouts")),
        sa.UniqueConstraint("stripe_payout_id", name=op.f("uq_bank_payouts_stripe_payout_id")),
    )

    op.create_table(
        "bank_statement_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("payout_id", sa.Integer(), nullable=True),
        sa.Column("imported_by_id", sa.Integer(), nullable=False),
        sa.Column("imported_at", _UTC_TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "amount_cents <> 0", name=op.f("ck_bank_statement_lines_amount_not_zero")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["bank_payouts.id"],
            name=op.f("fk_bank_statement_lines_payout_id_bank_payouts"),
        ),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["users.id"],
            name=op.f("fk_bank_statement_lines_imported_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bank_statement_lines")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_bank_statement_lines_fingerprint")),
    )
    op.create_index(
        op.f("ix_bank_statement_lines_booked_on"),
        "bank_statement_lines",
        ["booked_on"],
        unique=False,
    )

    allowed = _allowed_kinds()
    _allow_kinds(allowed + [kind for kind in ADDED_KINDS if kind not in allowed])


def downgrade() -> None:
    _allow_kinds([kind for kind in _allowed_kinds() if kind not in ADDED_KINDS])
    op.drop_index(op.f("ix_bank_statement_lines_booked_on"), table_name="bank_statement_lines")
    op.drop_table("bank_statement_lines")
    op.drop_table("bank_payouts")
    op.drop_index(op.f("ix_recorded_costs_incurred_on"), table_name="recorded_costs")
    op.drop_table("recorded_costs")
    with op.batch_alter_table("dividend_runs", schema=None) as batch_op:
        batch_op.drop_column("books_closed_at")
        batch_op.drop_column("starts_at")
