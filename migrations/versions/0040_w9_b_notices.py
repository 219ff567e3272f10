"""IRS B notices on W-9s: backup withholding until a new TIN or certification

Revision ID: 0040_w9_b_notices
Revises: 0039_dispute_tax_reversals

``tax_profiles.b_notice_on``: the day an admin recorded the IRS "B notice" (the name and TIN
of a W-9 do not match the IRS's records) for the member's W-9. While it is set, the member's
payments are backup withheld even though the TIN's format is valid (IRC §3406(a)(1)(B)); a new
TIN given by the member, or the admin clearing it on a certification, ends it.
"""

import sqlalchemy as sa
from alembic import op

revision = "0040_w9_b_notices"
down_revision = "0039_dispute_tax_reversals"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tax_profiles") as batch:
        batch.add_column(sa.Column("b_notice_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tax_profiles") as batch:
        batch.drop_column("b_notice_on")
