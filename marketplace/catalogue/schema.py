"""The search index's own database objects, which the ORM models do not describe.

SQLite keeps an FTS5 table (``asset_search`` and its shadow tables) filled by triggers with
text stemmed in each work's language (the view ``asset_search_text`` and the function
``coop_stem``, which ``register_sqlite_search`` gives every connection); PostgreSQL a
generated ``tsvector`` column with a GIN index. Both are created by migrations 0004, 0006,
0017 and 0033 and kept out of the model/migration comparison.

SQLite caution for later migrations: never let Alembic's batch mode *recreate* the assets
table (adding a column is fine; dropping or retyping one is not): the copy would lose the
generated ``search_facets`` column and the triggers that keep ``asset_search`` in step.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from marketplace.catalogue.stemming import index_text

SEARCH_COLUMNS = {"search_vector", "search_facets"}
SEARCH_TABLE_PREFIX = "asset_search"
SEARCH_INDEXES = {
    "ix_assets_search_vector",
    "ix_search_terms_term_trgm",
    # Partial, descending indexes for browsing (migration 0006), which autogenerate misreads.
    "ix_assets_for_sale_newest",
    "ix_assets_for_sale_licensed",
    # SQLite only (migration 0017): the search candidates' columns, named by the engine.
    "ix_assets_search_candidates",
}


def include_in_schema_comparison(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: skip the search engine's own objects."""
    if type_ == "table" and name and name.startswith(SEARCH_TABLE_PREFIX):
        return False
    if type_ == "column" and name in SEARCH_COLUMNS:
        return False
    if type_ == "index" and name in SEARCH_INDEXES:
        return False
    return True


def register_sqlite_search(connection: sqlite3.Connection) -> None:
    """Give a SQLite connection ``coop_stem(text, language)``, which the full-text index's
    triggers and view call (migration 0033): without it, writing an asset's text fails."""
    connection.create_function("coop_stem", 2, index_text, deterministic=True)
