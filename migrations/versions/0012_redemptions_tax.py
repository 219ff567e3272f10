"""Revolving redemptions of retained dividends, and members' tax profiles

* ``redemption_runs``: one redemption of a year's retained allocations (all, or a share).
* ``redemption_lines``: what one allocation gives back, paid by its own transfer.
* ``tax_profiles``: a member's legal name, country and tax id (encrypted; last 4 in clear).

Revision ID: 0012_redemptions_tax
Revises: 0011_payouts
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_redemptions_tax'
down_revision = '0011_payouts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('redemption_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('pct_bps', sa.Integer(), nullable=True),
    sa.Column('allow_out_of_order', sa.Boolean(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pay_started_by_id', sa.Integer(), nullable=True),
    sa.Column('pay_started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('draft', 'paying', 'paid', 'partially_paid')", name=op.f('ck_redemption_runs_status_known')),
    sa.CheckConstraint('pct_bps IS NULL OR (pct_bps > 0 AND pct_bps <= 10000)', name=op.f('ck_redemption_runs_pct_allowed')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_redemption_runs_created_by_id_users')),
    sa.ForeignKeyConstraint(['pay_started_by_id'], ['users.id'], name=op.f('fk_redemption_runs_pay_started_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption_runs'))
    )
    op.create_table('redemption_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('allocation_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('member_number', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stripe_transfer_id', sa.String(length=255), nullable=True),
    sa.Column('transfer_attempt', sa.Integer(), nullable=False),
    sa.Column('transfer_token', sa.String(length=32), nullable=False),
    sa.Column('failure_reason', sa.Text(), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('pending', 'paid', 'held', 'failed')", name=op.f('ck_redemption_lines_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_redemption_lines_amount_positive')),
    sa.ForeignKeyConstraint(['allocation_id'], ['dividend_allocations.id'], name=op.f('fk_redemption_lines_allocation_id_dividend_allocations')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_redemption_lines_member_id_members')),
    sa.ForeignKeyConstraint(['run_id'], ['redemption_runs.id'], name=op.f('fk_redemption_lines_run_id_redemption_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_redemption_lines')),
    sa.UniqueConstraint('run_id', 'allocation_id', name='uq_redemption_lines_run_allocation')
    )
    with op.batch_alter_table('redemption_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_redemption_lines_allocation_id'), ['allocation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_redemption_lines_member_id'), ['member_id'], unique=False)

    op.create_table('tax_profiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('tax_id_encrypted', sa.Text(), nullable=False),
    sa.Column('tax_id_last4', sa.String(length=4), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_tax_profiles_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tax_profiles')),
    sa.UniqueConstraint('member_id', name=op.f('uq_tax_profiles_member_id'))
    )


def downgrade():
    op.drop_table('tax_profiles')
    with op.batch_alter_table('redemption_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_redemption_lines_member_id'))
        batch_op.drop_index(batch_op.f('ix_redemption_lines_allocation_id'))

    op.drop_table('redemption_lines')
    op.drop_table('redemption_runs')
