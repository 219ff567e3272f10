"""No import circle anywhere in ``marketplace`` or ``workers``: grimp's graph of every import
(at module level, inside functions and under ``TYPE_CHECKING``) has no strongly connected
component of two or more modules. The pyproject's ``acyclic_siblings`` contract says the same
inside each money package; this test holds the whole code base, across packages too.

Run it alone: ``.venv/bin/pytest tests/unit/test_import_cycles.py -q``."""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest


def import_circles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """The strongly connected components of two or more ``modules`` (Tarjan's algorithm,
    iterative), each sorted; an import circle is one of them."""
    index: dict[str, int] = {}
    lowlink: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = lowlink[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = lowlink[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    imported = graph.find_modules_directly_imported_by(child) & modules
                    work.append((child, iter(sorted(imported))))
                elif child in on_stack:
                    lowlink[node] = min(lowlink[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                lowlink[parent] = min(lowlink[parent], lowlink[node])
            if lowlink[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))
    return circles


def build_graph(*packages: str) -> grimp.ImportGraph:
    """Every import of ``packages``, those under ``TYPE_CHECKING`` and inside functions too."""
    return grimp.build_graph(*packages, cache_dir=None, exclude_type_checking_imports=False)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return build_graph("marketplace", "workers")


def test_no_import_circle_anywhere(graph: grimp.ImportGraph) -> None:
    assert import_circles(graph, set(graph.modules)) == []


def test_a_circle_held_by_type_checking_and_a_function_import_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The graph counts the imports a circle hides behind: one under ``TYPE_CHECKING`` and one
    inside a function, as accounts/models.py and membership/models.py once did."""
    package = tmp_path / "circle_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "users.py").write_text(
        "from typing import TYPE_CHECKING\n\n"
        "if TYPE_CHECKING:\n"
        "    from circle_probe import members\n"
    )
    (package / "members.py").write_text("def user():\n    from circle_probe import users\n")
    (package / "alone.py").write_text("from circle_probe import users\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    probe = build_graph("circle_probe")
    assert import_circles(probe, set(probe.modules)) == [
        ["circle_probe.members", "circle_probe.users"]
    ]


def test_the_circle_finder_finds_circles() -> None:
    graph = grimp.ImportGraph()
    for importer, imported in [
        ("a", "b"),
        ("b", "c"),
        ("c", "a"),
        ("c", "d"),
        ("d", "e"),
        ("e", "d"),
    ]:
        graph.add_import(importer=importer, imported=imported)
    graph.add_module("f")
    assert sorted(import_circles(graph, set(graph.modules))) == [["a", "b", "c"], ["d", "e"]]
