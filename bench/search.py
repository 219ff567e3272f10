"""How fast catalogue search answers on a million assets, against the bare full-text query.

Run from the repository root: ``.venv/bin/python -m bench.search`` (``--rows N``, default
1,000,000; ``--engines sqlite,postgresql``; ``--queries 500``). For each engine it generates a
catalogue with ``bench.catalogue`` (a throwaway PostgreSQL database with a random suffix, a
SQLite file in a temporary folder; both dropped at the end unless ``--keep``; ``--reuse DIR``
keeps them in DIR and reuses them while rows, seed and migrations match), then, in one process
and inside an app context, times ``services.search(filters_from_args(args), page, 48)``, the
call behind the search page and ``GET /api/v1/search``, for a fixed mix of queries:

* one word, common (the 20 most frequent keywords: in 30-93 % of assets) and rare (from the
  second half of the vocabulary: about 0.1-0.2 % of assets);
* two words, phrases (two adjacent words of a real title), filters (kind, orientation, people),
  sort by newest, and page 20;

after a warm-up. Next to each query it times the floor: the bare full-text query for the same
terms, unranked and unfiltered, ``LIMIT 48`` (SQLite: ``SELECT rowid FROM asset_search WHERE
asset_search MATCH ?``; PostgreSQL: ``SELECT id FROM assets WHERE search_vector @@
websearch_to_tsquery('english', ?)``), straight through the driver on a connection of its own.
A statement timer attributes the service's time to its statements: the page of ids, the capped
count, loading the 48 assets, the vocabulary ("did you mean"); the rest is Python (building the
queries, the ORM making 48 assets with their members and users). Two extra kinds, timed but
outside the targets: browsing without words (newest first) and a misspelt word (no match, so
"did you mean" runs).

Targets (from the issue): p95 under 50 ms on both engines, and within 2x of the floor's p95.
``--explain`` prints the plans of the slowest query of each kind (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite). ``--variant NAME`` (repeatable) measures a
recommended change without touching the repository: it adds what it needs to the benchmark's
database and puts a different engine behind the service for this process only:

* ``bounded``: the newest RANK_CAP + 1 matches are the candidates, and the total is counted
  with the page (``count(*) OVER ()``), exact up to RANK_CAP; no second query;
* ``facets``: ``bounded``, with kind, orientation and people as full-text index terms (an FTS5
  column over a generated column; a GIN index over ``search_vector`` plus facet lexemes);
* ``cheap-rank``: ``facets``, and on SQLite title matches first, then newest, instead of bm25
  (which first counts every document with each term: 40-60 ms for a very common word);
* ``window``: ``cheap-rank``, and on PostgreSQL candidates from the newest WINDOW_ROWS assets,
  the whole catalogue only when the full-text index expects at most FULL_SCAN_MAX rows;
* ``browse-index``: a partial index on ``published_at`` for work for sale, for browsing
  newest first without words (dropped again at the end of the run).

``--rank-cap N`` tries another RANK_CAP. With ``--reuse`` the ``facets`` structures stay in
the database, to be reused.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402
    TITLE_LINKS,
    CatalogueInfo,
    database_size,
    generate_catalogue,
)

PG_ADMIN_URL = os.environ.get(
    "MARKETPLACE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
PER_PAGE = 48
DEEP_PAGE = 20
TARGET_P95_MS = 50.0
TARGET_RATIO = 2.0
WARMUP = 60
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}

# The measured mix (shares of --queries), and the extra kinds timed outside the targets.
MIX = {
    "one word, common": 0.14,
    "one word, rare": 0.14,
    "two words": 0.14,
    "phrase": 0.12,
    "filtered": 0.18,
    "newest": 0.14,
    "deep page 20": 0.14,
}
EXTRAS = {"browse, no words": 30, "misspelt word": 30}
FILTERS = (
    {"kind": "video"},
    {"orientation": "portrait"},
    {"orientation": "square"},
    {"orientation": "panoramic"},
    {"people": "yes"},
    {"people": "no"},
    {"kind": "photo", "orientation": "landscape"},
)


@dataclass(frozen=True)
class Query:
    kind: str
    args: dict[str, str]
    page: int = 1

    def label(self) -> str:
        parts = [f"q={self.args['q']!r}"] if self.args.get("q") else ["(no words)"]
        parts += [f"{k}={v}" for k, v in self.args.items() if k != "q"]
        if self.page != 1:
            parts.append(f"page={self.page}")
        return " ".join(parts)


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
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    variants: list[str] = field(default_factory=list)


# --- the queries ----------------------------------------------------------------------------


def build_queries(
    info: CatalogueInfo, titles: Sequence[str], count: int, seed: int
) -> tuple[list[Query], list[Query]]:
    """The measured mix (``count`` queries, shuffled) and the extras; the same on every engine."""
    rng = np.random.default_rng([seed, 11])
    words = info.vocabulary
    weights = 1.0 / np.arange(1, len(words) + 1)
    cdf = np.cumsum(weights / weights.sum())

    def popular() -> str:  # what buyers type: common words more often, as the catalogue has them
        return words[min(int(np.searchsorted(cdf, rng.random())), len(words) - 1)]

    def common() -> str:
        return words[int(rng.integers(0, 20))]

    def rare() -> str:
        return words[int(rng.integers(len(words) // 2, len(words)))]

    def two() -> str:
        first = popular()
        second = popular()
        while second == first:
            second = popular()
        return f"{first} {second}"

    def phrase() -> str:
        links = set(TITLE_LINKS)
        while True:
            title = titles[int(rng.integers(len(titles)))].lower().split()
            pairs = [
                (a, b)
                for a, b in zip(title, title[1:], strict=False)
                if a not in links and b not in links
            ]
            if pairs:
                a, b = pairs[int(rng.integers(len(pairs)))]
                return f'"{a} {b}"'

    def make(kind: str) -> Query:
        if kind == "one word, common":
            return Query(kind, {"q": common()})
        if kind == "one word, rare":
            return Query(kind, {"q": rare()})
        if kind == "two words":
            return Query(kind, {"q": two()})
        if kind == "phrase":
            return Query(kind, {"q": phrase()})
        if kind == "filtered":
            terms = popular() if rng.random() < 0.7 else two()
            return Query(kind, {"q": terms, **FILTERS[int(rng.integers(len(FILTERS)))]})
        if kind == "newest":
            return Query(kind, {"q": popular(), "sort": "newest"})
        if kind == "deep page 20":
            return Query(kind, {"q": words[int(rng.integers(0, 50))]}, DEEP_PAGE)
        if kind == "browse, no words":
            extra = FILTERS[int(rng.integers(len(FILTERS)))] if rng.random() < 0.5 else {}
            return Query(kind, {"sort": "newest", **extra})
        if kind == "misspelt word":
            word = ""
            while len(word) < 4:
                word = words[int(rng.integers(0, 300))]
            i = int(rng.integers(1, len(word) - 1))
            return Query(kind, {"q": word[:i] + word[i + 1] + word[i] + word[i + 2 :] + "q"})
        raise ValueError(kind)

    measured = [make(kind) for kind, share in MIX.items() for _ in range(round(share * count))]
    while len(measured) < count:
        measured.append(make("one word, common"))
    measured = measured[:count]
    order = rng.permutation(len(measured))
    extras = [make(kind) for kind, n in EXTRAS.items() for _ in range(n)]
    return [measured[i] for i in order], extras


# --- timing ---------------------------------------------------------------------------------


def _phase(statement: str) -> str:
    text = statement.lower()
    if "search_terms" in text:
        return "vocabulary"
    if "candidates" in text:  # the page; with the bounded engine it counts too
        return "page"
    if "count(" in text:
        return "count"
    if "assets.title" in text:
        return "load"
    return "other"


class StatementTimer:
    """Time spent in each kind of statement, per query; and the statements, when asked."""

    def __init__(self, engine: sa.Engine) -> None:
        self.phases: dict[str, float] = defaultdict(float)
        self.captured: list[tuple[str, Any]] | None = None
        self._started: list[float] = []
        sa.event.listen(engine, "before_cursor_execute", self._before)
        sa.event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.captured is not None:
            self.captured.append((statement, parameters))
        self._started.append(time.perf_counter())

    def _after(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        self.phases[_phase(statement)] += elapsed * 1000

    def take(self) -> dict[str, float]:
        phases, self.phases = dict(self.phases), defaultdict(float)
        return phases


def _floor_sql(dialect: str, query: Query) -> tuple[str, tuple[str, ...]]:
    """The bare full-text query for the query's terms (LIMIT 48 = PER_PAGE), for the DBAPI."""
    from marketplace.catalogue.query import fts5_match, parse, websearch_text

    parsed = parse(query.args.get("q", ""))
    if parsed.is_empty:
        return "SELECT id FROM assets LIMIT 48", ()
    if dialect == "sqlite":
        sql = "SELECT rowid FROM asset_search WHERE asset_search MATCH ? LIMIT 48"
        return sql, (fts5_match(parsed),)
    sql = (
        "SELECT id FROM assets WHERE search_vector @@ websearch_to_tsquery('english', %s) LIMIT 48"
    )
    return sql, (websearch_text(parsed),)


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


