"""The double-entry ledger: chart of accounts, journal entries and their lines

* ``ledger_accounts``: the chart of accounts. Accounts shared by the whole co-op have no member;
  per-member accounts (royalties payable, dividends payable, member capital) carry one and are
  created on demand. A code is unique among shared accounts (a partial unique index, since NULLs
  never collide in a plain one) and unique per member.
* ``journal_entries`` and ``journal_lines``: append-only. Every entry has an idempotency key
  derived from its cause (unique), every line one side and a positive amount.
* PostgreSQL enforces the books itself: a deferred constraint trigger checks at commit that each
  entry touched in the transaction has lines and balances per currency, and triggers refuse UPDATE
  and DELETE of posted entries and lines. SQLite refuses UPDATE and DELETE too (no deferred
  triggers there: the balance is checked in Python before posting).

Revision ID: 0007_ledger
Revises: 0006_search_speed
"""

from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa


revision = "0007_ledger"
down_revision = "0006_search_speed"
branch_labels = None
depends_on = None

# The accounts shared by the whole co-op (per-member accounts are created when first used).
# Kept here as data: a migration must not depend on the app's code as it changes later.
SHARED_ACCOUNTS = [
    ("1000", "Bank", "asset"),
    ("1100", "Stripe clearing", "asset"),
    ("4000", "Licence revenue", "income"),
    ("4900", "Refunds and chargebacks", "contra_income"),
    ("5100", "Payment processing fees", "expense"),
    ("3200", "Reserves", "equity"),
    ("3300", "Retained surplus", "equity"),
]
ACCOUNT_TYPES = "('asset', 'liability', 'equity', 'income', 'contra_income', 'expense')"

