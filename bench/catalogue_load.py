"""What both catalogue loaders share: the table's columns, addresses, timing and sizes.

Which generated columns a table takes (refusing when the schema wants one the generator does
not make), the driver-level address of a database, its size on disk, the timed phases printed
while loading, a background producer for rows, and the "did you mean" vocabulary table filled
from the counts kept while generating.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import Any, TypeVar

import sqlalchemy as sa

from bench.catalogue_rows import _Plan

_T = TypeVar("_T")


@dataclass
class _Column:
    name: str
    nullable: bool
    has_default: bool


def _table_columns(engine: sa.Engine, table: str) -> list[_Column]:
    inspector = sa.inspect(engine)
    columns = []
    for column in inspector.get_columns(table):
        if column.get("computed"):  # PostgreSQL's generated search_vector
            continue
        columns.append(
            _Column(column["name"], bool(column["nullable"]), column.get("default") is not None)
        )
    return columns


def _writable(table: str, columns: list[_Column], generated: dict[str, list[Any]]) -> list[str]:
    """The generated columns the table has; refuses when a required column is not generated."""
    missing = [
        c.name for c in columns if not c.nullable and not c.has_default and c.name not in generated
    ]
    if missing:
        raise RuntimeError(
            f"{table}.{', '.join(missing)}: NOT NULL without a default, and "
            "bench/catalogue_rows.py does not generate it yet. Add it to the generator."
        )
    return [c.name for c in columns if c.name in generated]


def _psycopg_url(database_url: str) -> str:
    url = sa.engine.make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(database_url: str) -> str:
    database = sa.engine.make_url(database_url).database
    if not database or database == ":memory:":
        raise ValueError("The catalogue needs a SQLite file, not an in-memory database.")
    return database


def database_size(database_url: str) -> int:
    """Bytes on disk: the database (PostgreSQL) or the file and its WAL (SQLite)."""
    if sa.engine.make_url(database_url).get_backend_name() == "postgresql":
        import psycopg

        with psycopg.connect(_psycopg_url(database_url)) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else 0
    path = Path(_sqlite_path(database_url))
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _log(message: str) -> None:
    print(f"  [catalogue] {message}", file=sys.stderr, flush=True)


class _Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._started, 2)
        _log(f"{name}: {now - self._started:.1f} s")
        self._started = now


def _in_background(items: Iterator[_T], depth: int = 2) -> Iterator[_T]:
    """``items``, produced by a thread up to ``depth`` ahead of the consumer."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)

    def produce() -> None:
        try:
            for item in items:
                queue.put((True, item))
            queue.put((False, None))
        except BaseException as error:  # handed to the consumer, raised there
            queue.put((False, error))

    thread = threading.Thread(target=produce, name="catalogue-rows", daemon=True)
    thread.start()
    while True:
        more, item = queue.get()
        if not more:
            thread.join()
            if item is not None:
                raise item
            return
        yield item


def _fill_vocabulary_table(engine: sa.Engine, plan: _Plan) -> None:
    """When the schema has ``search_terms`` (the "did you mean" vocabulary), fill it.

    Counted while generating, with the refresh task's rules: lower case, 2-60 characters,
    documents = assets for sale with the keyword.
    """
    inspector = sa.inspect(engine)
    if not inspector.has_table("search_terms"):
        return
    by_language = {c["name"] for c in inspector.get_columns("search_terms")} >= {"language"}
    counted = [("en", plan.vocabulary, plan.document_counts.tolist())]
    if plan.french_words is not None and plan.french_document_counts is not None:
        counted.append(("fr", plan.french_words.tolist(), plan.french_document_counts.tolist()))
    documents: dict[tuple[str, str], int] = {}
    for language, words, counts in counted:
        for word, count in zip(words, counts, strict=True):
            if count and 2 <= len(word) <= 60:
                key = (word.lower(), language if by_language else "en")
                documents[key] = documents.get(key, 0) + int(count)
    rows = [
        {"term": term, **({"language": language} if by_language else {}), "documents": count}
        for (term, language), count in documents.items()
    ]
    columns = ["term", "language", "documents"] if by_language else ["term", "documents"]
    terms = sa.table("search_terms", *map(sa.column, columns))
    with engine.begin() as connection:
        connection.execute(sa.delete(terms))
        connection.execute(sa.insert(terms), rows)