# --- variants: changes tried in this process only, to measure a recommendation --------------
#
# Each variant creates what it needs in the benchmark's database (idempotently) and may put a
# different engine behind ``services.search``; nothing in the repository changes. They are the
# recommendations for marketplace/catalogue/engines.py and the migrations, measured.

FACET_PREFIX = "facet"
# The filters as index terms: one per kind, orientation (panoramic too) and people flag.
_FACETS_SQLITE = (
    "'facetkind' || kind"
    " || CASE WHEN width > height THEN ' facetlandscape' WHEN height > width THEN ' facetportrait'"
    " WHEN width = height THEN ' facetsquare' ELSE '' END"
    " || CASE WHEN width >= height * 2.0 THEN ' facetpanoramic' ELSE '' END"
    " || CASE WHEN has_people THEN ' facetpeople' ELSE ' facetnopeople' END"
)
_FACETS_POSTGRESQL = (
    "array_to_tsvector(array_remove(ARRAY['facetkind' || kind::text,"
    " CASE WHEN width > height THEN 'facetlandscape' WHEN height > width THEN 'facetportrait'"
    " WHEN width = height THEN 'facetsquare' END,"
    " CASE WHEN width >= height * 2.0 THEN 'facetpanoramic' END,"
    " CASE WHEN has_people THEN 'facetpeople' ELSE 'facetnopeople' END], NULL))"
)
PG_FACETED_VECTOR = f"(assets.search_vector || {_FACETS_POSTGRESQL})"
SQLITE_FACETED_TABLE = "bench_asset_search"


