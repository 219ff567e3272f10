"""Members' tax forms (W-9 / W-8BEN) and the tax withheld from what the co-op pays them

* ``tax_profiles``: ``form_type`` (``w9`` or ``w8ben``; a profile stored before this revision
  becomes a W-9 when its country is US and a W-8BEN, unsigned, otherwise), ``tin_type``
  (``ssn`` or ``ein``, W-9 only), ``tin_verified`` (an admin's IRS TIN match), the W-8BEN's
  treaty claim (``treaty_country``, ``treaty_article``, ``treaty_rate_bps``) and signature
  (``signed_name``, ``signed_on``, ``certified``).
* ``payout_lines`` and ``dividend_allocations``: ``withholding_bps`` (the rate applied, decided
  once, before the first transfer) and ``withheld_cents`` (the tax kept from the payment: the
  transfer pays the rest).

Plain added columns, on SQLite as on PostgreSQL.

Revision ID: 0036_members_tax_forms
Revises: 0035_order_taxes
"""

import sqlalchemy as sa
from alembic import op

revision = "0036_members_tax_forms"
down_revision = "0035_order_taxes"
branch_labels = None
depends_on = None

PROFILE_COLUMNS = (
    "form_type",
    "tin_type",
    "tin_verified",
    "treaty_country",
    "treaty_article",
    "treaty_rate_bps",
    "signed_name",
    "signed_on",
    "certified",
)


def upgrade() -> None:
    op.add_column(
        "tax_profiles",
        sa.Column("form_type", sa.String(length=8), nullable=False, server_default="w9"),
    )
    op.execute("UPDATE tax_profiles SET form_type = 'w8ben' WHERE country <> 'US'")
    op.add_column("tax_profiles", sa.Column("tin_type", sa.String(length=3), nullable=True))
    op.add_column(
        "tax_profiles",
        sa.Column("tin_verified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("tax_profiles", sa.Column("treaty_country", sa.String(length=2), nullable=True))
    op.add_column("tax_profiles", sa.Column("treaty_article", sa.String(length=20), nullable=True))
    op.add_column("tax_profiles", sa.Column("treaty_rate_bps", sa.Integer(), nullable=True))
    op.add_column("tax_profiles", sa.Column("signed_name", sa.String(length=200), nullable=True))
    op.add_column("tax_profiles", sa.Column("signed_on", sa.Date(), nullable=True))
    op.add_column(
        "tax_profiles",
        sa.Column("certified", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    for table in ("payout_lines", "dividend_allocations"):
        op.add_column(table, sa.Column("withholding_bps", sa.Integer(), nullable=True))
        op.add_column(
            table,
            sa.Column("withheld_cents", sa.BigInteger(), nullable=False, server_default="0"),
        )


def downgrade() -> None:
    for table in ("payout_lines", "dividend_allocations"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("withheld_cents")
            batch.drop_column("withholding_bps")
    with op.batch_alter_table("tax_profiles") as batch:
        for column in reversed(PROFILE_COLUMNS):
            batch.drop_column(column)
