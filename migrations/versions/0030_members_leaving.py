"""Members joining and leaving, money a member owes, redemptions by two admins, policy history

* ``members``: ``left_on`` (the day a member resigned or was expelled; their sales up to that
  day are patronage), ``leaving_kind`` (``resigned`` or ``expelled``), ``leaving_reason``,
  ``board_decision_ref`` (the board's decision an expulsion carries out); the audit log says
  who recorded it.
  The status check widens with ``expelled``.
* ``redemption_runs``: ``member_id`` (a redemption of one member's capital, e.g. on leaving),
  ``approved_by_id`` / ``approved_at`` (a second admin approves before paying); the status
  check widens with ``approved``.
* ``redemption_lines.kept_cents``, ``dividend_allocations.kept_cents``: the part of a
  redemption, or of a dividend's cash, kept against what the member owes the co-op.
* ``dividend_runs``: ``member_business_cents`` and ``non_member_business_cents``, the period's
  net sales made while their seller was a member, and not (``dividends.member_business``).
* ``policy_changes``: each change of a member class's dividend share or basis, or of a licence's
  royalty rate, with the member vote or board decision that approved it.
* ``journal_entries.kind`` widens with ``member_receivable``, ``receivable_offset`` and
  ``receivable_write_off`` (money a member owes the co-op, account 1300). The kinds already
  allowed are read from the database, so the kinds an earlier revision added stay allowed.

SQLite cannot alter a CHECK constraint; each one here only widens, which SQLite documents as
safe to make by rewriting the stored table SQL (as 0023 does).

Revision ID: 0030_members_leaving
Revises: 0029_books_dated
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0030_members_leaving"
down_revision = "0029_books_dated"
branch_labels = None
depends_on = None

NEW_KINDS = ("member_receivable", "receivable_offset", "receivable_write_off")
MEMBER_STATUSES = (
    ("active", "suspended", "resigned"),
    ("active", "suspended", "resigned", "expelled"),
)
REDEMPTION_STATUSES = (
    ("draft", "paying", "paid", "partially_paid"),
    ("draft", "approved", "paying", "paid", "partially_paid"),
)


def _in_list(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _sqlite_rewrite(table: str, before: str, after: str) -> None:
    bind = op.get_bind()
    table_sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    if before not in table_sql:
        raise RuntimeError(f"The {table} table's check is not the one this migration knows.")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = :name"),
        {"sql": table_sql.replace(before, after), "name": table},
    )
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"SQLite integrity check after changing {table}: {problems}")


def _status_check(table: str, before: tuple[str, ...], after: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rewrite(table, f"status IN ({_in_list(before)})", f"status IN ({_in_list(after)})")
        return
    op.drop_constraint(op.f(f"ck_{table}_status_known"), table, type_="check")
    op.create_check_constraint(
        op.f(f"ck_{table}_status_known"), table, f"status IN ({_in_list(after)})"
    )


def _allowed_kinds() -> list[str]:
    """The kinds ``ck_journal_entries_kind_known`` allows now, in its order."""
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        table_sql = bind.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'journal_entries'"
            )
        ).scalar_one()
        found = re.search(r"kind IN \(([^)]*)\)", table_sql)
        definition = found.group(1) if found else ""
    else:
        definition = bind.execute(
            sa.text(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conname = 'ck_journal_entries_kind_known'"
            )
        ).scalar_one()
    kinds = re.findall(r"'([a-z_]+)'", definition)
    if not kinds:
        raise RuntimeError("ck_journal_entries_kind_known lists no kinds this migration can read.")
    return list(dict.fromkeys(kinds))


def _kind_check(after: list[str]) -> None:
    before = _allowed_kinds()
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_rewrite(
            "journal_entries", f"kind IN ({_in_list(before)})", f"kind IN ({_in_list(after)})"
        )
        return
    op.drop_constraint(op.f("ck_journal_entries_kind_known"), "journal_entries", type_="check")
    op.create_check_constraint(
        op.f("ck_journal_entries_kind_known"), "journal_entries", f"kind IN ({_in_list(after)})"
    )


def upgrade() -> None:
    op.add_column("members", sa.Column("left_on", sa.Date(), nullable=True))
    op.add_column("members", sa.Column("leaving_kind", sa.String(length=16), nullable=True))
    op.add_column(
        "members", sa.Column("leaving_reason", sa.Text(), nullable=False, server_default="")
    )
    op.add_column(
        "members",
        sa.Column("board_decision_ref", sa.String(length=200), nullable=False, server_default=""),
    )
    _status_check("members", *MEMBER_STATUSES)

    for column, table in (("member_id", "members"), ("approved_by_id", "users")):
        if op.get_bind().dialect.name == "sqlite":
            # SQLite adds a column's reference with the column, never a constraint later.
            op.execute(
                f"ALTER TABLE redemption_runs ADD COLUMN {column} INTEGER REFERENCES {table} (id)"
            )
            continue
        op.add_column("redemption_runs", sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_redemption_runs_{column}_{table}"), "redemption_runs", table, [column], ["id"]
        )
    op.add_column(
        "redemption_runs", sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True)
    )
    _status_check("redemption_runs", *REDEMPTION_STATUSES)
    for table in ("redemption_lines", "dividend_allocations"):
        op.add_column(
            table, sa.Column("kept_cents", sa.BigInteger(), nullable=False, server_default="0")
        )
    for column in ("member_business_cents", "non_member_business_cents"):
        op.add_column(
            "dividend_runs", sa.Column(column, sa.BigInteger(), nullable=False, server_default="0")
        )

    op.create_table(
        "policy_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("vote_id", sa.Integer(), sa.ForeignKey("votes.id"), nullable=True),
        sa.Column("board_decision_ref", sa.String(length=200), nullable=False, server_default=""),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("changed_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_changes")),
        sa.CheckConstraint(
            "subject IN ('member_class', 'royalty_rate')",
            name=op.f("ck_policy_changes_subject_known"),
        ),
        sa.CheckConstraint(
            "vote_id IS NOT NULL OR board_decision_ref <> ''",
            name=op.f("ck_policy_changes_approval_recorded"),
        ),
    )
    op.create_index(
        op.f("ix_policy_changes_changed_at"), "policy_changes", ["changed_at"], unique=False
    )
    _kind_check([*_allowed_kinds(), *(k for k in NEW_KINDS if k not in _allowed_kinds())])


def downgrade() -> None:
    _kind_check([kind for kind in _allowed_kinds() if kind not in NEW_KINDS])
    op.drop_index(op.f("ix_policy_changes_changed_at"), table_name="policy_changes")
    op.drop_table("policy_changes")
    with op.batch_alter_table("dividend_runs") as batch_op:
        batch_op.drop_column("non_member_business_cents")
        batch_op.drop_column("member_business_cents")
    for table in ("dividend_allocations", "redemption_lines"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("kept_cents")
    op.execute("UPDATE redemption_runs SET status = 'draft' WHERE status = 'approved'")
    _status_check("redemption_runs", *reversed(REDEMPTION_STATUSES))
    with op.batch_alter_table("redemption_runs") as batch_op:
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by_id")
        batch_op.drop_column("member_id")
    op.execute("UPDATE members SET status = 'resigned' WHERE status = 'expelled'")
    _status_check("members", *reversed(MEMBER_STATUSES))
    with op.batch_alter_table("members") as batch_op:
        batch_op.drop_column("board_decision_ref")
        batch_op.drop_column("leaving_reason")
        batch_op.drop_column("leaving_kind")
        batch_op.drop_column("left_on")