# Only selective values become index terms (each under 10 % of the catalogue here): for the
# common ones (photo, landscape, portrait, people yes or no) intersecting a long doclist costs
# more than checking the few extra rows the join reads anyway.
SELECTIVE_FACETS = {("kind", "video"), ("orientation", "square"), ("orientation", "panoramic")}


def _split_facets(filters: Any) -> tuple[list[str], Any]:
    """The filters that become index terms, and the filters left for the SQL conditions."""
    from dataclasses import replace

    terms: list[str] = []
    left: dict[str, Any] = {}
    for name in ("kind", "orientation"):
        value = getattr(filters, name)
        if value and (name, value) in SELECTIVE_FACETS:
            terms.append(f"facetkind{value}" if name == "kind" else f"facet{value}")
            left[name] = None
    return terms, replace(filters, **left)


def _bounded_page(
    session: Any, candidates: Any, rank_order: Any, filters: Any, page: int, per_page: int
) -> Any:
    """One page of at most RANK_CAP + 1 candidates (already capped), counted in the same query."""
    from marketplace.catalogue.engines import RANK_CAP, SearchPage

    capped = candidates.subquery("candidates")
    if filters.sort == "newest" or rank_order is None:
        order = [capped.c.published_at.desc(), capped.c.id.desc()]
    else:
        order = [rank_order(capped.c.rank), capped.c.id.desc()]
    rows = session.execute(
        sa.select(capped.c.id, sa.func.count().over().label("total"))
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    if rows:
        total = int(rows[0].total)
    elif page == 1:
        total = 0
    else:  # past the last page: count what there is
        total = int(session.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())
    return SearchPage(
        ids=[row.id for row in rows], total=min(total, RANK_CAP), total_exact=total <= RANK_CAP
    )


class BoundedEngine:
    """The engines' queries, with three changes (and a fourth with ``facets``):

    1. the candidates are the newest RANK_CAP + 1 matches (highest ids: FTS5 walks its index
       backwards, PostgreSQL reads ``pk_assets`` backwards or sorts a bitmap), not whichever
       the scan met first (the oldest, on SQLite);
    2. the total comes with the page (``count(*) OVER ()`` over the capped candidates): no
       second query, exact up to RANK_CAP;
    3. browsing without words walks an index on ``published_at`` (variant browse-index);
    4. with ``facets``, the selective filters (video, square, panoramic) are index terms (an
       FTS5 column, tsvector lexemes): the full-text index intersects them, instead of the
       join reading and rejecting 12 rows for each one kept;
    5. with ``cheap_rank`` (SQLite), no bm25: FTS5's bm25 first counts every document with
       each term (40-60 ms for a word in 93 % of a million assets, whatever the LIMIT), so
       relevance becomes "all words in the title first", then newest.
    """

    def __init__(
        self, dialect: str, facets: bool, cheap_rank: bool = False, window: bool = False
    ) -> None:
        self.dialect = dialect
        self.facets = facets
        self.cheap_rank = cheap_rank and dialect == "sqlite"
        self.window = window and dialect == "postgresql"

    def search(self, session: Any, filters: Any, page: int, per_page: int) -> Any:
        from marketplace.assets.models import Asset
        from marketplace.catalogue.engines import RANK_CAP, _catalogue_conditions
        from marketplace.catalogue.query import fts5_match, websearch_text

        columns: list[Any] = [Asset.id.label("id"), Asset.published_at.label("published_at")]
        if filters.query.is_empty:
            candidates = (
                sa.select(*columns)
                .where(*_catalogue_conditions(filters))
                .order_by(Asset.published_at.desc(), Asset.id.desc())
                .limit(RANK_CAP + 1)
            )
            return _bounded_page(session, candidates, None, filters, page, per_page)
        facets, rest = _split_facets(filters) if self.facets else ([], filters)
        conditions = _catalogue_conditions(rest)
        if self.dialect == "sqlite":
            table = SQLITE_FACETED_TABLE if self.facets else "asset_search"
            fts = sa.table(table, sa.column("rowid"))
            expression = fts5_match(filters.query)
            if facets:
                expression = f"({expression}) AND " + " AND ".join(f'"{t}"' for t in facets)
            matching = (
                sa.select(*columns)
                .select_from(fts.join(Asset, Asset.id == fts.c.rowid))
                .where(sa.text(f"{table} MATCH :match").bindparams(match=expression))
                .where(*conditions)
                .order_by(fts.c.rowid.desc())
                .limit(RANK_CAP + 1)
            )
            if self.cheap_rank:
                return _bounded_page(
                    session, _title_first(matching, table, filters), lambda c: c.desc(),
                    filters, page, per_page,
                )  # fmt: skip
            weights = (10.0, 10.0, 1.0, 0.0) if self.facets else (10.0, 10.0, 1.0)
            rank = sa.func.bm25(sa.literal_column(table), *weights)
            candidates = matching.add_columns(rank.label("rank"))
            return _bounded_page(
                session, candidates, lambda column: column.asc(), filters, page, per_page
            )
        words = sa.func.websearch_to_tsquery(
            sa.literal_column("'english'::regconfig"), websearch_text(filters.query)
        )
        vector: Any = sa.literal_column("assets.search_vector")
        match: Any
        if facets:
            wanted = words.op("&&")(
                sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), " & ".join(facets))
            )
            match = sa.literal_column(PG_FACETED_VECTOR).op("@@")(wanted)
        else:
            match = vector.op("@@")(words)
        matching = (
            sa.select(*columns, sa.func.ts_rank_cd(vector, words).label("rank"))
            .where(match)
            .where(*conditions)
        )
        if self.window:
            return _pg_window(session, matching, match, filters, page, per_page)
        candidates = matching.order_by(Asset.id.desc()).limit(RANK_CAP + 1)
        return _bounded_page(
            session, candidates, lambda column: column.desc(), filters, page, per_page
        )


