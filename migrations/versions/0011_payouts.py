"""Royalty payouts: members' Stripe Connect accounts, payout runs and their lines

* ``payout_accounts``: a member's connected account and what Stripe last said of it.
* ``payout_runs``: one "pay royalties" run; ``open_slot`` (1 while open, NULL once done) is
  unique, so only one run is open at a time.
* ``payout_lines``: one member's transfer in a run, with its idempotency key and attempts.

Revision ID: 0011_payouts
Revises: 0010_dividends
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_payouts'
down_revision = '0010_dividends'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_slot', sa.Integer(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('threshold_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'running', 'done')", name=op.f('ck_payout_runs_status_known')),
    sa.CheckConstraint('threshold_cents > 0', name=op.f('ck_payout_runs_threshold_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payout_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_runs')),
    sa.UniqueConstraint('open_slot', name=op.f('uq_payout_runs_open_slot'))
    )
    op.create_table('payout_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sa.String(length=255), nullable=True),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('details_submitted', sa.Boolean(), nullable=False),
    sa.Column('payouts_enabled', sa.Boolean(), nullable=False),
    sa.Column('transfers_active', sa.Boolean(), nullable=False),
    sa.Column('requirements_due', sa.JSON(), nullable=False),
    sa.Column('disabled_reason', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_payout_accounts_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_accounts')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payout_accounts_idempotency_key')),
    sa.UniqueConstraint('member_id', name=op.f('uq_payout_accounts_member_id')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_payout_accounts_stripe_account_id'))
    )
    op.create_table('payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stripe_transfer_id', sa.String(length=255), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('key_refused', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('reversed_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'sent', 'held', 'failed')", name=op.f('ck_payout_lines_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payout_lines_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_payout_lines_member_id_members')),
    sa.ForeignKeyConstraint(['run_id'], ['payout_runs.id'], name=op.f('fk_payout_lines_run_id_payout_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_lines')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_payout_lines_idempotency_key')),
    sa.UniqueConstraint('run_id', 'member_id', name='uq_payout_lines_run_member'),
    sa.UniqueConstraint('stripe_transfer_id', name=op.f('uq_payout_lines_stripe_transfer_id'))
    )
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_lines_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_lines_run_id'), ['run_id'], unique=False)



def downgrade():
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_lines_run_id'))
        batch_op.drop_index(batch_op.f('ix_payout_lines_member_id'))

    op.drop_table('payout_lines')
    op.drop_table('payout_accounts')
    op.drop_table('payout_runs')
