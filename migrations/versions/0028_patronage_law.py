"""Patronage as the law defines it (issue 17)

* ``patronage_consents``: each member's consent to take patronage allocations into income
  (IRC §1388(c)(2)(A)), with the member agreement's version and the moment given; members who
  joined before get none. ``membership_applications`` keeps the consent given when applying.
* ``dividend_allocations``: one allocation per member *and class* (a founder who sells their
  own work also shares in the patronage class), and the reference of cash paid by other means.
* ``dividend_runs``: the loss brought forward, carried forward or charged to reserves, the
  board's loss policy applied, and the day a run was first approved or paid after its payment
  period with the admin's reason.

Revision ID: 0028_patronage_law
Revises: 0027_admin_list_speed
"""

import sqlalchemy as sa
from alembic import op

revision = "0028_patronage_law"
down_revision = "0027_admin_list_speed"
branch_labels = None
depends_on = None

_UTC_TIMESTAMP = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "patronage_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("agreement_version", sa.String(length=32), nullable=False),
        sa.Column("consented_at", _UTC_TIMESTAMP, nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "source IN ('application', 'member', 'admin')",
            name=op.f("ck_patronage_consents_source_known"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"], ["members.id"], name=op.f("fk_patronage_consents_member_id_members")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_patronage_consents_recorded_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patronage_consents")),
        sa.UniqueConstraint(
            "member_id", "agreement_version", name="uq_patronage_consents_member_version"
        ),
    )
    with op.batch_alter_table("patronage_consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patronage_consents_member_id"), ["member_id"], unique=False
        )
    with op.batch_alter_table("membership_applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("patronage_consent_version", sa.String(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("patronage_consented_at", _UTC_TIMESTAMP, nullable=True))
    with op.batch_alter_table("dividend_allocations", schema=None) as batch_op:
        batch_op.drop_constraint("uq_dividend_allocations_run_member", type_="unique")
        batch_op.create_unique_constraint(
            "uq_dividend_allocations_run_member_class", ["run_id", "member_id", "class_code"]
        )
        batch_op.add_column(
            sa.Column("paid_by_other_means", sa.Text(), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("paid_by_other_means_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_dividend_allocations_paid_by_other_means_by_id_users"),
            "users",
            ["paid_by_other_means_by_id"],
            ["id"],
        )
    with op.batch_alter_table("dividend_runs", schema=None) as batch_op:
        for name in (
            "loss_brought_forward_cents",
            "loss_carried_forward_cents",
            "loss_charged_to_reserves_cents",
        ):
            batch_op.add_column(
                sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            )
        batch_op.add_column(
            sa.Column(
                "loss_policy",
                sa.String(length=16),
                server_default="carry_forward",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("past_deadline_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("late_reason", sa.Text(), server_default="", nullable=False))
        batch_op.create_check_constraint(
            "loss_policy_known", "loss_policy IN ('carry_forward', 'charge_reserves')"
        )


def downgrade() -> None:
    with op.batch_alter_table("dividend_runs", schema=None) as batch_op:
        batch_op.drop_constraint("loss_policy_known", type_="check")
        for name in (
            "late_reason",
            "past_deadline_on",
            "loss_policy",
            "loss_charged_to_reserves_cents",
            "loss_carried_forward_cents",
            "loss_brought_forward_cents",
        ):
            batch_op.drop_column(name)
    with op.batch_alter_table("dividend_allocations", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_dividend_allocations_paid_by_other_means_by_id_users"),
            type_="foreignkey",
        )
        batch_op.drop_column("paid_by_other_means_by_id")
        batch_op.drop_column("paid_by_other_means")
        batch_op.drop_constraint("uq_dividend_allocations_run_member_class", type_="unique")
        # Refused while a run holds a member's second allocation (a founder's in the
        # patronage class): the old rule allowed one per member and run.
        batch_op.create_unique_constraint(
            "uq_dividend_allocations_run_member", ["run_id", "member_id"]
        )
    with op.batch_alter_table("membership_applications", schema=None) as batch_op:
        batch_op.drop_column("patronage_consented_at")
        batch_op.drop_column("patronage_consent_version")
    with op.batch_alter_table("patronage_consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_patronage_consents_member_id"))
    op.drop_table("patronage_consents")