# PostgreSQL visits a heap row for each candidate (rank, status, date): about 2 us each here
# in id order, 6-15 us in a bitmap's random order. The window bounds the visits whatever the
# words: the newest WINDOW_ROWS assets; the whole catalogue only when the planner expects the
# full-text index to give at most FULL_SCAN_MAX rows (the rows a bitmap scan visits).
WINDOW_ROWS = 20_000
FULL_SCAN_MAX = 4_000


def _pg_window(
    session: Any, matching: Any, match: Any, filters: Any, page: int, per_page: int
) -> Any:
    """Candidates among the newest assets; all matches only when they are few."""
    from marketplace.assets.models import Asset
    from marketplace.catalogue.engines import RANK_CAP, SearchPage

    newest_id = int(session.execute(sa.select(sa.func.max(Asset.id))).scalar() or 0)
    # A literal, not a parameter: the plan (also psycopg's prepared, generic one) sees it.
    start = sa.literal(newest_id - WINDOW_ROWS, literal_execute=True)
    windowed = matching.where(Asset.id > start).order_by(Asset.id.desc()).limit(RANK_CAP + 1)
    found = _bounded_page(session, windowed, lambda c: c.desc(), filters, page, per_page)
    if newest_id <= WINDOW_ROWS or found.total > RANK_CAP:
        return found
    visited = sa.select(sa.literal(1)).select_from(Asset).where(match)
    compiled = visited.compile(dialect=session.get_bind().dialect)
    plan = (
        session.connection()
        .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
        .scalar_one()
    )
    expected = int(plan[0]["Plan"]["Plan Rows"])
    if expected <= FULL_SCAN_MAX:
        # "id + 0": sort the bitmap's rows; walking pk_assets backwards could read them all.
        everything = matching.order_by((Asset.id + 0).desc()).limit(RANK_CAP + 1)
        return _bounded_page(session, everything, lambda c: c.desc(), filters, page, per_page)
    # Common words, rare together: the newest matches; the total extrapolated from the window.
    estimate = round(found.total * newest_id / WINDOW_ROWS)
    return SearchPage(ids=found.ids, total=max(estimate, found.total), total_exact=False)


