"""The report of ``bench.pages``: each target's rate, latency, hits and share of hello's rate.

``report`` prints the table for every cache setting and says whether both search targets
serve at least ``TARGET_SHARE`` of hello's requests/s under every setting but ``none``.
"""

from __future__ import annotations

import os

from bench.pages_server import WORKERS
from bench.pages_wrk import CONNECTIONS, THREADS, Result

TARGET_SHARE = 0.25


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
