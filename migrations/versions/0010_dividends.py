"""Patronage dividends: runs, allocations, and each member class's share of the pool

* ``member_classes.dividend_share_bps`` / ``dividend_basis``: the allocation policy, as data
  (founders 5 % equal, staff 5 % by years of service, artists 90 % by patronage; other classes
  0, which leaves them out).
* ``dividend_runs``: a period's surplus, reserve and pool, the policy snapshot, the approvals.
* ``dividend_allocations``: one member's allocation, cash and retained parts, payment state.

Revision ID: 0010_dividends
Revises: 0009_orders_payments
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010_dividends"
down_revision = "0009_orders_payments"
branch_labels = None
depends_on = None

DEFAULT_POLICY = (("founders", 500, "equal"), ("staff", 500, "service_years"), ("artists", 9000, "patronage"))


def upgrade():
    with op.batch_alter_table("member_classes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dividend_share_bps", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("dividend_basis", sa.String(length=16), nullable=False, server_default="equal")
        )
    member_classes = sa.table(
        "member_classes",
        sa.column("code", sa.String),
        sa.column("dividend_share_bps", sa.Integer),
        sa.column("dividend_basis", sa.String),
    )
    for code, share_bps, basis in DEFAULT_POLICY:
        op.execute(
            member_classes.update()
            .where(member_classes.c.code == code)
            .values(dividend_share_bps=share_bps, dividend_basis=basis)
        )

    op.create_table(
        "dividend_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("revenue_cents", sa.BigInteger(), nullable=False),
        sa.Column("refunds_cents", sa.BigInteger(), nullable=False),
        sa.Column("fees_cents", sa.BigInteger(), nullable=False),
        sa.Column("operating_costs_cents", sa.BigInteger(), nullable=False),
        sa.Column("operating_costs_note", sa.Text(), nullable=False),
        sa.Column("surplus_cents", sa.BigInteger(), nullable=False),
        sa.Column("reserve_bps", sa.Integer(), nullable=False),
        sa.Column("reserve_cents", sa.BigInteger(), nullable=False),
        sa.Column("pool_cents", sa.BigInteger(), nullable=False),
        sa.Column("cash_bps", sa.Integer(), nullable=False),
        sa.Column("unallocated_cents", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("classes", sa.JSON(), nullable=False),
        sa.Column("drafted_by_id", sa.Integer(), nullable=False),
        sa.Column("drafted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pay_started_by_id", sa.Integer(), nullable=True),
        sa.Column("pay_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'approved', 'paying', 'paid', 'partially_paid')",
            name=op.f("ck_dividend_runs_status_known"),
        ),
        sa.CheckConstraint(
            "period_start <= period_end", name=op.f("ck_dividend_runs_period_ordered")
        ),
        sa.CheckConstraint(
            "pool_cents >= 0 AND reserve_cents >= 0",
            name=op.f("ck_dividend_runs_pool_not_negative"),
        ),
        sa.CheckConstraint(
            "cash_bps >= 2000 AND cash_bps <= 10000",
            name=op.f("ck_dividend_runs_cash_share_allowed"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"], ["users.id"], name=op.f("fk_dividend_runs_approved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["drafted_by_id"], ["users.id"], name=op.f("fk_dividend_runs_drafted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["pay_started_by_id"],
            ["users.id"],
            name=op.f("fk_dividend_runs_pay_started_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dividend_runs")),
    )

    op.create_table(
        "dividend_allocations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("member_number", sa.Integer(), nullable=False),
        sa.Column("class_code", sa.String(length=32), nullable=False),
        sa.Column("basis", sa.String(length=16), nullable=False),
        sa.Column("weight", sa.BigInteger(), nullable=False),
        sa.Column("patronage_cents", sa.BigInteger(), nullable=False),
        sa.Column("allocation_cents", sa.BigInteger(), nullable=False),
        sa.Column("cash_cents", sa.BigInteger(), nullable=False),
        sa.Column("retained_cents", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("stripe_transfer_id", sa.String(length=255), nullable=True),
        sa.Column("transfer_attempt", sa.Integer(), nullable=False),
        sa.Column("transfer_token", sa.String(length=32), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'held', 'failed')",
            name=op.f("ck_dividend_allocations_status_known"),
        ),
        sa.CheckConstraint(
            "allocation_cents > 0 AND cash_cents > 0 AND retained_cents >= 0 "
            "AND cash_cents + retained_cents = allocation_cents",
            name=op.f("ck_dividend_allocations_parts_add_up"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_dividend_allocations_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["dividend_runs.id"], name=op.f("fk_dividend_allocations_run_id_dividend_runs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dividend_allocations")),
        sa.UniqueConstraint(
            "run_id", "member_id", name="uq_dividend_allocations_run_member"
        ),
    )
    with op.batch_alter_table("dividend_allocations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_dividend_allocations_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            "ix_dividend_allocations_run_status", ["run_id", "status"], unique=False
        )


def downgrade():
    with op.batch_alter_table("dividend_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_dividend_allocations_run_status")
        batch_op.drop_index(batch_op.f("ix_dividend_allocations_member_id"))

    op.drop_table("dividend_allocations")
    op.drop_table("dividend_runs")
    with op.batch_alter_table("member_classes", schema=None) as batch_op:
        batch_op.drop_column("dividend_basis")
        batch_op.drop_column("dividend_share_bps")
