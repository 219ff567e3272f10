"""Search at a million assets, SQLite: the candidates' columns in an index of their own

With words, SQLite's engine reads the newest matching uploads (5,001 at most, more when a
filter rejects some) from FTS5, then each one's date, times licensed and filter columns.
Read from the wide assets row, that is a page per candidate (about 10 us each at a million
assets); from this partial index of the work for sale, a few entries a page. The engine names
the index (INDEXED BY): SQLite's planner otherwise always looks a rowid up in the table. The
facet terms the full-text index already holds (migration 0006: people or not, orientation,
kind) need no change. PostgreSQL: nothing; its engine bounds its heap visits with a window.

Revision ID: 0017_search_facets
Revises: 0016_board_seats
"""

from alembic import op

revision = "0017_search_facets"
down_revision = "0016_board_seats"
branch_labels = None
depends_on = None

FOR_SALE = "status = 'published' AND withdrawn_at IS NULL"
# status and withdrawn_at too: SQLite reads an index instead of the table only when every
# column the query names is in it, those of the partial index's WHERE included.
CANDIDATE_COLUMNS = (
    "id, status, withdrawn_at, published_at, times_licensed, kind, width, height, has_people, "
    "member_id, colour_r, colour_g, colour_b"
)


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"CREATE INDEX ix_assets_search_candidates ON assets ({CANDIDATE_COLUMNS}) "
            f"WHERE {FOR_SALE}"
        )
        op.execute("ANALYZE ix_assets_search_candidates")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP INDEX IF EXISTS ix_assets_search_candidates")
