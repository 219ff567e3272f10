"""How many pages per second the app serves, anonymous and signed in, next to a bare "hello".

Run from the repository root: ``.venv/bin/python -m bench.pages`` (``--rows N``, default
100,000; ``--caches memory,none``; ``--database-url URL`` for PostgreSQL or a SQLite file to
reuse: a catalogue generated once, with sales from ``bench.dividends_sales.load_sales`` for the
admin lists, serves every later run). It needs ``wrk`` (``apt-get install -y wrk``) and
gunicorn (in the project's dependencies); it installs neither and says so when one is missing.

1. A catalogue from ``bench.catalogue.generate_catalogue``: by default a SQLite file in a
   temporary folder, removed at the end. ``--database-url`` takes an empty database (filled
   here, then left as it is) or one this benchmark filled before (used as it is).
   ``bench.pages_people`` adds a buyer (three works in the cart, three lightboxes) and an
   admin, takes the first contributor as the member, and prepares the related work of the
   sampled asset pages with the worker's own function (``related_store.refresh``), timed.
2. For each page cache setting in ``--caches`` (``memory``: each worker's own, as in the demo;
   ``redis``: shared, as in production, at ``--redis-url`` under a throwaway key prefix that
   is deleted at the end; ``none``: the baseline), gunicorn with 4 sync workers on a free port
   serves ``bench.pages_app``: the app from ``create_app()`` in the demo profile, plus
   ``GET /_bench/hello``, which answers "hello". The three people sign in through the login
   form; their cookies go with their targets.
3. For each target, ``wrk`` with 2 threads and 32 connections warms up in 2 s slices until a
   slice has no cache miss (at most ``--warmup`` s, default 30), then runs ``--duration`` s
   with ``--latency``, cycling through the target's addresses with a Lua script that counts
   the ``X-Page-Cache`` headers: hello first and last; a target judged by its share of hello
   runs in four slices, each followed by a slice of hello as long, and its share is its best
   slice over hello's best (``pages_wrk.interleaved``); search
   for the 20 most common keywords, and with filters; 50 asset pages; the search and asset
   pages as the buyer, the asset pages as the member, the home page as the buyer (each
   signed-in answer with the viewer's own parts rendered into the page kept for everyone).
   Then one connection (``--one-client-duration`` s each) loads the buyer's asset pages and
   the admin's dashboard and lists (orders, ledger journal and users at their last page, the
   curation queue), for their p95.

``bench.pages_report`` prints the table and one PASS or FAIL line per target of issues 14 and
15; the exit status is 1 when one fails. The parts: ``pages_catalogue`` (the catalogue and the
targets' addresses), ``pages_people`` (who signs in), ``pages_server`` (gunicorn),
``pages_wrk`` (the load and its figures) and ``pages_report`` (the table).
"""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.pages_catalogue import (  # noqa: E402
    Target,
    admin_targets,
    build_targets,
    catalogue_counts,
    prepare_catalogue,
)
from bench.pages_people import People, prepare_people, sign_in  # noqa: E402
from bench.pages_report import report  # noqa: E402
from bench.pages_server import (  # noqa: E402
    check_pages,
    find_tools,
    free_port,
    server_env,
    start_server,
    stop_server,
    wait_until_serving,
)
from bench.pages_wrk import Result, measure  # noqa: E402

CACHES = ("memory", "redis", "none")


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def drop_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def sign_everyone_in(port: int, people: People, targets: list[Target]) -> None:
    """Each signed-in target gets its person's cookie from this server (its own secret key)."""
    cookies = {role: sign_in(port, *login) for role, login in people.logins.items()}
    for target in targets:
        target.cookie = cookies.get(target.who, "")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--contributors", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--database-url", help="PostgreSQL (or SQLite) database to use")
    parser.add_argument("--caches", default="memory,none", help="of memory, redis, none")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--duration", type=int, default=10, help="seconds per target")
    parser.add_argument(
        "--warmup", type=int, default=30, help="most seconds of untimed warm-up per target"
    )
    parser.add_argument("--asset-pages", type=int, default=50)
    parser.add_argument(
        "--one-client-duration", type=int, default=5, help="seconds per one-client target"
    )
    parser.add_argument(
        "--sales",
        type=int,
        default=0,
        help="sales (order items) to load for the admin lists into a database without orders",
    )
    parser.add_argument(
        "--prepare-only",
        action="store_true",
        help="build (or complete) the catalogue, its sales and people, then stop",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    caches = [c.strip() for c in args.caches.split(",") if c.strip()]
    if not caches or set(caches) - set(CACHES):
        parser.error(f"--caches takes a list of {', '.join(CACHES)}")
    gunicorn = "" if args.prepare_only else find_tools()
    signal.signal(signal.SIGTERM, _interrupt)

    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    prefix = f"bench-pages-{uuid.uuid4().hex[:8]}:"
    results: list[Result] = []
    assets = 0
    try:
        url, description = prepare_catalogue(args, folder)
        assets = catalogue_counts(url)[0]  # the shares are judged at 100,000 assets
        targets = build_targets(url, args.seed, args.asset_pages)
        people = prepare_people(url, next(t for t in targets if t.name == "asset page").paths)
        print(
            f"Related work prepared by the worker's function for the sampled asset pages: "
            f"{people.related_ms_per_work:.0f} ms per work",
            flush=True,
        )
        if args.prepare_only:
            print(f"Prepared {description}: {url}", flush=True)
            return 0
        one_client = [t for t in targets if t.max_p95_ms is not None] + admin_targets(url)
        for cache in caches:
            port = free_port()
            env = server_env(folder, url, cache, args.redis_url, prefix)
            print(f"Page cache {cache}: gunicorn on port {port}", flush=True)
            server = start_server(folder, env, port, gunicorn)
            try:
                wait_until_serving(server, port)
                sign_everyone_in(port, people, [*targets, *one_client])
                check_pages(port, [*targets, *one_client])
                results += measure(cache, port, targets, folder, args)
                quick = argparse.Namespace(**{**vars(args), "duration": args.one_client_duration})
                results += measure(cache, port, one_client, folder, quick, connections=1)
            except BaseException:
                _show_server_log(folder, "last 40 lines", lambda line: True)
                raise
            else:
                if any(r.error_kinds.get("5xx") for r in results if r.cache == cache):
                    # A 5xx is logged by the app with its traceback: show them.
                    _show_server_errors(folder)
            finally:
                stop_server(server)
    finally:
        if "redis" in caches:
            drop_redis_keys(args.redis_url, prefix)
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if report(results, description, assets) else 1


def _show_server_log(folder: Path, what: str, wanted: Callable[[str], bool]) -> None:
    log = folder / "gunicorn.log"
    if log.exists():
        lines = [x for x in log.read_text(errors="replace").splitlines() if wanted(x)]
        sys.stderr.write(f"--- gunicorn log ({what}) ---\n" + "\n".join(lines[-40:]) + "\n")


def _show_server_errors(folder: Path) -> None:
    """Each ERROR line of the server's log with the lines after it (its traceback), up to the
    next line that starts with a date."""
    log = folder / "gunicorn.log"
    if not log.exists():
        return
    kept, in_error = [], False
    for line in log.read_text(errors="replace").splitlines():
        if line[:4].isdigit() or line.startswith(("[", "{")):  # a new record
            in_error = "ERROR" in line
        if in_error:
            kept.append(line)
    if kept:
        sys.stderr.write("--- gunicorn log (its errors) ---\n" + "\n".join(kept[-80:]) + "\n")


if __name__ == "__main__":
    sys.exit(main())
