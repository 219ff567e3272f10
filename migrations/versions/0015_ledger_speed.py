"""The ledger at a million sales: day totals, and one balance check per entry

* ``ledger_day_totals``: what each shared account (the co-op's own, no member) saw per UTC day,
  currency and entry kind, kept by a trigger on ``journal_lines``. A dividend run reads the
  period's revenue, refunds and fees from it (a few thousand rows) instead of the period's
  ledger lines: on ``bench/dividends.py``'s 1,000,000 sales (PostgreSQL) those took 2.1 s,
  the GROUP BY of the sales themselves 0.5 s. On PostgreSQL the trigger runs
  once per statement and adds to the row of its ``shard`` (the backend's pid modulo 8), so two
  transactions posting sales at once seldom wait for each other's row until commit; readers
  sum the shards. Backfilled here from the lines already posted.
* The commit-time balance check (migration 0007) fired once per *line* and summed the whole
  entry each time: approving a run of 10,000 members (an allocation entry of 20,000 lines)
  took 311 s. Now statement triggers on ``journal_entries`` and ``journal_lines`` queue each
  touched entry once per transaction in ``ledger_unchecked_entries`` (a conflict on its key
  skips one already queued), and a deferred constraint trigger on that queue checks the entry
  at commit, then removes it from the queue. Still "debits = credits per entry, checked by the
  database at commit", including lines added later to an entry posted before. SQLite checks
  in Python before posting (migration 0007): its queue stays empty.
* ``ix_order_items_refunds``: refunded items only, with what a run reads of them, so taking
  back a period's refunds reads 20,000 index entries instead of 20,000 scattered rows.

Revision ID: 0015_ledger_speed
Revises: 0014_governance
"""

from alembic import op
import sqlalchemy as sa


revision = "0015_ledger_speed"
down_revision = "0014_governance"
branch_labels = None
depends_on = None

DAY_TOTAL_COLUMNS = "day, account_id, currency, kind, shard, debit_cents, credit_cents"
SUMS = (
    "sum(CASE WHEN l.side = 'debit' THEN l.amount_cents ELSE 0 END), "
    "sum(CASE WHEN l.side = 'credit' THEN l.amount_cents ELSE 0 END)"
)
ADD_TO_TOTALS = (
    "ON CONFLICT (day, account_id, currency, kind, shard) DO UPDATE SET "
    "debit_cents = ledger_day_totals.debit_cents + excluded.debit_cents, "
    "credit_cents = ledger_day_totals.credit_cents + excluded.credit_cents"
)

