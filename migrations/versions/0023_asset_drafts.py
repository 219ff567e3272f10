"""Assets: drafts the artist describes before the curators see them, and views per work

* ``draft``: a processed upload waits for its member to describe it and send it for review
  (``submitted_at``). Uploads already waiting for review stay ``pending_review``.
  ``title_from_filename``: the title is only the file's name (none was given), which review
  does not accept.
* ``asset_view_days``: views of each work's page per UTC day, counted by a beacon on the page.

SQLite cannot alter a CHECK constraint, and rebuilding ``assets`` would drop its full-text
triggers, generated column and partial indexes; the constraint only widens (no row can break
it), which is the case SQLite documents as safe to make by rewriting the stored table SQL
(https://www.sqlite.org/lang_altertable.html, "otheralter").

Revision ID: 0023_asset_drafts
Revises: 0022_rendition_progress
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_asset_drafts"
down_revision = "0022_rendition_progress"
branch_labels = None
depends_on = None

OLD_STATUSES = "'processing', 'pending_review', 'published', 'rejected', 'failed'"
NEW_STATUSES = "'processing', 'draft', 'pending_review', 'published', 'rejected', 'failed'"


def _sqlite_status_check(before: str, after: str) -> None:
    bind = op.get_bind()
    table_sql = bind.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'assets'")
    ).scalar_one()
    if f"status IN ({before})" not in table_sql:
        raise RuntimeError("The assets table's status check is not the one this migration knows.")
    version = bind.execute(sa.text("PRAGMA schema_version")).scalar_one()
    bind.execute(sa.text("PRAGMA writable_schema = ON"))
    bind.execute(
        sa.text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND name = 'assets'"),
        {"sql": table_sql.replace(f"status IN ({before})", f"status IN ({after})")},
    )
    # A new schema version makes every connection read the table's definition again.
    bind.execute(sa.text(f"PRAGMA schema_version = {int(version) + 1}"))
    bind.execute(sa.text("PRAGMA writable_schema = OFF"))
    problems = bind.execute(sa.text("PRAGMA integrity_check")).scalars().all()
    if problems != ["ok"]:
        raise RuntimeError(f"SQLite integrity check after the status change: {problems}")


def _postgresql_status_check(statuses: str) -> None:
    op.drop_constraint(op.f("ck_assets_status_known"), "assets", type_="check")
    op.create_check_constraint(op.f("ck_assets_status_known"), "assets", f"status IN ({statuses})")


def upgrade() -> None:
    # Plain ALTER TABLE ADD COLUMN: a batch operation would rebuild the table on SQLite, which
    # cannot copy its generated search column.
    op.add_column("assets", sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "assets",
        sa.Column("title_from_filename", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_status_check(OLD_STATUSES, NEW_STATUSES)
    else:
        _postgresql_status_check(NEW_STATUSES)
    # Work already with the curators was sent when it was processed.
    op.execute(
        "UPDATE assets SET submitted_at = processed_at "
        "WHERE status IN ('pending_review', 'published', 'rejected')"
    )
    op.create_table(
        "asset_view_days",
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("views", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name=op.f("fk_asset_view_days_asset_id_assets")
        ),
        sa.PrimaryKeyConstraint("asset_id", "day", name=op.f("pk_asset_view_days")),
    )


def downgrade() -> None:
    op.drop_table("asset_view_days")
    # Drafts go to the curators rather than break the narrower check.
    op.execute("UPDATE assets SET status = 'pending_review' WHERE status = 'draft'")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_status_check(NEW_STATUSES, OLD_STATUSES)
    else:
        _postgresql_status_check(OLD_STATUSES)
    op.drop_column("assets", "title_from_filename")
    op.drop_column("assets", "submitted_at")
