"""Every row lock in the code names the one table it locks.

PostgreSQL refuses ``FOR UPDATE`` over the nullable side of an outer join, and a model with a
``lazy="joined"`` relationship selects through exactly such a join: an unqualified lock on it
failed every refund in production while SQLite, which has no row locks, let every test pass.
``with_for_update(of=Model)`` renders ``FOR UPDATE OF <its table>``, which PostgreSQL accepts
whatever the eager loads add. This test reads the source: no ``with_for_update`` without ``of``,
and ``of`` is the entity the statement selects. The services tier then runs them on PostgreSQL
(tests/integration/services/test_row_locks_on_postgres.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted(
    [*ROOT.joinpath("marketplace").rglob("*.py"), *ROOT.joinpath("workers").rglob("*.py")]
)


def _lock_calls() -> list[tuple[str, ast.Call]]:
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "with_for_update"
            ):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


def _selected_entity(call: ast.Call) -> str | None:
    """The first argument of the ``select(...)`` this chain starts from: ``Model`` or the table
    of ``TABLE.c.column`` / ``Model.column``."""
    node: ast.AST = call.func
    while isinstance(node, ast.Attribute | ast.Call):
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Attribute) and node.func.attr == "select" and node.args:
                first = node.args[0]
                while isinstance(first, ast.Attribute):
                    if isinstance(first.value, ast.Name):
                        return first.value.id
                    first = first.value
                return first.id if isinstance(first, ast.Name) else None
            node = node.func
        else:
            node = node.value
    return None


LOCKS = _lock_calls()


def test_the_scan_finds_the_locks() -> None:
    # A refactor that renamed the call would leave the test below checking nothing.
    assert len(LOCKS) >= 10


@pytest.mark.parametrize(("where", "call"), LOCKS, ids=[where for where, _ in LOCKS])
def test_every_lock_names_its_own_table(where: str, call: ast.Call) -> None:
    of = next((k.value for k in call.keywords if k.arg == "of"), None)
    assert of is not None, f"{where}: with_for_update() without of=: lock only the row's own table"
    assert isinstance(of, ast.Name), f"{where}: of= should name one model or table"
    entity = _selected_entity(call)
    if entity is not None:
        assert of.id == entity, f"{where}: selects from {entity} but locks {of.id}"
