"""Search per language: each work's language, its text stemmed in it, phrases within one field

* ``assets.language``: the language its title, description and keywords are written in (an
  ISO 639-1 code; 'en' for the work there is, all written in English so far).
* PostgreSQL: text search configurations ``coop_english``, ``coop_french``, ``coop_spanish``
  (PostgreSQL's own stemmers) and ``coop_simple`` (other languages: no stemming), each with
  ``unaccent`` first, so "eglise" finds "Église". ``search_vector`` is generated with the
  configuration of the work's language, and a gap of 100 positions between title, keywords and
  description: ``||`` on tsvectors continues positions, so a phrase matched across a field
  boundary ("dusk lighthouse" in "Lighthouse at dusk" whose keywords begin with
  "lighthouse"). The gap is the kind's facet lexeme (migration 0006; every row has it, so no
  lexeme is added to the index) given a position; no phrase of a buyer spans 100 words.
* SQLite: FTS5 has no French stemmer, and cannot take one written in Python; the index holds
  the text stemmed in Python (``marketplace.catalogue.stemming``, Snowball stemmers) through
  the view ``asset_search_text`` and the SQL function ``coop_stem(text, language)``, which the
  app registers on every connection (``register_sqlite_search``). The tokenizer is now
  ``unicode61 remove_diacritics 2`` without ``porter``: the text arrives stemmed. FTS5's
  columns already kept phrases within a field.
* ``search_terms`` ("did you mean") knows each word's language: the key is (term, language).
  The table is derived (a periodic task rebuilds it); it is made again and refilled here.

Revision ID: 0033_search_languages
Revises: 0032_currencies
"""

import sqlalchemy as sa
from alembic import op

revision = "0033_search_languages"
down_revision = "0032_currencies"
branch_labels = None
depends_on = None

FTS_COLUMNS = ["title", "keywords_text", "description", "search_facets"]
STEMMED_COLUMNS = {"title", "keywords_text", "description"}
# A generated column cannot be named in "UPDATE OF": the columns search_facets is made from.
WATCHED = ["title", "keywords_text", "description", "language", "kind", "width", "height",
           "has_people"]

CONFIGS = {"coop_english": "english_stem", "coop_french": "french_stem",
           "coop_spanish": "spanish_stem", "coop_simple": "simple"}
CONFIG_OF_LANGUAGE = (
    "CASE language WHEN 'en' THEN 'coop_english'::regconfig "
    "WHEN 'fr' THEN 'coop_french'::regconfig WHEN 'es' THEN 'coop_spanish'::regconfig "
    "ELSE 'coop_simple'::regconfig END"
)
# The backslash keeps SQLAlchemy's text() from reading ":100" as a parameter.
FIELD_GAP = "('facetkind' || kind::text || '\\:100')::tsvector"
POSTGRESQL_FACETS = (
    "array_to_tsvector(array_remove(ARRAY['facetkind' || kind::text,"
    " CASE WHEN width > height THEN 'facetlandscape' WHEN height > width THEN 'facetportrait'"
    " WHEN width = height THEN 'facetsquare' END,"
    " CASE WHEN width >= height * 2.0 THEN 'facetpanoramic' END,"
    " CASE WHEN has_people THEN 'facetpeople' ELSE 'facetnopeople' END], NULL))"
)
POSTGRESQL_WORDS = (
    f"setweight(to_tsvector({CONFIG_OF_LANGUAGE}, coalesce(title, '')), 'A') || {FIELD_GAP} || "
    f"setweight(to_tsvector({CONFIG_OF_LANGUAGE}, coalesce(keywords_text, '')), 'A') || "
    f"{FIELD_GAP} || "
    f"setweight(to_tsvector({CONFIG_OF_LANGUAGE}, coalesce(description, '')), 'C')"
)
POSTGRESQL_WORDS_BEFORE = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(keywords_text, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')"
)
FOR_SALE = "assets.status = 'published' AND assets.withdrawn_at IS NULL"