POSTGRESQL_UP = [
    "DROP TRIGGER IF EXISTS journal_lines_balanced ON journal_lines",
    "DROP TRIGGER IF EXISTS journal_entries_balanced ON journal_entries",
    "DROP FUNCTION IF EXISTS ledger_check_entry_balanced()",
    """
    CREATE FUNCTION ledger_check_queued_entry() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        line_count integer;
        off record;
    BEGIN
        SELECT count(*) INTO line_count FROM journal_lines WHERE entry_id = NEW.entry_id;
        IF line_count < 2 THEN
            RAISE EXCEPTION 'journal entry % has % line(s); an entry needs at least two',
                NEW.entry_id, line_count USING ERRCODE = 'check_violation';
        END IF;
        SELECT currency,
               sum(CASE WHEN side = 'debit' THEN amount_cents ELSE -amount_cents END) AS difference
          INTO off
          FROM journal_lines
         WHERE entry_id = NEW.entry_id
         GROUP BY currency
        HAVING sum(CASE WHEN side = 'debit' THEN amount_cents ELSE -amount_cents END) <> 0
         LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'journal entry % does not balance in %: debits exceed credits by %',
                NEW.entry_id, off.currency, off.difference USING ERRCODE = 'check_violation';
        END IF;
        DELETE FROM ledger_unchecked_entries WHERE entry_id = NEW.entry_id;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE CONSTRAINT TRIGGER ledger_unchecked_entries_balanced
    AFTER INSERT ON ledger_unchecked_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_check_queued_entry()
    """,
    """
    CREATE FUNCTION ledger_queue_new_entries() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ledger_unchecked_entries (entry_id)
        SELECT DISTINCT id FROM new_entries ORDER BY id
        ON CONFLICT (entry_id) DO NOTHING;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER journal_entries_queue_check
    AFTER INSERT ON journal_entries
    REFERENCING NEW TABLE AS new_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_queue_new_entries()
    """,
    f"""
    CREATE FUNCTION ledger_after_new_lines() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO ledger_unchecked_entries (entry_id)
        SELECT DISTINCT entry_id FROM new_lines ORDER BY entry_id
        ON CONFLICT (entry_id) DO NOTHING;
        -- Sorted, so that two transactions on the same shard take its rows in the same order.
        INSERT INTO ledger_day_totals ({DAY_TOTAL_COLUMNS})
        SELECT (e.posted_at AT TIME ZONE 'UTC')::date, l.account_id, l.currency, e.kind,
               pg_backend_pid() % 8, {SUMS}
          FROM new_lines l
          JOIN journal_entries e ON e.id = l.entry_id
          JOIN ledger_accounts a ON a.id = l.account_id
         WHERE a.member_id IS NULL
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4
        {ADD_TO_TOTALS};
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER journal_lines_after_insert
    AFTER INSERT ON journal_lines
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_after_new_lines()
    """,
]
POSTGRESQL_DOWN = [
    "DROP TRIGGER IF EXISTS journal_lines_after_insert ON journal_lines",
    "DROP FUNCTION IF EXISTS ledger_after_new_lines()",
    "DROP TRIGGER IF EXISTS journal_entries_queue_check ON journal_entries",
    "DROP FUNCTION IF EXISTS ledger_queue_new_entries()",
    "DROP TRIGGER IF EXISTS ledger_unchecked_entries_balanced ON ledger_unchecked_entries",
    "DROP FUNCTION IF EXISTS ledger_check_queued_entry()",
    # Migration 0007's check, as it was.
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
]
# SQLite has row triggers only; one writer at a time, so a single shard.
SQLITE_UP = [
    f"""
    CREATE TRIGGER journal_lines_day_totals
    AFTER INSERT ON journal_lines
    WHEN (SELECT member_id FROM ledger_accounts WHERE id = NEW.account_id) IS NULL
    BEGIN
        INSERT INTO ledger_day_totals ({DAY_TOTAL_COLUMNS})
        SELECT substr(e.posted_at, 1, 10), NEW.account_id, NEW.currency, e.kind, 0,
               CASE WHEN NEW.side = 'debit' THEN NEW.amount_cents ELSE 0 END,
               CASE WHEN NEW.side = 'credit' THEN NEW.amount_cents ELSE 0 END
          FROM journal_entries e
         WHERE e.id = NEW.entry_id
        {ADD_TO_TOTALS};
    END
    """,
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS journal_lines_day_totals"]


def _day(dialect: str) -> str:
    # SQLite keeps UTC datetimes as text, 'YYYY-MM-DD HH:MM:SS.ffffff'.
    if dialect == "postgresql":
        return "(e.posted_at AT TIME ZONE 'UTC')::date"
    return "substr(e.posted_at, 1, 10)"


def upgrade():
    op.create_table(
        "ledger_day_totals",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.SmallInteger(), nullable=False),
        sa.Column("debit_cents", sa.BigInteger(), nullable=False),
        sa.Column("credit_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["ledger_accounts.id"],
            name=op.f("fk_ledger_day_totals_account_id_ledger_accounts"),
        ),
        sa.PrimaryKeyConstraint(
            "day", "account_id", "currency", "kind", "shard", name=op.f("pk_ledger_day_totals")
        ),
    )
    op.create_table(
        "ledger_unchecked_entries",
        sa.Column("entry_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_ledger_unchecked_entries")),
    )
    # A dividend run takes back the items refunded in its period: this small index (refunded
    # items only) answers that without reading the items themselves.
    op.create_index(
        "ix_order_items_refunds",
        "order_items",
        ["refunded_at", "member_id", "price_cents", "order_id"],
        postgresql_where=sa.text("refunded_at IS NOT NULL"),
        sqlite_where=sa.text("refunded_at IS NOT NULL"),
    )
    dialect = op.get_bind().dialect.name
    op.execute(
        f"INSERT INTO ledger_day_totals ({DAY_TOTAL_COLUMNS}) "
        f"SELECT {_day(dialect)}, l.account_id, l.currency, e.kind, 0, {SUMS} "
        "FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id "
        "JOIN ledger_accounts a ON a.id = l.account_id WHERE a.member_id IS NULL "
        "GROUP BY 1, 2, 3, 4"
    )
    for statement in POSTGRESQL_UP if dialect == "postgresql" else SQLITE_UP:
        op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    for statement in POSTGRESQL_DOWN if dialect == "postgresql" else SQLITE_DOWN:
        op.execute(statement)
    op.drop_index("ix_order_items_refunds", table_name="order_items")
    op.drop_table("ledger_unchecked_entries")
    op.drop_table("ledger_day_totals")
