"""Every table can be locked on PostgreSQL the way the code locks rows.

``lock_row`` is how services lock one row; it selects the model with its eager (outer) joins,
the case PostgreSQL refused before locks named their table. Each model is locked here on the
production database, and every ``FOR UPDATE`` the services tier runs in this process is checked
to name exactly one table (tests/fixtures/services.py watches the statements).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

import marketplace.models  # noqa: F401 - every model, so each table is locked below
from marketplace.database import lock_row, unit_of_work
from marketplace.extensions import db

pytestmark = pytest.mark.services


def _models() -> list[type]:
    models = []
    for mapper in db.Model.registry.mappers:
        table = mapper.local_table
        if isinstance(table, sa.Table) and len(mapper.primary_key) == 1:
            models.append(mapper.class_)
    return sorted(models, key=lambda model: model.__name__)


MODELS = _models()


def test_every_table_with_a_key_is_covered() -> None:
    assert len(MODELS) >= 35


@pytest.mark.parametrize("model", MODELS, ids=[m.__name__ for m in MODELS])
def test_lock_row_locks_each_model_on_postgres(services_app: Flask, model: type) -> None:
    key = sa.inspect(model).primary_key[0]
    missing = "" if key.type.python_type is str else 0
    statements: list[str] = []

    def seen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with unit_of_work() as session:
            assert lock_row(session, model, missing) is None
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    locks = [s for s in statements if "FOR UPDATE" in s]
    assert locks, statements
    assert all(s.rstrip().endswith(f"FOR UPDATE OF {key.table.name}") for s in locks), locks
