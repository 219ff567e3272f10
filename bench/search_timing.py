"""Timing one search: the service call, its statements by purpose, and the bare full-text floor.

``StatementTimer`` listens to the engine's cursor events and files each statement's time under
a phase (the page, PostgreSQL's window, loading the assets, the "did you mean" vocabulary);
``_run_one`` times ``services.search`` for a query, then the bare full-text query for the same
terms on a driver connection of its own. ``Timing`` and ``EngineRun`` hold the results.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from bench.catalogue import CatalogueInfo
from bench.search_queries import PER_PAGE, Query


@dataclass
class Timing:
    query: Query
    service_ms: float
    floor_ms: float | None
    total: int
    total_exact: bool
    found: int
    phases: dict[str, float]


@dataclass
class EngineRun:
    engine: str
    version: str
    info: CatalogueInfo
    generated: bool
    timings: list[Timing] = field(default_factory=list)
    extras: list[Timing] = field(default_factory=list)
    rank_cap: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)


# The engine's statements: the page (with its total), and on PostgreSQL the window's look-ups.
ENGINE_PHASES = ("page", "window")
PHASES = ("page", "window", "load", "vocabulary", "other")
PHASE_LABELS = {
    "page": "page",
    "window": "window",
    "load": "load",
    "vocabulary": "vocab.",
    "other": "other",
}


def _phase(statement: str) -> str:
    """What a statement of ``services.search`` is for, from its text."""
    text = " ".join(statement.lower().split())
    if "search_terms" in text:
        return "vocabulary"
    # The engines' page: a SELECT over the subquery "candidates" (on SQLite, relevance over
    # the CTE "newest"), its total by count() OVER (); past the last page, a count of them.
    if " as candidates" in text or "with newest as" in text:
        return "page"
    # PostgreSQL's window: the newest id, then the planner's estimate of the matches; and its
    # words parsed in every language (counted with the window, the engine's other look-ups).
    if text.startswith("explain") or "max(assets.id)" in text or "websearch_to_tsquery" in text:
        return "window"
    if "assets.title" in text or "asset_releases" in text:
        return "load"
    return "other"


class StatementTimer:
    """Time spent in each kind of statement, per query; and the statements, when asked."""

    def __init__(self, engine: sa.Engine) -> None:
        self.phases: dict[str, float] = defaultdict(float)
        self.captured: list[tuple[str, Any]] | None = None
        self.attributed: str | None = None  # the phase of every statement, for now
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.captured is not None:
            self.captured.append((statement, parameters))
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        self.phases[self.attributed or _phase(statement)] += elapsed * 1000

    @contextmanager
    def attributing(self, phase: str) -> Iterator[None]:
        """Count every statement run inside the block as ``phase``."""
        self.attributed = phase
        try:
            yield
        finally:
            self.attributed = None

    def wrap_vocabulary(self) -> Callable[[], None]:
        """Attribute all that "did you mean" and broader searches run to the vocabulary (the
        broader searches call the engine: its page statements are help, not the page);
        returns the undo."""
        from marketplace.catalogue import vocabulary

        names = ("did_you_mean", "broader_searches")
        originals = {name: getattr(vocabulary, name) for name in names}

        def wrapped(function: Callable[..., Any]) -> Callable[..., Any]:
            def call(*args: Any, **kwargs: Any) -> Any:
                with self.attributing("vocabulary"):
                    return function(*args, **kwargs)

            return call

        for name, function in originals.items():
            setattr(vocabulary, name, wrapped(function))

        def undo() -> None:
            for name, function in originals.items():
                setattr(vocabulary, name, function)

        return undo

    def take(self) -> dict[str, float]:
        phases, self.phases = dict(self.phases), defaultdict(float)
        return phases


def _floor_sql(dialect: str, query: Query) -> tuple[str, tuple[str, ...]]:
    """The bare full-text query for the query's terms (LIMIT 48 = PER_PAGE), for the DBAPI."""
    from marketplace.catalogue.pg_query import tsquery_in_every_language
    from marketplace.catalogue.query import fts5_match, parse
    from marketplace.extensions import db

    parsed = parse(query.args.get("q", ""))
    expression = fts5_match(parsed)
    if parsed.is_empty or expression is None:
        return "SELECT id FROM assets LIMIT 48", ()
    if dialect == "sqlite":
        sql = "SELECT rowid FROM asset_search WHERE asset_search MATCH ? LIMIT 48"
        return sql, (expression,)
    # The same tsquery as the engine's: the words parsed in every language (one round trip,
    # not timed here, as the engine's is not counted in the floor's).
    words = tsquery_in_every_language(db.session(), parsed)
    if words is None:
        return "SELECT id FROM assets LIMIT 0", ()
    sql = "SELECT id FROM assets WHERE search_vector @@ CAST(%s AS tsquery) LIMIT 48"
    return sql, (words,)


def _run_one(dialect: str, query: Query, timer: StatementTimer, floor: Any | None) -> Timing:
    """The service for ``query``, then the floor on ``floor``, a DBAPI connection (if given)."""
    from marketplace.catalogue import services
    from marketplace.extensions import db

    timer.take()
    started = time.perf_counter()
    results = services.search(services.filters_from_args(query.args), query.page, PER_PAGE)
    service_ms = (time.perf_counter() - started) * 1000
    phases = timer.take()
    db.session.remove()  # as at the end of a request
    floor_ms = None
    if floor is not None:
        sql, params = _floor_sql(dialect, query)
        cursor = floor.cursor()
        started = time.perf_counter()
        cursor.execute(sql, params)
        cursor.fetchall()
        floor_ms = (time.perf_counter() - started) * 1000
        cursor.close()
    return Timing(
        query,
        service_ms,
        floor_ms,
        results.total,
        results.total_exact,
        len(results.assets),
        phases,
    )
