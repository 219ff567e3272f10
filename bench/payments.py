"""How many Stripe payments per second go from webhook to paid order, next to a no-op task.

Run from the repository root: ``.venv/bin/python -m bench.payments`` (``--events N``, default
10,000; ``--events 1000 --assets 5000`` to try it out in under a minute). It needs PostgreSQL
(``MARKETPLACE_BENCH_PG``, default ``postgresql://postgres@127.0.0.1:5432/postgres``), Redis
(``--redis-url``, default database 14; only keys with the run's random name are written, and
deleted at the end) and gunicorn; a full run takes about 3 minutes on the project's 2-core
machine, most of it making the orders and their PaymentIntents.

1. Setup, untimed. A throwaway PostgreSQL database (random name; dropped at the end unless
   ``--keep``), migrated and filled by ``bench.catalogue.generate_catalogue`` (``--assets``
   20,000 published assets by ``--contributors`` 1,000 members), and ``--buyers`` 1,000 buyers.
   ``--events`` orders of 1-3 items each (random assets, licence and offered size), priced and
   checked by the service layer (``orders.services._new_order``, the body of ``create_order``,
   500 orders to a transaction). For each order, while the next ones are made, a confirmed card
   PaymentIntent in the Stripe emulator, with the parameters ``orders.services.pay`` sends (the
   order's total, ``metadata[order_id]``, its idempotency key); the order records it as ``pay``
   does. The emulator is ``stripe_emulator --in-memory`` started through
   ``bench.payments_emulator``, which also indexes localstripe's lists: without both, each
   request costs the emulator time in proportion to everything stored (see there), and at
   10,000 payments the emulator, not the app, would set the pace. Each order's
   ``payment_intent.succeeded`` event carries the PaymentIntent as the emulator returned it.
2. The production-like stack, as in ``tests/fixtures/services.py`` (``MARKETPLACE_ENV=test``,
   PostgreSQL, Redis as the broker, the emulator as Stripe; emails to the console backend, which
   the worker's WARNING log level leaves unwritten): gunicorn with ``--web-workers`` sync
   workers serving ``marketplace:create_app()`` (no access log; sync workers close the
   connection after each answer), and one Celery worker, prefork, with ``--workers`` 2 pool
   processes (the Procfile's layout), on a queue of its own
   (``MARKETPLACE_FLASK_CELERY__task_default_queue``). The worker also imports
   ``bench.payments_tasks``, which holds the no-op task.
3. The floor: ``--events`` no-op tasks (``bench.noop``: one Redis INCR, to count them) on the
   same broker and queue, timed from putting them there until the counter reaches N. They are
   put there at once: one message sent by Celery, copied with fresh ids, pushed in one Redis
   pipeline (sending 10,000 through Celery from here takes about as long as the workers take to
   run them). Measured before and after the payments (the machine's speed drifts, and other
   work runs on it); the share is taken of the mean of the two.
4. The payments: 5 more per client, untimed, warm the stack up (every web worker connected to
   the database and the broker, every pool process past its first payment); then every event is
   posted, signed with the webhook secret at send time, to ``POST /webhooks/stripe`` by
   ``--clients`` threads (one per web worker; ``--web-workers`` is 2 x cores + 1 by default,
   gunicorn's advice), each request timed: as fast as the answers come (a closed loop that keeps
   every web worker busy; with more clients than web workers, the latency measured is mostly the
   wait for a free one, about (clients - workers) / rate, not the endpoint's), or ``--rate``
   events per second, spread evenly. The web app verifies, stores the event (one INSERT) and,
   unless a settling task is queued already, queues ``payments.process_event``
   (``marketplace.payments.wakeups``); a worker settles the pending events in batches
   (``marketplace.payments.batch``): it reads each PaymentIntent from the emulator, pays the
   orders (ledger entries, one licence per item, ``times_licensed``) and queues their emails
   (``payments.send_receipts``, one task per batch). Events/s end to end = N / (first post until
   the last event's ``processed_at``).

It prints the floor's tasks/s, the payments' events/s and their share of the floor, and the
webhook's latency (p50, p95, p99, max, the slowest and when they were sent); the CPU time each
part of the stack used per no-op task and per payment (from /proc: gunicorn and the Celery
worker with all their processes, this database's PostgreSQL backends, the emulator, this
process), and the rate at which the machine's CPUs would run out; then checks the books:
every event processed, every order paid, the trial balance balanced, exactly one sale entry per
order and one licence per item. Targets (from the issue): events/s at least 30 % of the floor's
tasks/s, webhook p99 under 50 ms; the exit status is 1 when one is missed or a check fails.

``--profile`` runs cProfile (CPU time) in the worker's pool processes (``BENCH_PROFILE_DIR``,
see ``bench/payments_tasks.py``) and prints where the payment tasks spend it; the profiler slows
them down, so the run's other figures are not comparable then.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import generate_catalogue  # noqa: E402
from bench.payments_measure import (  # noqa: E402
    Books,
    Floor,
    Run,
    check_books,
    measure_floor,
    post_events,
    warm_up,
)
from bench.payments_setup import (  # noqa: E402
    IntentMaker,
    OrderRow,
    _pg_admin,
    _pg_url,
    add_buyers,
    create_orders,
    free_port,
    record_intents,
    start_emulator,
    wait_for_port,
)
from bench.payments_stack import (  # noqa: E402
    GROUPS,
    WEB_WORKERS,
    CpuMeter,
    cpu_between,
    drop_redis_keys,
    queue_length,
    settle,
    stack_env,
    start_web,
    start_worker,
    stop,
    wait_until_consuming,
    wait_until_serving,
)
from tests.fixtures.payments import (  # noqa: E402
    stripe_event,
)

# Re-exported: bench/dividends_app.py starts its stack with these.
__all__ = [
    "drop_redis_keys",
    "free_port",
    "main",
    "queue_length",
    "stack_env",
    "start_emulator",
    "start_worker",
    "stop",
    "wait_for_port",
    "wait_until_consuming",
]

TARGET_SHARE = 0.30
TARGET_P99_MS = 50.0
WARM_UP_PER_CLIENT = 5


# --- profiling --------------------------------------------------------------------------------

# Where the payment tasks' CPU goes: functions, by file and name, and their cumulative time.
# The parts overlap where one calls another (indented: part of the line above).
PROFILE_PARTS = (
    ("payments.process_event (the tasks)", "marketplace/payments/services.py", "process_event"),
    ("  settle a batch (all of them)", "marketplace/payments/batch.py", "settle_batch"),
    ("    lock the task's own event", "marketplace/payments/batch.py", "_lock_own_event"),
    ("    Stripe: read the PaymentIntent", "payments/stripe_gateway.py", "retrieve_payment_intent"),
    ("    pay the orders (_mark_paid)", "marketplace/payments/batch.py", "_mark_paid"),
    ("      ledger: post the sales", "marketplace/ledger/services.py", "post_many"),
    ("      licences: issue, one per item", "marketplace/licensing/issuing.py", "issue_many"),
    ("  one at a time (process_one)", "marketplace/payments/services.py", "process_one"),
    ("  commits (all of them)", "sqlalchemy/orm/session.py", "commit"),
    ("    Celery: send a task", "celery/app/base.py", "send_task"),
    ("payments.send_receipts (emails)", "marketplace/payments/receipts.py", "send_receipts"),
    ("SQL: psycopg execute (everywhere)", "psycopg/cursor.py", "execute"),
)


def print_profile(profile_dir: Path, events: int, limit: int = 25) -> None:
    files = sorted(str(p) for p in profile_dir.glob("worker-*.prof"))
    if not files:
        print("\n(no worker profile was written)")
        return
    stats = pstats.Stats(*files, stream=sys.stdout)
    entries: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_cc, _nc, tt, _ct, _callers) in entries.values())

    def cumulative(suffix: str, function: str) -> tuple[int, float]:
        found = [
            v for (f, _l, name), v in entries.items() if f.endswith(suffix) and name == function
        ]
        # Same-named functions of one file (Session.commit calls SessionTransaction.commit):
        # the outermost, the one with the most time.
        outermost: Any = max(found, key=lambda v: v[3], default=(0, 0, 0.0, 0.0, {}))
        return int(outermost[0]), float(outermost[3])

    print(
        f"\n== worker profile: CPU time of {events:,} payment events in {len(files)} pool "
        f"processes, {total:.1f} s (cProfile, which slows Python code down about 2x) =="
    )
    print(f"{'':42} {'calls':>8} {'CPU s':>8} {'share':>7} {'ms/event':>9}")
    for label, suffix, function in PROFILE_PARTS:
        calls, seconds = cumulative(suffix, function)
        per_event = seconds * 1000 / events if events else 0.0
        print(f"{label:42} {calls:8,} {seconds:8.1f} {seconds / total:7.1%} {per_event:9.2f}")
    print()
    stats.sort_stats("cumulative").print_stats(limit)
    stats.sort_stats("tottime").print_stats(limit)


# --- the report -------------------------------------------------------------------------------


def _pct(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def report(
    args: argparse.Namespace,
    orders: list[OrderRow],
    floors: list[Floor],
    run: Run,
    books: Books,
    setup: dict[str, float],
    pg_version: str,
    cpu: dict[str, dict[str, float]],
) -> bool:
    floor_rate = sum(f.rate for f in floors) / len(floors)
    share = run.rate / floor_rate if floor_rate else 0.0
    latencies = run.latencies_ms
    p50, p95, p99 = (_pct(latencies, q) for q in (50, 95, 99))
    items = sum(o.items for o in orders)
    print()
    print(
        f"== {len(orders):,} payment_intent.succeeded events: {len(orders):,} orders, "
        f"{items:,} items (1-3 each), {args.assets:,} assets; PostgreSQL {pg_version} =="
    )
    pace = f"{args.rate:g} webhooks/s" if args.rate else "as fast as answered"
    print(
        f"gunicorn {args.web_workers} sync workers; Celery prefork, {args.workers} worker "
        "processes; "
        f"{args.clients} webhook client threads, {pace}; {WARM_UP_PER_CLIENT * args.clients} "
        f"more payments before, untimed; {os.cpu_count()} CPUs, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print("setup: " + ", ".join(f"{k} {v:.0f} s" for k, v in setup.items()))
    print()
    print(f"{'':38} {'count':>8} {'seconds':>8} {'per s':>8} {'of floor':>9}")
    for floor in floors:
        label = f"floor: no-op task ({'before' if floor is floors[0] else 'after'})"
        print(f"{label:38} {floor.tasks:8,} {floor.seconds:8.1f} {floor.rate:8.0f}")
    print(f"{'floor: mean of the two':38} {'':8} {'':8} {floor_rate:8.0f} {'100.0%':>9}")
    print(
        f"{'payments, end to end':38} {run.processed:8,} {run.seconds:8.1f} {run.rate:8.0f} "
        f"{share:9.1%}"
    )
    posted_rate = run.events / run.posted_seconds if run.posted_seconds else 0.0
    print(
        f"{'  of which posting the webhooks':38} {run.events:8,} {run.posted_seconds:8.1f} "
        f"{posted_rate:8.0f}"
    )
    print()
    print(
        f"webhook latency (ms): p50 {p50:.1f}, p95 {p95:.1f}, p99 {p99:.1f}, "
        f"max {max(latencies):.1f}; answers "
        + ", ".join(f"{status}: {count:,}" for status, count in sorted(run.statuses.items()))
    )
    print()
    cpus = os.cpu_count() or 1
    print(
        f"{'CPU ms per task or event':28}"
        + "".join(f"{name:>11}" for name in GROUPS)
        + f"{'total':>9}{'ceiling/s':>11}"
    )
    for label, used in cpu.items():
        count = run.events if label == "payment event" else args.events
        total = sum(used.values())
        ceiling = cpus * count / total if total else float("inf")
        print(
            f"{label:28}"
            + "".join(f"{used[name] * 1000 / count:11.2f}" for name in GROUPS)
            + f"{total * 1000 / count:9.2f}{ceiling:11.0f}"
        )
    print(
        f"(ceiling: {cpus} CPUs / total CPU per task, the rate if all of the machine did nothing "
        "else; bench = this process: the webhook clients, queueing the no-op tasks, polling)"
    )
    ceilings = {
        label: cpus * (run.events if label == "payment event" else args.events) / sum(used.values())
        for label, used in cpu.items()
        if sum(used.values())
    }
    noop_ceilings = [v for k, v in ceilings.items() if k.startswith("no-op")]
    if "payment event" in ceilings and noop_ceilings:
        noop_ceiling = sum(noop_ceilings) / len(noop_ceilings)
        print(
            f"on CPU alone, payments would reach {ceilings['payment event'] / noop_ceiling:.1%} "
            f"of the floor ({ceilings['payment event']:.0f} / {noop_ceiling:.0f} per s), whatever "
            "else the machine is doing"
        )
    print()
    slowest = sorted(range(len(latencies)), key=lambda i: -latencies[i])[:5]
    print(
        "slowest webhooks: "
        + ", ".join(f"{latencies[i]:.0f} ms at {run.sent_at[i]:.1f} s" for i in slowest)
    )
    print()
    ok_rate = share >= TARGET_SHARE and not run.timed_out
    ok_p99 = p99 < TARGET_P99_MS
    verdict = {True: "PASS", False: "FAIL"}
    print(
        f"Target: events/s >= {TARGET_SHARE:.0%} of the no-op floor: {verdict[ok_rate]} "
        f"({run.rate:.0f} / {floor_rate:.0f} = {share:.1%})"
    )
    print(f"Target: webhook p99 < {TARGET_P99_MS:.0f} ms: {verdict[ok_p99]} ({p99:.1f} ms)")
    answers_ok = run.statuses == {200: run.events}
    checks = [
        (f"webhook answers: all {run.events:,} 200", answers_ok),
        (
            f"events processed: {run.processed:,} of {run.events:,}, failed {run.failed:,}",
            run.processed == run.events and run.failed == 0,
        ),
        *books.checks(),
    ]
    print("Checks:")
    for label, ok in checks:
        print(f"  {'OK  ' if ok else 'FAIL'} {label}")
    passed = ok_rate and ok_p99 and all(ok for _, ok in checks)
    print(f"Result: {verdict[passed]}")
    return passed


# --- main -------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def _timed(setup: dict[str, float], name: str, step: Callable[[], Any]) -> Any:
    print(f"{name}...", flush=True)
    started = time.perf_counter()
    result = step()
    setup[name] = time.perf_counter() - started
    print(f"  {setup[name]:.1f} s", flush=True)
    return result


def _show_log(path: Path, lines: int = 40) -> None:
    if path.exists():
        sys.stderr.write(f"--- {path.name} (last {lines} lines) ---\n")
        sys.stderr.write("\n".join(path.read_text(errors="replace").splitlines()[-lines:]) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=10_000, help="events (= orders) to pay")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument(
        "--web-workers", type=int, default=WEB_WORKERS, help="gunicorn's sync workers"
    )
    parser.add_argument(
        "--clients",
        type=int,
        default=0,
        help="threads posting webhooks (default: one per web worker)",
    )
    parser.add_argument(
        "--rate", type=float, default=0.0, help="webhooks per second (default: as fast as answered)"
    )
    parser.add_argument("--assets", type=int, default=20_000)
    parser.add_argument("--contributors", type=int, default=1000)
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=float, default=1800, help="most seconds to wait")
    parser.add_argument("--keep", action="store_true", help="keep the database and the folder")
    parser.add_argument("--profile", action="store_true", help="cProfile the worker's tasks")
    args = parser.parse_args(argv)
    args.clients = args.clients or args.web_workers
    if args.events < 1 or args.workers < 1 or args.clients < 1 or args.web_workers < 1:
        parser.error("--events, --workers and --clients must be at least 1")
    signal.signal(signal.SIGTERM, _interrupt)

    folder = Path(tempfile.mkdtemp(prefix="bench-payments-"))
    token = f"bench-payments-{secrets.token_hex(4)}"
    database = token.replace("-", "_")
    url = _pg_url(database)
    queue = token
    profile_dir = folder / "profiles" if args.profile else None
    if profile_dir is not None:
        profile_dir.mkdir()
    processes: list[subprocess.Popen[bytes]] = []
    setup: dict[str, float] = {}
    passed = False
    try:
        _pg_admin(f'CREATE DATABASE "{database}"')
        print(f"Database {database}; folder {folder}", flush=True)
        stripe_port = free_port()
        emulator = start_emulator(folder, stripe_port)
        processes.append(emulator)
        info = _timed(
            setup,
            f"catalogue ({args.assets:,} assets)",
            lambda: generate_catalogue(url, args.assets, args.contributors, args.seed),
        )
        buyers = add_buyers(url, args.buyers)
        assets = range(info.first_asset_id, info.last_asset_id + 1)
        wait_for_port(emulator, stripe_port, "the Stripe emulator")
        stripe_base = f"http://127.0.0.1:{stripe_port}"
        # The web app and the worker boot while the orders are made.
        env = stack_env(folder, url, args.redis_url, queue, stripe_base, profile_dir)
        web_port = free_port()
        web = start_web(folder, env, web_port, args.web_workers)
        processes.append(web)
        worker = start_worker(folder, env, queue, args.workers)
        processes.append(worker)
        # Each transaction's orders get their PaymentIntents while the next ones are made.
        maker = IntentMaker(stripe_base)

        warm = WARM_UP_PER_CLIENT * args.clients

        def orders_and_intents() -> tuple[list[OrderRow], dict[int, dict[str, Any]]]:
            made = create_orders(
                url, folder, warm + args.events, buyers, assets, args.seed, on_batch=maker.submit
            )
            return made, maker.results()

        all_orders, intents = _timed(
            setup, f"{warm + args.events:,} orders and PaymentIntents", orders_and_intents
        )
        record_intents(url, intents)
        # Events in a random order (not the orders'); the first ones warm the stack up.
        rng = np.random.default_rng([args.seed, 32])
        shuffled = [all_orders[i] for i in rng.permutation(len(all_orders))]
        payloads = [
            json.dumps(stripe_event("payment_intent.succeeded", intents[o.id])).encode()
            for o in shuffled
        ]
        del intents
        orders = shuffled[warm:]
        wait_until_serving(web, web_port)
        wait_until_consuming(worker, args.redis_url, queue)

        print("Measuring", flush=True)
        meter = CpuMeter(url, {"web": web.pid, "worker": worker.pid, "emulator": emulator.pid})
        cpu: dict[str, dict[str, float]] = {}
        settle(meter)
        samples = [meter.sample()]
        floors = [measure_floor(args.redis_url, queue, args.events, "before")]
        samples.append(meter.sample())
        cpu["no-op task (before)"] = cpu_between(samples[-2], samples[-1])
        warm_up(web_port, payloads[:warm], args.clients, url)
        settle(meter)
        samples.append(meter.sample())
        run = post_events(web_port, payloads[warm:], args.clients, url, args.timeout, args.rate)
        print(
            f"  payments: {run.rate:,.0f} events/s ({run.processed:,} in {run.seconds:.1f} s)",
            flush=True,
        )
        # The emails the payments queued (their CPU is the payments'), then the second floor.
        deadline = time.monotonic() + 120
        while queue_length(args.redis_url, queue) and time.monotonic() < deadline:
            time.sleep(0.2)
        settle(meter)
        samples.append(meter.sample())
        cpu["payment event"] = cpu_between(samples[-2], samples[-1])
        floors.append(measure_floor(args.redis_url, queue, args.events, "after"))
        samples.append(meter.sample())
        cpu["no-op task (after)"] = cpu_between(samples[-2], samples[-1])
        meter.close()
        stop(web)
        stop(worker)  # pool processes write their profiles as they exit
        books = check_books(url, folder)
        with sa.create_engine(url).connect() as connection:
            pg_version = str(connection.execute(sa.text("SHOW server_version")).scalar())
        passed = report(args, orders, floors, run, books, setup, pg_version, cpu)
        if profile_dir is not None:
            print_profile(profile_dir, len(all_orders))
    except BaseException:
        for name in ("gunicorn.log", "worker.log", "stripe-emulator.log"):
            _show_log(folder / name)
        raise
    finally:
        for process in reversed(processes):
            stop(process)
        drop_redis_keys(args.redis_url, token)
        if args.keep:
            print(f"Kept {url} and {folder}")
        else:
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
