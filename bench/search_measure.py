"""Measuring one engine: an app on the catalogue, a warm cache, the timed queries, the plans.

``measure`` builds the app for the prepared catalogue, reads the catalogue into the operating
system's cache, warms up, then times every query of the mix and the extras with their floor;
``explain`` prints the plans of the page statements of the slowest query of each kind.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.catalogue import CatalogueInfo
from bench.search_catalogues import ENGINE_NAMES, Prepared
from bench.search_queries import PER_PAGE, build_queries
from bench.search_report import _size
from bench.search_timing import EngineRun, StatementTimer, Timing, _phase, _run_one


def _titles(count: int, seed: int, info: CatalogueInfo) -> list[str]:
    from marketplace.extensions import db

    rng = np.random.default_rng([seed, 12])
    ids = sorted({int(i) for i in rng.integers(info.first_asset_id, info.last_asset_id + 1, count)})
    statement = sa.text("SELECT id, title FROM assets WHERE id IN :ids ORDER BY id").bindparams(
        sa.bindparam("ids", expanding=True)
    )
    return [title for _id, title in db.session.execute(statement, {"ids": ids}).all()]


def _read_into_os_cache(url: str) -> str:
    """Read the catalogue's tables and indexes once, so that the timings are of the engine on
    a catalogue in memory, as a search service's would be, not of whatever other programs left
    in the page cache (a rare word's matches are all over the heap); returns what it read."""
    started = time.perf_counter()
    location = sa.engine.make_url(url)
    if location.get_backend_name() == "sqlite":
        path = Path(location.database or "")
        size = 0
        for part in sorted(path.parent.glob(path.name + "*")):
            with part.open("rb") as file:
                while chunk := file.read(1 << 20):
                    size += len(chunk)
        return f"{_size(size)} of SQLite files in {time.perf_counter() - started:.1f} s"
    import psycopg

    libpq_url = location.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq_url) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS pg_prewarm")
        # "read": through the operating system's cache; shared_buffers is smaller than this.
        blocks = connection.execute(
            "SELECT pg_prewarm('assets', 'read') + coalesce(sum(pg_prewarm(indexrelid::regclass,"
            " 'read')), 0) FROM pg_index WHERE indrelid = 'assets'::regclass"
        ).fetchone()
    size = int(blocks[0] if blocks else 0) * 8192
    seconds = time.perf_counter() - started
    return f"{_size(size)} of the assets table and its indexes in {seconds:.1f} s"


def _rank_cap() -> int:
    from marketplace.catalogue import engines

    return engines.RANK_CAP


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
        titles = _titles(400, args.seed, prepared.info)
        queries, extras = build_queries(prepared.info, titles, args.queries, args.seed)
        warmup, _ = build_queries(prepared.info, titles, args.warmup, args.seed + 1)
        db.session.remove()
        timer = StatementTimer(db.engine)
        undo.append(timer.wrap_vocabulary())
        run = EngineRun(
            engine,
            f"{ENGINE_NAMES[engine]} {version}",
            prepared.info,
            prepared.generated,
            rank_cap=_rank_cap(),
            load_before=os.getloadavg(),
        )
        # The floor runs on a connection of its own, straight through the driver.
        floor = db.engine.raw_connection()
        try:
            print(f"  read into the OS cache: {_read_into_os_cache(prepared.url)}", flush=True)
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
            if phase != "page":
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
