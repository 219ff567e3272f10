"""Board seats per member class, as data (Stocksy United: 5 founders, 2 staff, 2 artists)

An election fills its class's seats unless the admin calling it says otherwise (a by-election).

Revision ID: 0016_board_seats
Revises: 0015_ledger_speed
"""

import sqlalchemy as sa
from alembic import op

revision = "0016_board_seats"
down_revision = "0015_ledger_speed"
branch_labels = None
depends_on = None

DEFAULT_SEATS = (("founders", 5), ("staff", 2), ("artists", 2))


def upgrade():
    with op.batch_alter_table("member_classes", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("board_seats", sa.Integer(), nullable=False, server_default="0")
        )
    member_classes = sa.table(
        "member_classes", sa.column("code", sa.String), sa.column("board_seats", sa.Integer)
    )
    for code, seats in DEFAULT_SEATS:
        op.execute(
            member_classes.update().where(member_classes.c.code == code).values(board_seats=seats)
        )


def downgrade():
    with op.batch_alter_table("member_classes", schema=None) as batch_op:
        batch_op.drop_column("board_seats")
