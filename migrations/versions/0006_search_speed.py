"""Search at a million assets: filters as index terms, browsing indexes, times licensed

* The selective filters (video, square, panoramic; and the others, for completeness) become
  terms of the full-text index, "facet..." words no buyer types, so that the index intersects
  them with the words instead of the query reading and rejecting a dozen rows per row kept.
  SQLite: a generated (virtual) ``search_facets`` column on assets, indexed as a fourth FTS5
  column (the table is rebuilt, its triggers follow the filter columns too). PostgreSQL: the
  facet lexemes join the generated ``search_vector`` (the column and its GIN index are made
  again, which rewrites the table once).
* Partial indexes over the work for sale, newest first and most licensed first, for browsing
  without words.
* ``times_licensed``: how often an asset has been licensed, for the "most licensed" sort
  (orders keep it up to date).

Revision ID: 0006_search_speed
Revises: 0005_colour_vocabulary
"""

from alembic import op
import sqlalchemy as sa


revision = "0006_search_speed"
down_revision = "0005_colour_vocabulary"
branch_labels = None
depends_on = None

FOR_SALE = "status = 'published' AND withdrawn_at IS NULL"

SQLITE_FACETS = (
    "'facetkind' || kind"
    " || CASE WHEN width > height THEN ' facetlandscape' WHEN height > width THEN ' facetportrait'"
    " WHEN width = height THEN ' facetsquare' ELSE '' END"
    " || CASE WHEN width >= height * 2.0 THEN ' facetpanoramic' ELSE '' END"
    " || CASE WHEN has_people THEN ' facetpeople' ELSE ' facetnopeople' END"
)
POSTGRESQL_FACETS = (
    "array_to_tsvector(array_remove(ARRAY['facetkind' || kind::text,"
    " CASE WHEN width > height THEN 'facetlandscape' WHEN height > width THEN 'facetportrait'"
    " WHEN width = height THEN 'facetsquare' END,"
    " CASE WHEN width >= height * 2.0 THEN 'facetpanoramic' END,"
    " CASE WHEN has_people THEN 'facetpeople' ELSE 'facetnopeople' END], NULL))"
)
POSTGRESQL_WORDS = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(keywords_text, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')"
)


def _sqlite_search_table(columns):
    """(Re)create the FTS5 table over ``columns`` of assets, its triggers, and fill it."""
    for trigger in ("asset_search_insert", "asset_search_delete", "asset_search_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS asset_search")
    listed = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    op.execute(
        f"CREATE VIRTUAL TABLE asset_search USING fts5({listed}, content='assets', "
        "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER asset_search_insert AFTER INSERT ON assets BEGIN "
        f"INSERT INTO asset_search(rowid, {listed}) VALUES (new.id, {new}); END"
    )
    op.execute(
        "CREATE TRIGGER asset_search_delete AFTER DELETE ON assets BEGIN "
        f"INSERT INTO asset_search(asset_search, rowid, {listed}) "
        f"VALUES ('delete', old.id, {old}); END"
    )
    # A generated column cannot be named in "UPDATE OF": list the columns it is made from.
    watched = [c for c in columns if c != "search_facets"]
    if "search_facets" in columns:
        watched += ["kind", "width", "height", "has_people"]
    op.execute(
        f"CREATE TRIGGER asset_search_update AFTER UPDATE OF {', '.join(watched)} "
        "ON assets BEGIN "
        f"INSERT INTO asset_search(asset_search, rowid, {listed}) "
        f"VALUES ('delete', old.id, {old}); "
        f"INSERT INTO asset_search(rowid, {listed}) VALUES (new.id, {new}); END"
    )
    op.execute("INSERT INTO asset_search(asset_search) VALUES ('rebuild')")


def upgrade():
    with op.batch_alter_table("assets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("times_licensed", sa.Integer(), nullable=False, server_default="0")
        )
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "ALTER TABLE assets ADD COLUMN search_facets TEXT "
            f"GENERATED ALWAYS AS ({SQLITE_FACETS}) VIRTUAL"
        )
        _sqlite_search_table(["title", "keywords_text", "description", "search_facets"])
        op.execute(
            "CREATE INDEX ix_assets_for_sale_newest ON assets "
            f"(published_at DESC, id DESC, kind, width, height, has_people) WHERE {FOR_SALE}"
        )
        op.execute(
            "CREATE INDEX ix_assets_for_sale_licensed ON assets "
            f"(times_licensed DESC, id DESC) WHERE {FOR_SALE}"
        )
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_assets_search_vector")
        op.execute("ALTER TABLE assets DROP COLUMN IF EXISTS search_vector")
        op.execute(
            "ALTER TABLE assets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"{POSTGRESQL_WORDS} || {POSTGRESQL_FACETS}) STORED"
        )
        op.execute("CREATE INDEX ix_assets_search_vector ON assets USING gin (search_vector)")
        op.execute(
            "CREATE INDEX ix_assets_for_sale_newest ON assets (published_at DESC, id DESC) "
            f"INCLUDE (kind, width, height, has_people) WHERE {FOR_SALE}"
        )
        op.execute(
            "CREATE INDEX ix_assets_for_sale_licensed ON assets "
            f"(times_licensed DESC, id DESC) WHERE {FOR_SALE}"
        )


def downgrade():
    dialect = op.get_bind().dialect.name
    op.execute("DROP INDEX IF EXISTS ix_assets_for_sale_newest")
    op.execute("DROP INDEX IF EXISTS ix_assets_for_sale_licensed")
    if dialect == "sqlite":
        _sqlite_search_table(["title", "keywords_text", "description"])
        op.execute("ALTER TABLE assets DROP COLUMN search_facets")
        op.execute("ALTER TABLE assets DROP COLUMN times_licensed")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_assets_search_vector")
        op.execute("ALTER TABLE assets DROP COLUMN IF EXISTS search_vector")
        op.execute(
            f"ALTER TABLE assets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
            f"({POSTGRESQL_WORDS}) STORED"
        )
        op.execute("CREATE INDEX ix_assets_search_vector ON assets USING gin (search_vector)")
        op.execute("ALTER TABLE assets DROP COLUMN times_licensed")
