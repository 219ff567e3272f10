"""Buyers under mixed load: the same offered load with and without a worker rendering uploads.

    python -m bench.mixed                        # 60 s a phase: about 4 minutes in all
    python -m bench.mixed --seconds 10 --rate 10 # a quick check that it works

On the production profile (PostgreSQL, Redis, gunicorn with ``gunicorn.conf.py``, a real
Celery worker on the Procfile's ``celery,photos`` queues, the Stripe emulator), it offers buyers
at a fixed rate (API search, search pages, asset pages and purchases with their webhooks; see
``bench/mixed_load.py``) for one phase while the worker is idle, then for a second phase while a
member uploads large photos one after another and the worker renders them. It prints p50/p99
and failures per route and the throughput of each phase, the CPU seconds the web, the worker
and PostgreSQL used, and one PASS or FAIL line for the target of issue 18: with uploads
running, API search p99 under 100 ms and no request failed.

It needs the machine's PostgreSQL (``MARKETPLACE_TEST_PG``, as the services tests) and Redis
(``--redis-url``); it makes its own database and drops it at the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench import mixed_load as load  # noqa: E402
from bench import mixed_stack as stack  # noqa: E402
from bench.payments_setup import free_port, start_emulator, wait_for_port  # noqa: E402
from bench.payments_stack import drop_redis_keys, stop  # noqa: E402

TARGET_P99_MS = 100.0


def _cpu_seconds(root_pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds (user + system) of each named process tree, and of PostgreSQL."""
    ticks = os.sysconf("SC_CLK_TCK")
    table: dict[int, tuple[int, float, str]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / ticks, name)
    totals = dict.fromkeys([*root_pids, "PostgreSQL"], 0.0)
    for pid, (_, seconds, name) in table.items():
        if name.startswith("postgres"):
            totals["PostgreSQL"] += seconds
            continue
        ancestor = pid
        while ancestor in table:
            group = next((g for g, root in root_pids.items() if root == ancestor), None)
            if group is not None:
                totals[group] += seconds
                break
            ancestor = table[ancestor][0]
    return totals


def _phase(
    name: str, shop: load.Shop, tokens: list[str], args: argparse.Namespace, roots: dict[str, int]
) -> dict[str, Any]:
    before = _cpu_seconds(roots)
    samples, elapsed = load.offer_load(
        shop, tokens, args.rate, args.seconds, seed=hash(name) % 1000
    )
    after = _cpu_seconds(roots)
    requests = sum(len(v) for v in samples.latencies.values())
    return {
        "name": name,
        "routes": load.summary(samples),
        "throughput": requests / elapsed,
        "elapsed": elapsed,
        "cpu": {group: after[group] - before[group] for group in after},
    }


def _print_phase(phase: dict[str, Any]) -> None:
    print(f"\n{phase['name']}: {phase['throughput']:.1f} requests/s over {phase['elapsed']:.0f} s")
    print(f"  {'route':<12} {'count':>6} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}")
    for route, row in phase["routes"].items():
        print(
            f"  {route:<12} {row['count']:>6} {row['p50_ms']:>8.1f} {row['p99_ms']:>8.1f}"
            f" {row['failures']:>7}"
        )
        if row["first_failure"]:
            print(f"    first failure: {row['first_failure']}")
    cpu = ", ".join(f"{group} {seconds:.1f}" for group, seconds in phase["cpu"].items())
    print(f"  CPU seconds: {cpu}")


