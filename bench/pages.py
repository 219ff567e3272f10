"""How many search and asset pages per second the app serves, next to a bare "hello" route.

Run from the repository root: ``.venv/bin/python -m bench.pages`` (``--rows N``, default
100,000; ``--caches memory,none``; ``--database-url URL`` for PostgreSQL). It needs ``wrk``
(``apt-get install -y wrk``) and gunicorn (in the project's dependencies); it installs neither
and says so when one is missing. A run takes about 2.5 minutes, one more with ``redis``.

1. A catalogue from ``bench.catalogue.generate_catalogue``: by default a SQLite file in a
   temporary folder, removed at the end. ``--database-url`` takes an empty database (filled
   here, then left as it is) or one this benchmark filled before (used as it is).
2. For each page cache setting in ``--caches`` (``memory``: each worker's own, as in the demo;
   ``redis``: shared, as in production, at ``--redis-url`` under a throwaway key prefix that
   is deleted at the end; ``none``: the baseline), gunicorn with 4 sync workers on a free port
   serves ``bench.pages_app``: the app from ``create_app()`` in the demo profile, plus
   ``GET /_bench/hello``, which answers "hello".
3. For each target, ``wrk`` with 2 threads and 32 connections warms up in 2 s slices until a
   slice has no cache miss (at most ``--warmup`` s, default 30), then runs 10 s with
   ``--latency``, cycling through the target's addresses with a Lua script that counts the
   ``X-Page-Cache`` headers:

   * hello: ``/_bench/hello``, first and again last (the machine's speed drifts; shares are
     taken of the mean of the two);
   * search, common word: ``/search?q=WORD`` for the 20 most common keywords (each in 30-93 %
     of assets);
   * search, filters: 24 searches for common words with kind, orientation, people and sort;
   * asset page: 50 published assets at their canonical addresses (``/assets/ID-SLUG``). The
     generated assets have no preview files; the page only links to them, and wrk fetches no
     images.

It prints requests/s, p50 and p99 latency, the share of answers that were cache hits, and
each target's requests/s as a share of hello's on the same server. The timed runs measure a
warm cache (an in-process cache misses each address once in each worker first); the ``none``
rows show what every miss costs. Target (from the issue): the search page serves at least
25 % of hello's requests/s, checked for both search targets under every setting but ``none``;
the exit status is 1 when one misses it.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import build_vocabulary, generate_catalogue  # noqa: E402

TARGET_SHARE = 0.25
WORKERS = 4
THREADS = 2
CONNECTIONS = 32
BOOT_TIMEOUT_S = 60.0
WARMUP_SLICE_S = 2
CACHES = ("memory", "redis", "none")
FILTERS = (
    "kind=photo&orientation=landscape",
    "kind=photo&people=no&sort=newest",
    "orientation=portrait&people=yes",
    "kind=video&sort=newest",
)


@dataclass
class Target:
    name: str
    paths: list[str]
    checked: bool  # held to the 25 % target


@dataclass
class Result:
    cache: str
    target: Target
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    hits: int
    misses: int
    not_ok: int  # answers other than 200
    socket_errors: int
    warmup_seconds: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def hit_share(self) -> float | None:
        seen = self.hits + self.misses
        return self.hits / seen if seen else None


# --- what to ask for --------------------------------------------------------------------------


def build_targets(database_url: str, seed: int, asset_pages: int) -> list[Target]:
    from marketplace.catalogue.pages import slugify

    words = build_vocabulary(seed=seed)[:20]
    common = [f"/search?q={word}" for word in words]
    filtered = [
        f"/search?q={word}&{FILTERS[i % len(FILTERS)]}" for i, word in enumerate(words[:8] * 3)
    ]
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            low, high = connection.execute(sa.text("SELECT min(id), max(id) FROM assets")).one()
            if low is None:
                raise SystemExit(f"{database_url} has no assets.")
            rng = np.random.default_rng([seed, 21])
            candidates = sorted({int(i) for i in rng.integers(low, high + 1, asset_pages * 3)})
            statement = sa.text(
                "SELECT id, title FROM assets WHERE id IN :ids AND status = 'published' "
                "AND withdrawn_at IS NULL ORDER BY id"
            ).bindparams(sa.bindparam("ids", expanding=True))
            rows = connection.execute(statement, {"ids": candidates}).all()
    finally:
        engine.dispose()
    chosen = [rows[int(i)] for i in rng.permutation(len(rows))[:asset_pages]]
    assets = [
        f"/assets/{i}-{slugify(title)}" if slugify(title) else f"/assets/{i}" for i, title in chosen
    ]
    return [
        Target("hello", ["/_bench/hello"], checked=False),
        Target("search, common word", common, checked=True),
        Target("search, filters", filtered, checked=True),
        Target("asset page", assets, checked=False),
    ]


def wrk_script(paths: list[str]) -> str:
    """Cycles through ``paths`` (each thread from its own place); counts X-Page-Cache."""
    listed = ",\n".join(f"  {json.dumps(p)}" for p in paths)
    return (
        textwrap.dedent(
            """\
        local paths = {
        %s
        }
        local threads = {}
        counter, hits, misses, not_ok = 0, 0, 0, 0

        function setup(thread)
          table.insert(threads, thread)
          thread:set("counter", #threads * 7919)
        end

        function request()
          counter = counter + 1
          return wrk.format("GET", paths[counter %% #paths + 1])
        end

        function response(status, headers, body)
          local cache = headers["X-Page-Cache"]
          if cache == "hit" then hits = hits + 1 elseif cache == "miss" then misses = misses + 1 end
          if status ~= 200 then not_ok = not_ok + 1 end
        end

        function done(summary, latency, requests)
          local h, m, n = 0, 0, 0
          for _, thread in ipairs(threads) do
            h = h + thread:get("hits")
            m = m + thread:get("misses")
            n = n + thread:get("not_ok")
          end
          local e = summary.errors
          io.write(string.format(
            'BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
            '"hits": %%d, "misses": %%d, "not_ok": %%d, "socket_errors": %%d}\\n',
            summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
            h, m, n, e.connect + e.read + e.write + e.timeout))
        end
        """
        )
        % listed
    )


def run_wrk(port: int, script: Path, seconds: int) -> dict[str, int]:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    figures: dict[str, int] = json.loads(line.removeprefix("BENCH "))
    return figures


# --- the server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(
    folder: Path, database_url: str, cache: str, redis_url: str, prefix: str
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MARKETPLACE_") and key not in ("REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        {
            "MARKETPLACE_ENV": "demo",
            "MARKETPLACE_SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": database_url,
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_PAGE_CACHE": cache,
            "MARKETPLACE_PAGE_CACHE_REDIS_URL": redis_url,
            "MARKETPLACE_PAGE_CACHE_PREFIX": prefix,
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def start_server(
    folder: Path, env: dict[str, str], port: int, gunicorn: str
) -> subprocess.Popen[bytes]:
    log = (folder / "gunicorn.log").open("ab")
    command = [gunicorn, "--workers", str(WORKERS), "--worker-class", "sync"]
    # No control socket: gunicorn would otherwise put one in ~/.gunicorn, outside the folder.
    command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "bench.pages_app:app"]
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def fetch(port: int, path: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            if fetch(port, "/_bench/hello") == (200, b"hello"):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not answer within a minute")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn's graceful stop: workers finish their request and exit
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: only the master and workers
        server.wait()


def check_pages(port: int, targets: list[Target]) -> None:
    """Each target's first address answers 200 (and search finds something) before timing."""
    for target in targets:
        status, body = fetch(port, target.paths[0])
        if status != 200:
            raise RuntimeError(f"{target.paths[0]} answered {status}")
        if target.name.startswith("search") and b"asset-grid" not in body:
            raise RuntimeError(f"{target.paths[0]} found nothing")


def warm_up(port: int, script: Path, most_seconds: int) -> int:
    """wrk in 2 s slices until a slice answers with no cache miss (or ``most_seconds``).

    An in-process cache has to see every address in every worker before it serves them all;
    a shared one once per address. Returns the seconds used.
    """
    used = 0
    while used < most_seconds:
        seconds = min(WARMUP_SLICE_S, most_seconds - used)
        figures = run_wrk(port, script, seconds)
        used += seconds
        # A slice in which no answer came back says nothing yet.
        if figures["requests"] and figures["misses"] == 0:
            break
    return used


def measure(
    cache: str, port: int, targets: list[Target], folder: Path, args: argparse.Namespace
) -> list[Result]:
    results = []
    # Hello first and last: the machine's speed drifts, and the share is taken of their mean.
    for number, target in enumerate([*targets, targets[0]]):
        script = folder / f"target-{number}.lua"
        script.write_text(wrk_script(target.paths))
        warmed = warm_up(port, script, args.warmup) if args.warmup else 0
        figures = run_wrk(port, script, args.duration)
        result = Result(
            cache,
            target,
            figures["requests"],
            figures["duration_us"] / 1e6,
            figures["p50_us"] / 1000,
            figures["p99_us"] / 1000,
            figures["hits"],
            figures["misses"],
            figures["not_ok"],
            figures["socket_errors"],
            warmed,
        )
        print(
            f"  {target.name:22} {result.rate:8.1f} req/s (after {warmed} s of warm-up)",
            flush=True,
        )
        results.append(result)
    return results


# --- the report -------------------------------------------------------------------------------


def report(results: list[Result], description: str) -> bool:
    print()
    print(f"== {description} ==")
    print(
        f"gunicorn {WORKERS} sync workers; wrk {THREADS} threads, {CONNECTIONS} connections, "
        f"{results[0].seconds:.0f} s per target; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print()
    print(
        f"{'cache':8} {'target':22} {'URLs':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'hits':>6} {'errors':>6} {'of hello':>9} {'warm s':>6}"
    )
    passed = True
    verdicts = []
    for cache in dict.fromkeys(r.cache for r in results):
        rows = [r for r in results if r.cache == cache]
        hellos = [r.rate for r in rows if r.target.name == "hello"]
        hello = sum(hellos) / len(hellos)
        for r in rows:
            share = r.rate / hello if hello else 0.0
            hits = "-" if r.hit_share is None else f"{r.hit_share:6.1%}"
            print(
                f"{cache:8} {r.target.name:22} {len(r.target.paths):5} {r.rate:9.1f} "
                f"{r.p50_ms:8.1f} {r.p99_ms:8.1f} {hits:>6} {r.not_ok + r.socket_errors:6} "
                f"{share:9.1%} {r.warmup_seconds:6}"
            )
            if r.target.checked and cache != "none":
                ok = share >= TARGET_SHARE and r.not_ok + r.socket_errors == 0
                passed = passed and ok
                verdicts.append(f"{cache}, {r.target.name}: {share:.1%} {'PASS' if ok else 'FAIL'}")
            elif r.target.checked:
                verdicts.append(f"{cache} (baseline), {r.target.name}: {share:.1%}")
    print()
    print(f"Target: search pages serve >= {TARGET_SHARE:.0%} of hello's requests/s")
    for verdict in verdicts:
        print(f"  {verdict}")
    print(f"Result: {'PASS' if passed else 'FAIL'}")
    return passed


# --- main -------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def find_tools() -> str:
    """gunicorn's path; exits with what to install when wrk or gunicorn is missing."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk: apt-get install -y wrk")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    found = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn")
    if found is None:
        missing.append("gunicorn: make install (or pip install -c constraints.txt -e .)")
    if missing:
        raise SystemExit("Missing, and not installed by this benchmark:\n  " + "\n  ".join(missing))
    return found or ""


def prepare_catalogue(args: argparse.Namespace, folder: Path) -> tuple[str, str]:
    """The database URL to serve, and a line describing it."""
    url = args.database_url or f"sqlite:///{folder / 'catalogue.sqlite'}"
    if args.database_url:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                assets = connection.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
        except sa.exc.DBAPIError:
            assets = 0  # no tables yet: an empty database
        finally:
            engine.dispose()
        if assets:
            print(f"Using the {assets:,} assets already in {url}", flush=True)
            return url, f"{assets:,} assets in {engine.dialect.name} (reused)"
    print(f"Generating {args.rows:,} assets in {url}", flush=True)
    info = generate_catalogue(url, args.rows, args.contributors, args.seed)
    print(f"  generated in {info.seconds:.0f} s", flush=True)
    return (
        info.database_url,
        f"{info.rows:,} assets, {info.contributors:,} contributors, {info.dialect}",
    )


def drop_redis_keys(redis_url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


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
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    caches = [c.strip() for c in args.caches.split(",") if c.strip()]
    if not caches or set(caches) - set(CACHES):
        parser.error(f"--caches takes a list of {', '.join(CACHES)}")
    gunicorn = find_tools()
    signal.signal(signal.SIGTERM, _interrupt)

    folder = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    prefix = f"bench-pages-{uuid.uuid4().hex[:8]}:"
    results: list[Result] = []
    try:
        url, description = prepare_catalogue(args, folder)
        targets = build_targets(url, args.seed, args.asset_pages)
        for cache in caches:
            port = free_port()
            env = server_env(folder, url, cache, args.redis_url, prefix)
            print(f"Page cache {cache}: gunicorn on port {port}", flush=True)
            server = start_server(folder, env, port, gunicorn)
            try:
                wait_until_serving(server, port)
                check_pages(port, targets)
                results += measure(cache, port, targets, folder, args)
            except BaseException:
                log = folder / "gunicorn.log"
                if log.exists():
                    sys.stderr.write("--- gunicorn log (last 40 lines) ---\n")
                    sys.stderr.write("\n".join(log.read_text(errors="replace").splitlines()[-40:]))
                raise
            finally:
                stop_server(server)
    finally:
        if "redis" in caches:
            drop_redis_keys(args.redis_url, prefix)
        if args.keep:
            print(f"Kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if report(results, description) else 1


if __name__ == "__main__":
    sys.exit(main())
