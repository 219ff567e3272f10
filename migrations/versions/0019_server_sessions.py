"""Sign-in sessions kept on the server, so sign-out ends them

A browser's cookie now holds the key of a ``sign_in_sessions`` row (only its SHA-256 is stored);
the cookie works while the row is not revoked. Signing out, changing or resetting the password and
"sign out everywhere else" revoke rows, so ``users.login_epoch``, which only the password paths
could bump, goes. Cookies made before this revision hold no key and so sign their holder out once.

Revision ID: 0019_server_sessions
Revises: 0018_standing_licences
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_server_sessions"
down_revision = "0018_standing_licences"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_agent", sa.String(length=255), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_sign_in_sessions_key_hash")),
    )
    op.create_index(
        op.f("ix_sign_in_sessions_user_id"), "sign_in_sessions", ["user_id"], unique=False
    )
    # A plain ALTER on both engines (SQLite >= 3.35): a batch copy of ``users`` would have to
    # drop a table that most others reference.
    op.drop_column("users", "login_epoch")


def downgrade() -> None:
    op.add_column(
        "users", sa.Column("login_epoch", sa.Integer(), nullable=False, server_default="0")
    )
    op.drop_index(op.f("ix_sign_in_sessions_user_id"), table_name="sign_in_sessions")
    op.drop_table("sign_in_sessions")
