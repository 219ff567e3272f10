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
* French words, one and two (``--french-share``, 20 % by default, of the catalogue is described
  in French: ``bench.catalogue_french``), a third in the plural and a fifth without accents;

after reading the catalogue into the operating system's cache (the SQLite files; on PostgreSQL
the assets table and its indexes, with pg_prewarm) and a warm-up: a search service's catalogue
is in memory, and a rare word's matches lie all over the heap. Next to each query it times the
floor: the bare full-text query for the same terms, unranked and unfiltered, ``LIMIT 48``
(SQLite: ``SELECT rowid FROM asset_search WHERE asset_search MATCH ?`` with each word in every
language's stemmed form, as the engine asks; PostgreSQL: ``SELECT id FROM assets WHERE
search_vector @@ CAST(? AS tsquery)`` with the engine's tsquery, the words parsed in each
language's configuration), straight through the driver on a connection of its own.

How the engines bound the work (marketplace/catalogue/engines.py, migration 0006): with
words, the candidates are the newest RANK_CAP + 1 matching uploads, which every sort orders
among themselves, and the total comes with the page in the same statement (``count(*) OVER
()`` over the candidates, exact up to RANK_CAP): there is no count query. The selective
filters (video, square, panoramic) are terms of the full-text index. PostgreSQL looks among
the newest WINDOW_ROWS ids first and searches the whole catalogue only when the planner
expects at most FULL_SCAN_MAX matches (else it extrapolates the total); relevance is
ts_rank_cd. SQLite's relevance is every word in the title or keywords first, then newest (not
bm25, which counts every document holding each term first); on SQLite people and portrait are
index terms too, the candidates' date and filter columns come from a partial index of their
own (migration 0017, named with INDEXED BY), and a query with a phrase ranks its newest
PHRASE_RANK_CAP matches (FTS5 reads word positions for phrases: 20-30 ms for 5,000 matches of
two common words). Without words, partial indexes.

A statement timer attributes the service's time to its statements: the page (the statement
over the subquery ``candidates``; on SQLite with the CTE ``newest``), PostgreSQL's window
(the newest id and the planner's estimate), loading the 48 assets and their releases, and the
vocabulary ("did you mean", broader searches: everything those run); the rest is Python
(building the queries, the ORM making 48 assets). Two extra kinds, timed but outside the
targets: browsing without words (newest first) and a misspelt word (no match, so "did you
mean" runs).

Targets, from the issue: p95 under 50 ms on both engines (the exit code: 1 when missed), and
within 2x of the floor's p95. Proposed instead of the second, which cannot be met while
loading 48 assets through the ORM and Python cost 10-25 ms on their own: p95 within the
floor's p95 + 25 ms. The report also gives the p95 without Python, the engine's SQL alone.

``--rank-cap N`` sets RANK_CAP (marketplace.catalogue.engines) for the run. ``--explain``
prints the plans of the page statements of the slowest query of each kind (EXPLAIN ANALYZE on
PostgreSQL, EXPLAIN QUERY PLAN on SQLite). ``--json FILE`` writes every timing.

The parts: ``search_catalogues`` (generating or reusing the catalogues), ``search_queries`` (the
mix), ``search_timing`` (the statement timer and one timed query), ``search_measure`` (one
engine's run and its plans) and ``search_report`` (the tables).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import database_size  # noqa: E402
from bench.search_catalogues import ENGINE_NAMES, _pg_admin, prepare  # noqa: E402
from bench.search_measure import measure  # noqa: E402
from bench.search_report import report  # noqa: E402
from bench.search_timing import EngineRun  # noqa: E402

WARMUP = 60
FRENCH_SHARE = 0.2


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
    parser.add_argument(
        "--french-share", type=float, default=FRENCH_SHARE, help="assets described in French"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="keep the databases at the end")
    parser.add_argument("--reuse", metavar="DIR", help="keep catalogues in DIR, reuse them")
    parser.add_argument("--explain", action="store_true", help="print the slowest plans")
    parser.add_argument("--rank-cap", type=int, help="set engines.RANK_CAP for the run")
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
