"""Loading a generated catalogue into SQLite: ``executemany`` in large transactions.

Durability is off for the load, the full-text triggers and secondary indexes are dropped first
and recreated from the SQL the migrations stored, the FTS5 index is rebuilt once, then
``ANALYZE`` and a WAL checkpoint.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from typing import Any

from bench.catalogue_load import _Column, _in_background, _Phases, _sqlite_path, _writable
from bench.catalogue_rows import _chunks, _Plan, _rows
from marketplace.catalogue.schema import register_sqlite_search


def _fts_triggers(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """The triggers that keep ``asset_search`` in step, exactly as the migration created them."""
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'assets' "
        "AND sql LIKE '%asset_search%' ORDER BY name"
    ).fetchall()


def _load_sqlite(
    database_url: str,
    plan: _Plan,
    people: tuple[dict, dict],
    columns: dict[str, list[_Column]],
    phases: _Phases,
) -> None:
    connection = sqlite3.connect(_sqlite_path(database_url), isolation_level=None)
    # The full-text index stems each text in its language through coop_stem (migration 0033).
    register_sqlite_search(connection)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-524288")  # 512 MB
        connection.execute("PRAGMA temp_store=MEMORY")
        connection.execute("PRAGMA foreign_keys=OFF")
        triggers = _fts_triggers(connection)
        has_fts = bool(
            connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'asset_search'").fetchone()
        )
        for name, _sql in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        # Secondary indexes are built faster once, after the load, than row by row.
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'assets' "
            "AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')

        def insert(table: str, names: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" for _ in names)
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608
                rows,
            )

        connection.execute("BEGIN")
        for table, generated in (("users", people[0]), ("members", people[1])):
            names = _writable(table, columns[table], generated)
            insert(table, names, _rows(generated, names))
        connection.execute("COMMIT")
        phases.done("contributors")
        names = []

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            for generated in _chunks(plan):
                if not names:
                    names.extend(_writable("assets", columns["assets"], generated))
                yield list(_rows(generated, names))

        # A thread generates the next rows while SQLite writes these (it releases the GIL).
        for rows in _in_background(batches()):
            connection.execute("BEGIN")
            insert("assets", names, rows)
            connection.execute("COMMIT")
        for _name, sql in indexes:
            connection.execute(sql)
        phases.done("assets (executemany)")
        if has_fts:
            connection.execute("INSERT INTO asset_search(asset_search) VALUES ('rebuild')")
            phases.done("FTS5 rebuild")
        for _name, sql in triggers:
            connection.execute(sql)
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        phases.done("analyze")
    finally:
        connection.close()