def _title_first(matching: Any, table: str, filters: Any) -> Any:
    """The candidates, with rank 1 for those that have every word and phrase in the title."""
    newest = matching.cte("newest")
    words = [f'"{w}"' for w in filters.query.words]
    words += ['"' + " ".join(p) + '"' for p in filters.query.phrases]
    titled = sa.table(table, sa.column("rowid")).alias("titled")
    in_title = (
        sa.select(titled.c.rowid)
        .where(
            sa.text(f"titled.{table} MATCH :title").bindparams(
                title="title : (" + " AND ".join(words) + ")"
            )
        )
        .where(titled.c.rowid >= sa.select(sa.func.min(newest.c.id)).scalar_subquery())
        .subquery("in_title")
    )
    return sa.select(
        newest.c.id,
        newest.c.published_at,
        sa.case((in_title.c.rowid.is_not(None), 1), else_=0).label("rank"),
    ).select_from(newest.outerjoin(in_title, in_title.c.rowid == newest.c.id))


def _execute(statements: Sequence[str]) -> None:
    from marketplace.extensions import db

    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(sa.text(statement))


def _timed(label: str, statements: Sequence[str]) -> None:
    started = time.perf_counter()
    _execute(statements)
    print(f"    {label}: {time.perf_counter() - started:.1f} s", flush=True)


def _use_engine(engine: BoundedEngine) -> Callable[[], None]:
    """Put ``engine`` behind the service (and "did you mean"); returns the undo."""
    import marketplace.catalogue.services as services
    import marketplace.catalogue.vocabulary as vocabulary

    originals = {m: m.engine_for for m in (services, vocabulary) if hasattr(m, "engine_for")}
    for module in originals:
        module.engine_for = lambda _session: engine  # type: ignore[attr-defined]

    def undo() -> None:
        for module, original in originals.items():
            module.engine_for = original  # type: ignore[attr-defined]

    return undo


def _variant_bounded(dialect: str) -> Callable[[], None]:
    """Newest RANK_CAP matches as candidates, the total counted with the page."""
    return _use_engine(BoundedEngine(dialect, facets=False))


def _variant_facets(dialect: str) -> Callable[[], None]:
    """bounded, plus the selective filters (video, square, panoramic) as index terms."""
    from marketplace.extensions import db

    with db.engine.connect() as connection:
        inspector = sa.inspect(connection)
        if dialect == "sqlite":
            has_column = any(
                c["name"] == "bench_search_facets" for c in inspector.get_columns("assets")
            )
            has_table = inspector.has_table(SQLITE_FACETED_TABLE)
        else:
            has_index = any(
                i["name"] == "bench_ix_assets_search_facets"
                for i in inspector.get_indexes("assets")
            )
    if dialect == "sqlite":
        if not has_column:
            _timed(
                "add the facets column (generated, virtual)",
                [
                    "ALTER TABLE assets ADD COLUMN bench_search_facets TEXT "
                    f"GENERATED ALWAYS AS ({_FACETS_SQLITE}) VIRTUAL"
                ],
            )
        if not has_table:
            _timed(
                f"FTS5 table {SQLITE_FACETED_TABLE} with the facets column, rebuilt",
                [
                    "CREATE VIRTUAL TABLE bench_asset_search USING fts5(title, "
                    "keywords_text, description, bench_search_facets, content='assets', "
                    "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')",
                    "INSERT INTO bench_asset_search(bench_asset_search) VALUES ('rebuild')",
                ],
            )
    elif not has_index:
        _timed(
            "GIN index on search_vector || facet lexemes",
            [
                "SET maintenance_work_mem = '512MB'",
                "CREATE INDEX bench_ix_assets_search_facets ON assets "
                f"USING gin (({PG_FACETED_VECTOR.removeprefix('(').removesuffix(')')}))",
                "ANALYZE assets",
            ],
        )
    return _use_engine(BoundedEngine(dialect, facets=True))


def _variant_browse_index(dialect: str) -> Callable[[], None]:
    """A partial index for browsing newest first: work for sale, with the filter columns."""
    if dialect == "sqlite":
        ddl = (
            "CREATE INDEX IF NOT EXISTS bench_ix_assets_for_sale_newest ON assets "
            "(published_at DESC, id DESC, kind, width, height, has_people) "
            "WHERE status = 'published' AND withdrawn_at IS NULL"
        )
    else:
        ddl = (
            "CREATE INDEX IF NOT EXISTS bench_ix_assets_for_sale_newest ON assets "
            "(published_at DESC, id DESC) INCLUDE (kind, width, height, has_people) "
            "WHERE status = 'published' AND withdrawn_at IS NULL"
        )
    _timed("partial index for browsing", [ddl, "ANALYZE assets"])

    def undo() -> None:  # dropped again, so that later runs measure the schema as migrated
        _execute(["DROP INDEX IF EXISTS bench_ix_assets_for_sale_newest"])

    return undo