POSTGRESQL_UP = [
    """
    CREATE FUNCTION ledger_check_entry_balanced() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        checked_entry integer;
        line_count integer;
        off record;
    BEGIN
        IF TG_TABLE_NAME = 'journal_entries' THEN
            checked_entry := NEW.id;
        ELSE
            checked_entry := NEW.entry_id;
        END IF;
        SELECT count(*) INTO line_count FROM journal_lines WHERE entry_id = checked_entry;
        IF line_count < 2 THEN
            RAISE EXCEPTION 'journal entry % has % line(s); an entry needs at least two',
                checked_entry, line_count USING ERRCODE = 'check_violation';
        END IF;
        SELECT currency,
               sum(CASE WHEN side = 'debit' THEN amount_cents ELSE -amount_cents END) AS difference
          INTO off
          FROM journal_lines
         WHERE entry_id = checked_entry
         GROUP BY currency
        HAVING sum(CASE WHEN side = 'debit' THEN amount_cents ELSE -amount_cents END) <> 0
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'journal entry % does not balance in %: debits exceed credits by %',
                checked_entry, off.currency, off.difference USING ERRCODE = 'check_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER journal_lines_balanced
    AFTER INSERT ON journal_lines
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced()
    """,
    """
    CREATE CONSTRAINT TRIGGER journal_entries_balanced
    AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_entry_balanced()
    """,
    """
    CREATE FUNCTION ledger_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is append-only: % refused (post a reversing entry instead)',
            TG_TABLE_NAME, TG_OP USING ERRCODE = 'object_not_in_prerequisite_state';
    END
    $$
    """,
    """
    CREATE TRIGGER journal_lines_append_only
    BEFORE UPDATE OR DELETE ON journal_lines
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    """,
    """
    CREATE TRIGGER journal_entries_append_only
    BEFORE UPDATE OR DELETE ON journal_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()
    """,
    """
    CREATE TRIGGER journal_lines_no_truncate
    BEFORE TRUNCATE ON journal_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
    """,
    """
    CREATE TRIGGER journal_entries_no_truncate
    BEFORE TRUNCATE ON journal_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS journal_entries_no_truncate ON journal_entries",
    "DROP TRIGGER IF EXISTS journal_lines_no_truncate ON journal_lines",
    "DROP TRIGGER IF EXISTS journal_entries_append_only ON journal_entries",
    "DROP TRIGGER IF EXISTS journal_lines_append_only ON journal_lines",
    "DROP FUNCTION IF EXISTS ledger_refuse_change()",
    "DROP TRIGGER IF EXISTS journal_entries_balanced ON journal_entries",
    "DROP TRIGGER IF EXISTS journal_lines_balanced ON journal_lines",
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced()",
]
SQLITE_UP = [
    f"""
    CREATE TRIGGER {table}_append_only_{verb.lower()}
    BEFORE {verb} ON {table}
    BEGIN
        SELECT RAISE(ABORT, '{table} is append-only: {verb} refused (post a reversing entry instead)');
    END
    """
    for table in ("journal_lines", "journal_entries")
    for verb in ("UPDATE", "DELETE")
]
SQLITE_DOWN = [
    f"DROP TRIGGER IF EXISTS {table}_append_only_{verb.lower()}"
    for table in ("journal_lines", "journal_entries")
    for verb in ("UPDATE", "DELETE")
]


def upgrade():
    accounts = op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(f"type IN {ACCOUNT_TYPES}", name=op.f("ck_ledger_accounts_type_known")),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_ledger_accounts_member_id_members")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_accounts")),
        sa.UniqueConstraint("code", "member_id", name="uq_ledger_accounts_code_member"),
    )
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ledger_accounts_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            "uq_ledger_accounts_code_shared",
            ["code"],
            unique=True,
            sqlite_where=sa.text("member_id IS NULL"),
            postgresql_where=sa.text("member_id IS NULL"),
        )

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=True),
        sa.Column("reverses_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(idempotency_key) > 0", name=op.f("ck_journal_entries_idempotency_key_not_blank")
        ),
        sa.CheckConstraint("length(kind) > 0", name=op.f("ck_journal_entries_kind_not_blank")),
        sa.CheckConstraint(
            "length(currency) = 3", name=op.f("ck_journal_entries_currency_is_a_code")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_journal_entries_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_entry_id"],
            ["journal_entries.id"],
            name=op.f("fk_journal_entries_reverses_entry_id_journal_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_journal_entries_idempotency_key")),
    )
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_entries_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_entries_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_journal_entries_posted_at"), ["posted_at"], unique=False
        )

    op.create_table(
        "journal_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("side", sa.String(length=6), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.CheckConstraint("amount_cents > 0", name=op.f("ck_journal_lines_amount_positive")),
        sa.CheckConstraint("side IN ('debit', 'credit')", name=op.f("ck_journal_lines_side_known")),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_journal_lines_currency_is_a_code")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["ledger_accounts.id"], name=op.f("fk_journal_lines_account_id_ledger_accounts")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"], ["journal_entries.id"], name=op.f("fk_journal_lines_entry_id_journal_entries")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_lines")),
    )
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journal_lines_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_journal_lines_entry_id"), ["entry_id"], unique=False)

    seeded_at = datetime.now(timezone.utc)
    op.bulk_insert(
        accounts,
        [
            {"code": code, "name": name, "type": type_, "member_id": None, "created_at": seeded_at}
            for code, name, type_ in SHARED_ACCOUNTS
        ],
    )

    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DOWN if dialect == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    with op.batch_alter_table("journal_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_lines_entry_id"))
        batch_op.drop_index(batch_op.f("ix_journal_lines_account_id"))
    op.drop_table("journal_lines")
    with op.batch_alter_table("journal_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_journal_entries_posted_at"))
        batch_op.drop_index(batch_op.f("ix_journal_entries_order_id"))
        batch_op.drop_index(batch_op.f("ix_journal_entries_kind"))
    op.drop_table("journal_entries")
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_ledger_accounts_code_shared")
        batch_op.drop_index(batch_op.f("ix_ledger_accounts_member_id"))
    op.drop_table("ledger_accounts")
