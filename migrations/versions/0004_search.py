"""Search: keywords as text, and each engine's full-text index

SQLite: an FTS5 table over title, keywords and description (porter stemming), kept in step
with the assets table by triggers, so it changes in the same transaction as the asset.
PostgreSQL: a weighted, generated tsvector column (title and keywords A, description C) with
a GIN index.

Revision ID: 0004_search
Revises: 0003_lightboxes
"""
from alembic import op
import sqlalchemy as sa


revision = '0004_search'
down_revision = '0003_lightboxes'
branch_labels = None
depends_on = None

FTS_COLUMNS = "title, keywords_text, description"


def upgrade():
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('keywords_text', sa.Text(), nullable=False, server_default=''))

    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute(
            "UPDATE assets SET keywords_text = coalesce("
            "(SELECT group_concat(value, ' ') FROM json_each(assets.keywords)), '')"
        )
        op.execute(
            "CREATE VIRTUAL TABLE asset_search USING fts5("
            f"{FTS_COLUMNS}, content='assets', content_rowid='id', "
            "tokenize='porter unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER asset_search_insert AFTER INSERT ON assets BEGIN "
            f"INSERT INTO asset_search(rowid, {FTS_COLUMNS}) "
            "VALUES (new.id, new.title, new.keywords_text, new.description); END"
        )
        op.execute(
            "CREATE TRIGGER asset_search_delete AFTER DELETE ON assets BEGIN "
            f"INSERT INTO asset_search(asset_search, rowid, {FTS_COLUMNS}) "
            "VALUES ('delete', old.id, old.title, old.keywords_text, old.description); END"
        )
        op.execute(
            "CREATE TRIGGER asset_search_update AFTER UPDATE OF title, keywords_text, description "
            "ON assets BEGIN "
            f"INSERT INTO asset_search(asset_search, rowid, {FTS_COLUMNS}) "
            "VALUES ('delete', old.id, old.title, old.keywords_text, old.description); "
            f"INSERT INTO asset_search(rowid, {FTS_COLUMNS}) "
            "VALUES (new.id, new.title, new.keywords_text, new.description); END"
        )
        op.execute("INSERT INTO asset_search(asset_search) VALUES ('rebuild')")
    elif dialect == 'postgresql':
        op.execute(
            "UPDATE assets SET keywords_text = coalesce("
            "(SELECT string_agg(value, ' ') FROM json_array_elements_text(assets.keywords)), '')"
        )
        op.execute(
            "ALTER TABLE assets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, coalesce(keywords_text, '')), 'A') || "
            "setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'C')"
            ") STORED"
        )
        op.execute("CREATE INDEX ix_assets_search_vector ON assets USING gin (search_vector)")


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for trigger in ('asset_search_insert', 'asset_search_delete', 'asset_search_update'):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS asset_search")
    elif dialect == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_assets_search_vector")
        op.execute("ALTER TABLE assets DROP COLUMN IF EXISTS search_vector")
    with op.batch_alter_table('assets', schema=None) as batch_op:
        batch_op.drop_column('keywords_text')
