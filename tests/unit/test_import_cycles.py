"""No import circle runs through the money code: grimp's graph of every import of
``marketplace`` and ``workers`` (at module level, inside functions and under
``TYPE_CHECKING``) has no strongly connected component of two or more modules that holds a
module of the money packages. The pyproject's ``acyclic_siblings`` contract says the same
inside each money package; this test also catches a circle that crosses packages."""

from __future__ import annotations

import grimp
import pytest

MONEY_PACKAGES = (
    "marketplace.ledger",
    "marketplace.payments",
    "marketplace.payouts",
    "marketplace.dividends",
    "marketplace.orders",
    "marketplace.transparency",
    "marketplace.taxes",
    "workers.tasks",
)


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


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("marketplace", "workers", cache_dir=None)


def test_no_import_circle_runs_through_a_money_package(graph: grimp.ImportGraph) -> None:
    circles = import_circles(graph, set(graph.modules))
    money = [
        circle for circle in circles if any(module.startswith(MONEY_PACKAGES) for module in circle)
    ]
    assert money == []


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
