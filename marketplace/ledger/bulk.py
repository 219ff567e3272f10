"""Writing many rows at once inside the caller's transaction: ``COPY`` on PostgreSQL.

A run's allocations (one row per member) and its allocation entry (two lines per member) are
tens of thousands of rows. SQLAlchemy's executemany sends them one statement each (psycopg's
pipeline), and its multi-row INSERT ... RETURNING was slower still: measured by
``bench/dividends.py`` at 10,000 members, 0.5 s and 2.2 s; ``COPY`` takes a few hundredths.
SQLite's executemany is already one prepared statement run in a loop.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session


def insert_rows(session: Session, table: sa.Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, the table's column names) into ``table``,
    in the session's transaction; triggers and constraints apply as to any insert."""
    if not rows:
        return
    names = list(rows[0])
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), list(rows))
        return
    driver: Any = connection.connection.driver_connection  # psycopg's connection
    columns = ", ".join(f'"{name}"' for name in names)
    with (
        driver.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([row[name] for name in names])
