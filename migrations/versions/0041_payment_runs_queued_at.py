"""Payment runs: when their payment tasks were last queued, for the stalled-payments sweep

Revision ID: 0041_payment_runs_queued_at
Revises: 0040_w9_b_notices

``dividend_runs``, ``redemption_runs`` and ``payout_runs`` get ``queued_at``: the moment the
run last queued payment tasks (started paying, held cash released, failed lines retried, or
the sweep of ``marketplace/stalled_payments.py`` queued them again). A run still paying where
nothing settled since then for ``MARKETPLACE_PAYMENT_STALL_SECONDS`` has its pending payments
queued again. Existing runs take it from when they started paying.
"""

import sqlalchemy as sa
from alembic import op

revision = "0041_payment_runs_queued_at"
down_revision = "0040_w9_b_notices"
branch_labels = None
depends_on = None

# (table, the column the existing rows take it from)
RUNS = (
    ("dividend_runs", "pay_started_at"),
    ("redemption_runs", "pay_started_at"),
    ("payout_runs", "created_at"),
)


def upgrade() -> None:
    for table, started in RUNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("queued_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET queued_at = {started}")  # noqa: S608 - fixed names


def downgrade() -> None:
    for table, _ in RUNS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("queued_at")