def _variant_cheap_rank(dialect: str) -> Callable[[], None]:
    """facets, and on SQLite no bm25: title matches first, then newest."""
    undo = _variant_facets(dialect)
    undo()
    return _use_engine(BoundedEngine(dialect, facets=True, cheap_rank=True))


def _variant_window(dialect: str) -> Callable[[], None]:
    """cheap-rank, and on PostgreSQL candidates from the newest WINDOW_ROWS assets first."""
    undo = _variant_facets(dialect)
    undo()
    return _use_engine(BoundedEngine(dialect, facets=True, cheap_rank=True, window=True))


VARIANTS: dict[str, Callable[[str], Callable[[], None]]] = {
    "bounded": _variant_bounded,
    "facets": _variant_facets,
    "cheap-rank": _variant_cheap_rank,
    "window": _variant_window,
    "browse-index": _variant_browse_index,
}


# --- the catalogue for each engine ----------------------------------------------------------


@dataclass
class Prepared:
    url: str
    info: CatalogueInfo
    generated: bool
    database: str | None = None  # the PostgreSQL database to drop at the end


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory(str(ROOT / "migrations")).get_current_head())


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def _pg_url(name: str) -> str:
    base = sa.engine.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return base.render_as_string(hide_password=False)


def prepare(engine: str, args: argparse.Namespace, folder: Path) -> Prepared:
    """A catalogue for ``engine``: reused from ``--reuse DIR`` when it matches, else generated."""
    marker = folder / f"catalogue-{engine}.json"
    if args.reuse and marker.exists():
        info = CatalogueInfo.from_json(marker.read_text())
        matches = (info.rows, info.seed, info.contributors, info.revision) == (
            args.rows,
            args.seed,
            args.contributors,
            _alembic_head(),
        )
        name = sa.engine.make_url(info.database_url).database or ""
        present = _pg_exists(name) if engine == "postgresql" else Path(name).exists()
        if matches and present:
            print(f"Reusing the {ENGINE_NAMES[engine]} catalogue in {info.database_url}")
            return Prepared(info.database_url, info, generated=False)
        print(f"Not reusing {info.database_url}: it no longer matches; generating again.")
        if engine == "postgresql" and present:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        marker.unlink()
    if engine == "postgresql":
        database = f"bench_search_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{database}"')
        url = _pg_url(database)
    else:
        database = None
        path = folder / "catalogue.sqlite"
        for leftover in folder.glob("catalogue.sqlite*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    print(f"Generating {args.rows:,} assets on {ENGINE_NAMES[engine]} ({url})", flush=True)
    try:
        info = generate_catalogue(url, args.rows, args.contributors, args.seed)
    except BaseException:
        if database and not (args.keep or args.reuse):
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        raise
    if args.reuse:
        marker.write_text(info.to_json())
    return Prepared(url, info, generated=True, database=database)


# --- measuring one engine -------------------------------------------------------------------


def _titles(count: int, seed: int, info: CatalogueInfo) -> list[str]:
    from marketplace.extensions import db

    rng = np.random.default_rng([seed, 12])
    ids = sorted({int(i) for i in rng.integers(info.first_asset_id, info.last_asset_id + 1, count)})
    statement = sa.text("SELECT id, title FROM assets WHERE id IN :ids ORDER BY id").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    return [title for _id, title in db.session.execute(statement, {"ids": ids}).all()]


def measure(engine: str, prepared: Prepared, args: argparse.Namespace, folder: Path) -> EngineRun:
    from marketplace import create_app
    from marketplace.extensions import db

    app = create_app(
        {
            "PROFILE": "test",
            "SQLALCHEMY_DATABASE_URI": prepared.url,
            "INSTANCE_PATH": str(folder / f"instance-{engine}"),
            "TASKS_INLINE": True,
        }
    )
    with app.app_context():
        dialect = db.engine.dialect.name
        with db.engine.connect() as connection:
            if dialect == "postgresql":
                version = connection.execute(sa.text("SHOW server_version")).scalar_one()
            else:
                version = connection.execute(sa.text("SELECT sqlite_version()")).scalar_one()
        undo: list[Callable[[], None]] = []
        if args.rank_cap:
            import marketplace.catalogue.engines as engines

            cap = engines.RANK_CAP
            engines.RANK_CAP = args.rank_cap
            undo.append(lambda: setattr(engines, "RANK_CAP", cap))
        for name in args.variant:
            print(f"  variant {name}: {VARIANTS[name].__doc__}", flush=True)
            undo.append(VARIANTS[name](dialect))
        titles = _titles(400, args.seed, prepared.info)
        queries, extras = build_queries(prepared.info, titles, args.queries, args.seed)
        warmup, _ = build_queries(prepared.info, titles, args.warmup, args.seed + 1)
        db.session.remove()
        timer = StatementTimer(db.engine)
        run = EngineRun(
            engine, f"{ENGINE_NAMES[engine]} {version}", prepared.info, prepared.generated
        )
        run.variants = list(args.variant)
        if args.rank_cap:
            run.variants.append(f"RANK_CAP={args.rank_cap}")
        # The floor runs on a connection of its own, straight through the driver.
        floor = db.engine.raw_connection()
        try:
            print(f"  warm-up: {len(warmup)} queries", flush=True)
            for query in warmup:
                _run_one(dialect, query, timer, floor)
            print(f"  measuring {len(queries)} queries and {len(extras)} extras", flush=True)
            started = time.perf_counter()
            for query in queries:
                run.timings.append(_run_one(dialect, query, timer, floor))
            for query in extras:
                run.extras.append(_run_one(dialect, query, timer, floor))
            print(f"  measured in {time.perf_counter() - started:.1f} s", flush=True)
        finally:
            floor.close()
        run.load_average = os.getloadavg()
        if args.explain:
            explain(dialect, run, timer)
        db.session.remove()
        for step in reversed(undo):
            step()
        db.engine.dispose()
    return run


def explain(dialect: str, run: EngineRun, timer: StatementTimer) -> None:
    """The plans of the statements of the slowest query of each kind."""
    from marketplace.catalogue import services
    from marketplace.extensions import db

    slowest: dict[str, Timing] = {}
    for timing in run.timings + run.extras:
        kind = timing.query.kind
        if kind not in slowest or timing.service_ms > slowest[kind].service_ms:
            slowest[kind] = timing
    print(f"\nPlans of the slowest query of each kind ({run.version}):")
    for kind, timing in slowest.items():
        query = timing.query
        timer.captured = []
        services.search(services.filters_from_args(query.args), query.page, PER_PAGE)
        db.session.remove()
        captured, timer.captured = timer.captured, None
        print(f"\n### {kind}: {query.label()} ({timing.service_ms:.1f} ms)")
        for statement, parameters in captured:
            phase = _phase(statement)
            if phase not in ("page", "count"):
                continue
            prefix = (
                "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
            )
            connection = db.engine.raw_connection()
            try:
                cursor = connection.cursor()
                cursor.execute(prefix + statement, parameters)
                rows = cursor.fetchall()
            finally:
                connection.close()
            print(f"-- {phase}: {' '.join(statement.split())[:400]}")
            print(f"   parameters: {parameters}")
            for row in rows:
                print("   " + (row[0] if dialect == "postgresql" else f"{row[1]:>3} {row[3]}"))


# --- the report -----------------------------------------------------------------------------


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def _ms(value: float) -> str:
    return f"{value:8.2f}" if value == value else "       -"


def _size(n: int) -> str:
    return f"{n / 1024**3:.2f} GB" if n >= 1024**3 else f"{n / 1024**2:.0f} MB"


def report(run: EngineRun) -> bool:
    """Print the engine's tables; True when both targets are met."""
    info = run.info
    service = [t.service_ms for t in run.timings]
    floor = [t.floor_ms for t in run.timings if t.floor_ms is not None]
    engine_only = [t.phases.get("page", 0) + t.phases.get("count", 0) for t in run.timings]
    p95, floor95 = _pct(service, 95), _pct(floor, 95)
    ratio = p95 / floor95 if floor95 else float("inf")
    fast, close = p95 < TARGET_P95_MS, ratio <= TARGET_RATIO
    phases = ", ".join(f"{k} {v:.0f} s" for k, v in info.phases.items())
    generated = "generated" if run.generated else "generated earlier"
    print()
    print(f"== {run.version}: {info.rows:,} assets, {info.contributors:,} contributors ==")
    print(f"{generated} in {info.seconds:.0f} s ({phases})")
    print(
        f"database {_size(info.size_bytes)}; {len(run.timings)} queries, {PER_PAGE} per page; "
        f"load average {run.load_average[0]:.1f} on {os.cpu_count()} CPUs"
        + (f"; variants: {', '.join(run.variants)}" if run.variants else "")
    )
    print()
    print(f"{'':30} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  (ms)")
    rows = (
        ("service: services.search", service),
        ("  of which page + count SQL", engine_only),
        ("floor: bare FTS, LIMIT 48", floor),
    )
    for label, values in rows:
        print(
            f"{label:30} {_ms(_pct(values, 50))} {_ms(_pct(values, 95))} "
            f"{_ms(_pct(values, 99))} {_ms(max(values))}"
        )
    print()
    print(f"p95 < {TARGET_P95_MS:.0f} ms:            {'PASS' if fast else 'FAIL'} ({p95:.1f} ms)")
    print(
        f"p95 <= {TARGET_RATIO:.0f}x floor p95:    {'PASS' if close else 'FAIL'} "
        f"({ratio:.1f}x: {p95:.1f} ms / {floor95:.2f} ms)"
    )
    print()
    print(
        f"{'by kind':22} {'n':>4} {'p50':>8} {'p95':>8} {'max':>8} {'floor95':>8} {'ratio':>6}"
        f"  {'matches p50':>11}  mean ms: page / count / load / vocab. / rest"
    )
    kinds = list(MIX) + list(EXTRAS)
    by_kind: dict[str, list[Timing]] = defaultdict(list)
    for timing in run.timings + run.extras:
        by_kind[timing.query.kind].append(timing)
    ranked = sorted(kinds, key=lambda k: -_pct([t.service_ms for t in by_kind[k]], 95))
    for kind in ranked:
        timings = by_kind[kind]
        if not timings:
            continue
        values = [t.service_ms for t in timings]
        floors = [t.floor_ms for t in timings if t.floor_ms is not None]
        kind_ratio = _pct(values, 95) / _pct(floors, 95)
        matches = int(np.median([t.total for t in timings]))
        capped = "+" if any(not t.total_exact for t in timings) else ""
        means = " / ".join(
            f"{np.mean([t.phases.get(p, 0.0) for t in timings]):.1f}"
            for p in ("page", "count", "load", "vocabulary")
        )
        means += f" / {np.mean([t.service_ms - sum(t.phases.values()) for t in timings]):.1f}"
        extra = " (extra)" if kind in EXTRAS else ""
        print(
            f"{kind + extra:22} {len(timings):4} {_ms(_pct(values, 50))} {_ms(_pct(values, 95))} "
            f"{_ms(max(values))} {_ms(_pct(floors, 95))} {kind_ratio:5.1f}x  "
            f"{matches:>10,}{capped or ' '}  {means}"
        )
    print()
    print("slowest queries:")
    for timing in sorted(run.timings + run.extras, key=lambda t: -t.service_ms)[:8]:
        phases = ", ".join(f"{k} {v:.1f}" for k, v in timing.phases.items() if v >= 0.05)
        floor_text = f"{timing.floor_ms:.2f}" if timing.floor_ms is not None else "-"
        print(
            f"  {timing.service_ms:7.1f} ms  {timing.query.kind:18} {timing.query.label():50} "
            f"total {timing.total:,}{'' if timing.total_exact else '+'}; floor {floor_text}; "
            f"{phases}"
        )
    return fast and close


# --- main -----------------------------------------------------------------------------------


@contextmanager
def _workspace(args: argparse.Namespace) -> Iterator[Path]:
    if args.reuse:
        folder = Path(args.reuse).resolve()
        folder.mkdir(parents=True, exist_ok=True)
        yield folder
        return
    folder = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        yield folder
    finally:
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=WARMUP)
    parser.add_argument("--contributors", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    parser.add_argument("--reuse", metavar="DIR", help="keep catalogues in DIR, reuse them")
    parser.add_argument("--explain", action="store_true", help="print the slowest plans")
    parser.add_argument("--variant", action="append", default=[], choices=sorted(VARIANTS))
    parser.add_argument("--rank-cap", type=int, help="try another RANK_CAP (engines.py)")
    parser.add_argument("--json", metavar="FILE", help="write every timing to FILE")
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    unknown = set(engines) - set(ENGINE_NAMES)
    if unknown:
        parser.error(f"unknown engines: {', '.join(sorted(unknown))}")

    runs: list[EngineRun] = []
    to_drop: list[str] = []
    with _workspace(args) as folder:
        try:
            for engine in engines:
                prepared = prepare(engine, args, folder)
                if prepared.database and not (args.keep or args.reuse):
                    to_drop.append(prepared.database)
                prepared.info.size_bytes = database_size(prepared.url)
                runs.append(measure(engine, prepared, args, folder))
        finally:
            for database in to_drop:
                _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            if args.keep and not args.reuse:
                for run in runs:
                    print(f"Kept {run.info.database_url}")
    passed = [report(run) for run in runs]
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "engine": run.version,
                        "timings": [
                            {
                                "kind": t.query.kind,
                                "query": t.query.label(),
                                "service_ms": t.service_ms,
                                "floor_ms": t.floor_ms,
                                "total": t.total,
                                "phases": t.phases,
                            }
                            for t in run.timings + run.extras
                        ],
                    }
                    for run in runs
                ],
                indent=1,
            )
        )
    return 0 if all(passed) else 1


if __name__ == "__main__":
    sys.exit(main())