def _verdict(quiet: dict[str, Any], busy: dict[str, Any]) -> bool:
    p99 = busy["routes"].get("api_search", {}).get("p99_ms", float("inf"))
    failed = sum(row["failures"] for phase in (quiet, busy) for row in phase["routes"].values())
    passed = p99 < TARGET_P99_MS and failed == 0
    print(
        f"\n{'PASS' if passed else 'FAIL'} issue 18: with uploads running, API search p99 "
        f"{p99:.1f} ms (target < {TARGET_P99_MS:.0f} ms); {failed} requests failed (target 0)"
    )
    return passed


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rate", type=float, default=30.0, help="buyer arrivals a second (README: per web process)"
    )
    parser.add_argument("--seconds", type=float, default=60.0, help="length of each phase")
    parser.add_argument("--assets", type=int, default=3000, help="published works")
    parser.add_argument("--buyers", type=int, default=20)
    parser.add_argument("--web-processes", type=int, default=3, help="WEB_CONCURRENCY")
    parser.add_argument("--web-threads", type=int, default=8, help="WEB_THREADS")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="WORKER_CONCURRENCY")
    parser.add_argument("--worker-nice", type=int, default=10, help="0 to run it unniced")
    parser.add_argument("--megapixels", type=int, default=24, help="size of each upload")
    parser.add_argument("--upload-gap", type=float, default=0.5, help="seconds between uploads")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("MARKETPLACE_TEST_REDIS", "redis://127.0.0.1:6379/14"),
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)

    folder = Path(tempfile.mkdtemp(prefix="bench-mixed-"))
    name, url = stack.create_database()
    env = stack.bench_env(folder, url, args.redis_url, "")
    processes = []
    print(f"bench.mixed: {folder} (logs), database {name}", flush=True)
    try:
        emulator_port = free_port()
        emulator = start_emulator(folder, emulator_port)
        processes.append(emulator)
        wait_for_port(emulator, emulator_port, "the Stripe emulator")
        env = stack.bench_env(folder, url, args.redis_url, f"http://127.0.0.1:{emulator_port}")
        stack.migrate(env)
        seeded = stack.seed(env, args.assets, args.buyers)
        photo = load.large_photo(args.megapixels)
        print(
            f"  {args.assets} works, {args.buyers} buyers, uploads of {len(photo) / 1e6:.1f} MB "
            f"({args.megapixels} MP); web {args.web_processes} x {args.web_threads} threads, "
            f"worker {args.worker_concurrency} at nice {args.worker_nice}",
            flush=True,
        )
        web, port = stack.start_web(folder, env, args.web_processes, args.web_threads)
        processes.append(web)
        worker = stack.start_worker(folder, env, args.worker_concurrency, args.worker_nice)
        processes.append(worker)
        shop = load.Shop(port, f"http://127.0.0.1:{emulator_port}", seeded["titles"])
        tokens = [shop.token(email, stack.TEST_PASSWORD) for email in seeded["buyers"]]
        member_token = shop.token(seeded["member"], stack.TEST_PASSWORD)
        roots = {"web": web.pid, "worker": worker.pid}

        load.offer_load(shop, tokens, args.rate, min(10.0, args.seconds / 3), seed=1)  # warm-up
        quiet = _phase("without uploads", shop, tokens, args, roots)
        _print_phase(quiet)

        uploader = load.Uploader(shop, member_token, photo, args.upload_gap)
        started_at = datetime.now(UTC)
        uploader.start()
        time.sleep(5)  # the first uploads are in the worker's hands
        busy = _phase("with uploads", shop, tokens, args, roots)
        uploader.stop_event.set()
        uploader.join(timeout=300)
        _print_phase(busy)
        done, waiting = stack.processed_since(url, started_at)
        ok = sum(1 for status, _ in uploader.results if status == 202)
        print(
            f"  uploads: {len(uploader.results)} sent, {ok} accepted, {done} rendered by the "
            f"worker during the phase, {waiting} still waiting"
        )
        passed = _verdict(quiet, busy)
        if done == 0:
            print("FAIL the worker rendered no upload: the second phase was not a busy one")
            passed = False
        return 0 if passed else 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    finally:
        for process in reversed(processes):
            stop(process)
        stack.drop_database(name)
        drop_redis_keys(args.redis_url, env["MARKETPLACE_PAGE_CACHE_PREFIX"].rstrip(":"))
        stack.drop_queues(args.redis_url)


if __name__ == "__main__":
    raise SystemExit(main())