def _sqlite_fts(stemmed):
    """(Re)create the FTS5 table, its triggers, and fill it: over the stemmed view, or (to
    downgrade) over assets with porter, as migration 0006 made it."""
    for trigger in ("asset_search_insert", "asset_search_delete", "asset_search_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS asset_search")
    listed = ", ".join(FTS_COLUMNS)

    def values(row):
        return ", ".join(
            f"coop_stem({row}.{c}, {row}.language)" if stemmed and c in STEMMED_COLUMNS
            else f"{row}.{c}"
            for c in FTS_COLUMNS
        )

    if stemmed:
        content, tokenizer = "asset_search_text", "unicode61 remove_diacritics 2"
        watched = WATCHED
    else:
        content, tokenizer = "assets", "porter unicode61 remove_diacritics 2"
        watched = [c for c in WATCHED if c != "language"]
    op.execute(
        f"CREATE VIRTUAL TABLE asset_search USING fts5({listed}, content='{content}', "
        f"content_rowid='id', tokenize='{tokenizer}')"
    )
    op.execute(
        "CREATE TRIGGER asset_search_insert AFTER INSERT ON assets BEGIN "
        f"INSERT INTO asset_search(rowid, {listed}) VALUES (new.id, {values('new')}); END"
    )
    op.execute(
        "CREATE TRIGGER asset_search_delete AFTER DELETE ON assets BEGIN "
        f"INSERT INTO asset_search(asset_search, rowid, {listed}) "
        f"VALUES ('delete', old.id, {values('old')}); END"
    )
    op.execute(
        f"CREATE TRIGGER asset_search_update AFTER UPDATE OF {', '.join(watched)} "
        "ON assets BEGIN "
        f"INSERT INTO asset_search(asset_search, rowid, {listed}) "
        f"VALUES ('delete', old.id, {values('old')}); "
        f"INSERT INTO asset_search(rowid, {listed}) VALUES (new.id, {values('new')}); END"
    )
    op.execute("INSERT INTO asset_search(asset_search) VALUES ('rebuild')")


def _search_terms(with_language):
    """Make the vocabulary table again (derived data) and fill it from the work for sale."""
    dialect = op.get_bind().dialect.name
    op.drop_table("search_terms")
    key = ["term", "language"] if with_language else ["term"]
    op.create_table(
        "search_terms",
        sa.Column("term", sa.String(length=60), nullable=False),
        *([sa.Column("language", sa.String(length=8), nullable=False)] if with_language else []),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_search_terms")),
    )
    if dialect == "postgresql":
        op.execute(
            "CREATE INDEX ix_search_terms_term_trgm ON search_terms USING gin (term gin_trgm_ops)"
        )
        words = "assets, json_array_elements_text(assets.keywords) AS value"
    else:
        words = "assets, json_each(assets.keywords)"
    columns = ", ".join(key)
    grouped = ", ".join(["lower(value)"] + (["assets.language"] if with_language else []))
    op.execute(
        f"INSERT INTO search_terms ({columns}, documents) SELECT {grouped}, count(*) "
        f"FROM {words} WHERE {FOR_SALE} AND length(value) BETWEEN 2 AND 60 GROUP BY {grouped}"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("ALTER TABLE assets ADD COLUMN language VARCHAR(8) DEFAULT 'en' NOT NULL")
    if dialect == "sqlite":
        op.execute(
            "CREATE VIEW asset_search_text AS SELECT id, language, "
            "coop_stem(title, language) AS title, "
            "coop_stem(keywords_text, language) AS keywords_text, "
            "coop_stem(description, language) AS description, search_facets FROM assets"
        )
        _sqlite_fts(stemmed=True)
    elif dialect == "postgresql":
        # unaccent is a trusted extension: the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        for config, stemmer in CONFIGS.items():
            parent = "simple" if stemmer == "simple" else stemmer.removesuffix("_stem")
            op.execute(f"CREATE TEXT SEARCH CONFIGURATION {config} (COPY = pg_catalog.{parent})")
            # Only the token types that can hold accents: plain ASCII words index as before.
            op.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {config} ALTER MAPPING FOR word, hword, "
                f"hword_part WITH unaccent, {stemmer}"
            )
        op.execute("DROP INDEX IF EXISTS ix_assets_search_vector")
        op.execute("ALTER TABLE assets DROP COLUMN IF EXISTS search_vector")
        op.execute(
            "ALTER TABLE assets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"{POSTGRESQL_WORDS} || {POSTGRESQL_FACETS}) STORED"
        )
        op.execute("CREATE INDEX ix_assets_search_vector ON assets USING gin (search_vector)")
    _search_terms(with_language=True)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _search_terms(with_language=False)
    if dialect == "sqlite":
        # The triggers name assets.language: they go before the column does.
        _sqlite_fts(stemmed=False)
        op.execute("DROP VIEW IF EXISTS asset_search_text")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_assets_search_vector")
        op.execute("ALTER TABLE assets DROP COLUMN IF EXISTS search_vector")
        op.execute(
            "ALTER TABLE assets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            f"{POSTGRESQL_WORDS_BEFORE} || {POSTGRESQL_FACETS}) STORED"
        )
        op.execute("CREATE INDEX ix_assets_search_vector ON assets USING gin (search_vector)")
        for config in CONFIGS:
            op.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {config}")
        op.execute("DROP EXTENSION IF EXISTS unaccent")
    op.execute("ALTER TABLE assets DROP COLUMN language")
