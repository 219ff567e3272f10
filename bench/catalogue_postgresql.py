"""Loading a generated catalogue into PostgreSQL: ``COPY`` in text format, indexes after.

The secondary indexes of ``assets`` are dropped and recreated from their own definitions after
the load, the rows go through two ``COPY`` streams on two connections (the generated tsvector
is most of the server's work), then the id sequences are moved on and the tables analysed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.catalogue_load import _Column, _Phases, _psycopg_url, _writable
from bench.catalogue_rows import _chunks, _Plan

_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_column(values: list[Any]) -> list[str]:
    """One column in COPY's text format."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if isinstance(sample, str):
        text = "".join(v for v in values if v is not None)
        if any(c in text for c in "\\\t\n\r"):
            values = [None if v is None else v.translate(_COPY_ESCAPES) for v in values]
        return ["\\N" if v is None else v for v in values]
    return ["\\N" if v is None else str(v) for v in values]


def _copy_text(columns: dict[str, list[Any]], names: Sequence[str]) -> str:
    """Rows for ``COPY ... FROM STDIN`` (text format)."""
    lines = map("\t".join, zip(*(_copy_column(columns[n]) for n in names), strict=True))
    return "\n".join(lines) + "\n"


def _load_postgresql(
    database_url: str,
    plan: _Plan,
    people: tuple[dict, dict],
    columns: dict[str, list[_Column]],
    phases: _Phases,
) -> None:
    import psycopg
    from psycopg import sql as psql
    from psycopg.copy import QueuedLibpqWriter

    url = _psycopg_url(database_url)
    with psycopg.connect(url) as connection:
        # Secondary indexes (the GIN one above all) are built faster once, after the load.
        indexes = connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "WHERE i.schemaname = current_schema() AND i.tablename = 'assets' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)"
        ).fetchall()
        for name, _definition in indexes:
            connection.execute(psql.SQL("DROP INDEX {}").format(psql.Identifier(name)))
    # Computing the generated tsvector is most of the work: two COPYs, on two connections,
    # keep two server processes busy while this one generates the rows.
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        for connection in (first, second):
            # The rows are consistent by construction: skip the per-row foreign-key triggers.
            connection.execute("SET session_replication_role = replica")
            connection.execute("SET synchronous_commit = off")
        for table, generated in (("users", people[0]), ("members", people[1])):
            names = _writable(table, columns[table], generated)
            with first.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                copy.write(_copy_text(generated, names))
        first.commit()
        phases.done("contributors")
        chunks = iter(_chunks(plan))
        generated = next(chunks)
        names = _writable("assets", columns["assets"], generated)
        statement = f"COPY assets ({', '.join(names)}) FROM STDIN"
        cursors = (first.cursor(), second.cursor())
        with (
            cursors[0].copy(statement, writer=QueuedLibpqWriter(cursors[0])) as copy_a,
            cursors[1].copy(statement, writer=QueuedLibpqWriter(cursors[1])) as copy_b,
        ):
            copy_a.write(_copy_text(generated, names))
            for number, generated in enumerate(chunks, start=1):
                (copy_b if number % 2 else copy_a).write(_copy_text(generated, names))
        first.commit()
        second.commit()
        phases.done("assets (COPY, tsvector generated)")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '512MB'")
        for table in ("users", "members", "assets"):
            connection.execute(
                psql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), {})").format(
                    psql.Literal(table),
                    psql.SQL("(SELECT max(id) FROM {})").format(psql.Identifier(table)),
                )
            )
        for name, definition in indexes:
            connection.execute(definition)
            phases.done(f"index {name}")
        for table in ("users", "members", "assets"):
            connection.execute(psql.SQL("VACUUM (ANALYZE) {}").format(psql.Identifier(table)))
    phases.done("vacuum analyze")
