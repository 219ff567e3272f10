"""How many Stripe payments per second go from webhook to paid order, next to a no-op task.

Run from the repository root: ``.venv/bin/python -m bench.payments`` (``--events N``, default
10,000; ``--events 1000 --assets 5000`` to try it out in about 1.5 minutes). It needs PostgreSQL
(``MARKETPLACE_BENCH_PG``, default ``postgresql://postgres@127.0.0.1:5432/postgres``), Redis
(``--redis-url``, default database 14; only keys with the run's random name are written, and
deleted at the end) and gunicorn; a full run takes about 10-12 minutes on the project's 2-core
machine, most of it the payments themselves.

1. Setup, untimed. A throwaway PostgreSQL database (random name; dropped at the end unless
   ``--keep``), migrated and filled by ``bench.catalogue.generate_catalogue`` (``--assets``
   20,000 published assets by ``--contributors`` 1,000 members), and ``--buyers`` 1,000 buyers.
   ``--events`` orders of 1-3 items each (random assets, licence and offered size), priced and
   checked by the service layer (``orders.services._new_order``, the body of ``create_order``,
   500 orders to a transaction). For each order, while the next ones are made, a confirmed card
   PaymentIntent in the Stripe emulator, with the parameters ``orders.services.pay`` sends (the
   order's total, ``metadata[order_id]``, its idempotency key); the order records it as ``pay``
   does. The emulator is ``marketplace.stripe_emulator --in-memory`` started through
   ``bench.payments_emulator``, which also indexes localstripe's lists: without both, each
   request costs the emulator time in proportion to everything stored (see there), and at
   10,000 payments the emulator, not the app, would set the pace. Each order's
   ``payment_intent.succeeded`` event carries the PaymentIntent as the emulator returned it.
2. The production-like stack, as in ``tests/fixtures/services.py`` (``MARKETPLACE_ENV=test``,
   PostgreSQL, Redis as the broker, the emulator as Stripe; emails to the console backend,
   which the worker's WARNING log level leaves unwritten): gunicorn with 4 sync workers
   serving ``marketplace:create_app()`` (no access log; sync workers close the connection after
   each answer), and one Celery worker, prefork, with ``--workers`` 2 pool processes (the
   Procfile's layout), on a queue of its own (``MARKETPLACE_FLASK_CELERY__task_default_queue``).
   The worker also imports ``bench.payments_tasks``, which holds the no-op task.
3. The floor: ``--events`` no-op tasks (``bench.noop``: one Redis INCR, to count them) on the
   same broker and queue, timed from putting them there until the counter reaches N. They are
   put there at once: one message sent by Celery, copied with fresh ids, pushed in one Redis
   pipeline (sending 10,000 through Celery from here takes about as long as the workers take to
   run them). Measured before and after the payments (the machine's speed drifts, and other
   work runs on it); the share is taken of the mean of the two.
4. The payments: 5 more per client, untimed, warm the stack up (every web worker connected to
   the database and the broker, every pool process past its first payment); then every event
   is posted, signed with the webhook secret at send time, to ``POST /webhooks/stripe`` by
   ``--clients`` 8 threads, each request timed: as fast as the answers come (a closed loop,
   which keeps every web worker busy: the latency is then mostly the wait for one, about
   clients / rate), or ``--rate`` events per second, spread evenly. The web app verifies,
   stores the event and queues ``payments.process_event``; a worker reads the PaymentIntent
   from the emulator, pays the order (ledger entry, one licence per item, ``times_licensed``)
   and queues the order's email (``mail.send``, the second task of each payment). Events/s end
   to end = N / (first post until the last event's ``processed_at``).

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
import http.client
import itertools
import json
import os
import pstats
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import generate_catalogue  # noqa: E402
from tests.fixtures.payments import (  # noqa: E402
    GOOD_CARD,
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    signature_header,
    stripe_event,
)
from tests.fixtures.stripe_emulator import TEST_SECRET_KEY  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "MARKETPLACE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_SHARE = 0.30
TARGET_P99_MS = 50.0
WEB_WORKERS = 4
BOOT_TIMEOUT_S = 90.0
ORDERS_PER_TRANSACTION = 500
STRIPE_THREADS = 4
POLL_S = 0.05
WAIT_POLL_S = 0.5  # how often the payments' progress is read (the end comes from processed_at)
MONITOR = "bench-payments-monitor"  # application_name of this process's own connections
PROGRESS_S = 10.0
WARM_UP_PER_CLIENT = 5
LICENCES = ("standard", "standard", "standard", "extended")  # mostly standard, as people buy


# --- the database -----------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def _pg_url(name: str) -> str:
    base = sa.engine.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return base.render_as_string(hide_password=False)


def _app(url: str, folder: Path) -> Any:
    from marketplace import create_app

    return create_app(
        {
            "PROFILE": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance-setup"),
            "TASKS_INLINE": True,
        }
    )


def add_buyers(url: str, count: int) -> list[int]:
    """``count`` buyers (users who never sign in: their password hash matches nothing)."""
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    rows = [
        {
            "email": f"buyer{n:05d}@bench.example",
            "display_name": f"Buyer {n}",
            "password_hash": "!bench-buyer",
            "is_admin": False,
            "login_epoch": 0,
            "created_at": now,
        }
        for n in range(1, count + 1)
    ]
    users = sa.table("users", *(sa.column(c) for c in rows[0]))
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(users), rows)
            ids = connection.execute(
                sa.text("SELECT id FROM users WHERE email LIKE 'buyer%@bench.example' ORDER BY id")
            )
            return [int(i) for i in ids.scalars()]
    finally:
        engine.dispose()


@dataclass(frozen=True)
class OrderRow:
    id: int
    total_cents: int
    currency: str
    items: int


@contextmanager
def _setup_shortcuts() -> Iterator[dict[str, Any]]:
    """Two look-ups of the order service made cheap while the setup makes 10,000 orders in this
    process (the app under test runs in its own processes, which this does not touch): the
    terms of each licence kind are read once per transaction (clear the dict yielded after
    each), and the check that the buyer holds no licence covering the one bought is skipped
    (there is none yet)."""
    from marketplace.licensing import services as licensing

    terms: dict[str, Any] = {}
    real_terms, real_covering = licensing.current_terms, licensing.covering_licence

    def current_terms(session: Any, kind_code: str) -> Any:
        if kind_code not in terms:
            terms[kind_code] = real_terms(session, kind_code)
        return terms[kind_code]

    def covering_licence(*_: Any, **__: Any) -> None:
        return None

    licensing.current_terms = current_terms
    licensing.covering_licence = covering_licence
    try:
        yield terms
    finally:
        licensing.current_terms = real_terms
        licensing.covering_licence = real_covering


def create_orders(
    url: str,
    folder: Path,
    count: int,
    buyer_ids: list[int],
    asset_ids: range,
    seed: int,
    on_batch: Callable[[list[OrderRow]], None],
) -> list[OrderRow]:
    """``count`` pending orders of 1-3 items, priced by the service layer (see
    ``_setup_shortcuts``); ``on_batch`` gets each transaction's orders once committed."""
    from marketplace.accounts.models import User
    from marketplace.assets.models import Asset
    from marketplace.extensions import db
    from marketplace.orders import services as orders
    from marketplace.pricing import offered_sizes

    rng = np.random.default_rng([seed, 31])
    app = _app(url, folder)
    created: list[OrderRow] = []
    with app.app_context(), _setup_shortcuts() as terms:
        session = db.session()
        for first in range(0, count, ORDERS_PER_TRANSACTION):
            n = min(ORDERS_PER_TRANSACTION, count - first)
            sizes = rng.integers(1, 4, n).tolist()
            picks = [[int(a) for a in rng.choice(asset_ids, size, replace=False)] for size in sizes]
            buyers = rng.choice(buyer_ids, n).tolist()
            # Loaded once per transaction, so that the service's session.get finds them.
            needed = sorted({a for p in picks for a in p})
            assets = {
                a.id: a
                for a in session.execute(sa.select(Asset).where(Asset.id.in_(needed))).scalars()
            }
            users = {
                u.id: u
                for u in session.execute(sa.select(User).where(User.id.in_(set(buyers)))).scalars()
            }
            rows = []
            for buyer, pick in zip(buyers, picks, strict=True):
                requests = []
                for asset_id in pick:
                    asset = assets[asset_id]
                    offered = offered_sizes(asset.kind, asset.width, asset.height)
                    size = offered[int(rng.integers(len(offered)))].code
                    licence = LICENCES[int(rng.integers(len(LICENCES)))]
                    requests.append(orders.ItemRequest(asset_id, licence, size))
                # The body of create_order, many orders to a transaction (it is one each).
                order = orders._new_order(session, users[buyer], requests)
                rows.append(OrderRow(order.id, order.total_cents, order.currency, len(requests)))
            session.commit()
            session.expunge_all()
            terms.clear()
            on_batch(rows)
            created += rows
        db.session.remove()
        db.engine.dispose()
    return created


def record_intents(url: str, intents: dict[int, dict[str, Any]]) -> None:
    """What ``pay`` records on each order once Stripe has answered."""
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    statement = sa.text(
        "UPDATE orders SET payment_intent_id = :intent, payment_status = :status, "
        "payment_attempts = 1, payment_started_at = :now WHERE id = :id"
    )
    try:
        with engine.begin() as connection:
            connection.execute(
                statement,
                [
                    {"id": order_id, "intent": pi["id"], "status": pi["status"], "now": now}
                    for order_id, pi in intents.items()
                ],
            )
    finally:
        engine.dispose()


# --- the Stripe emulator ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_emulator(folder: Path, port: int) -> subprocess.Popen[bytes]:
    log = (folder / "stripe-emulator.log").open("ab")
    # marketplace.stripe_emulator --in-memory, with localstripe's lists made O(1): see there.
    command = [sys.executable, "-m", "bench.payments_emulator", "--port", str(port)]
    command += ["--state-dir", str(folder / "stripe"), "--in-memory"]
    return subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
        command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_for_port(process: subprocess.Popen[bytes], port: int, what: str) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} in time")


class IntentMaker:
    """A confirmed PaymentIntent per order, made as ``pay`` makes it, from a pool of threads.

    Straight HTTP to the emulator, as stripe-python would send it (form-encoded, the secret key,
    an idempotency key), without the library's objects: the setup spends its time in the
    emulator, and the event carries the PaymentIntent's JSON as the emulator answered it. Each
    thread pays with a card PaymentMethod of its own (a saved card, reused): the event and its
    processing never look at it.
    """

    def __init__(self, base_url: str) -> None:
        self.port = int(base_url.rsplit(":", 1)[1])
        self.local = threading.local()
        self.pool = ThreadPoolExecutor(STRIPE_THREADS, thread_name_prefix="stripe")
        self.futures: list[Future[tuple[int, dict[str, Any]]]] = []

    def submit(self, orders: list[OrderRow]) -> None:
        self.futures += [self.pool.submit(self._one, order) for order in orders]

    def results(self) -> dict[int, dict[str, Any]]:
        try:
            return dict(future.result() for future in self.futures)
        finally:
            self.pool.shutdown(cancel_futures=True)

    def _post(self, path: str, form: dict[str, str], headers: dict[str, str]) -> dict[str, Any]:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60
            )
        headers = {
            "Authorization": f"Bearer {TEST_SECRET_KEY}",
            "Content-Type": "application/x-www-form-urlencoded",
            **headers,
        }
        connection.request("POST", path, urllib.parse.urlencode(form), headers)
        response = connection.getresponse()
        answer: dict[str, Any] = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"POST {path} answered {response.status}: {answer}")
        return answer

    def _one(self, order: OrderRow) -> tuple[int, dict[str, Any]]:
        method = getattr(self.local, "method", None)
        if method is None:
            card = {"number": GOOD_CARD, "exp_month": "12", "exp_year": "2034", "cvc": "123"}
            form = {"type": "card", **{f"card[{k}]": v for k, v in card.items()}}
            method = self.local.method = self._post("/v1/payment_methods", form, {})["id"]
        intent = self._post(
            "/v1/payment_intents",
            {
                "amount": str(order.total_cents),
                "currency": order.currency.lower(),
                "payment_method": method,
                "payment_method_types[0]": "card",
                "confirm": "true",
                "metadata[order_id]": str(order.id),
            },
            {"Idempotency-Key": f"order-{order.id}-attempt-1"},
        )
        if intent["status"] != "succeeded":
            raise RuntimeError(f"PaymentIntent {intent['id']} is {intent['status']}")
        return order.id, intent


# --- the web app and the worker ---------------------------------------------------------------


def stack_env(
    folder: Path, url: str, redis_url: str, queue: str, stripe_base: str, profile_dir: Path | None
) -> dict[str, str]:
    """The environment of tests/fixtures/services.py, for gunicorn and Celery."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MARKETPLACE_", "STRIPE_", "BENCH_"))
        and key not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL")
    }
    env.update(
        {
            "MARKETPLACE_ENV": "test",
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "MARKETPLACE_FLASK_CELERY__task_default_queue": queue,
            "MARKETPLACE_FLASK_CELERY__worker_enable_remote_control": "false",
            "MARKETPLACE_MAIL_BACKEND": "console",
            "MARKETPLACE_BASE_URL": "http://localhost",
            "STRIPE_API_BASE": stripe_base,
            "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PYTHONPATH": str(ROOT),
        }
    )
    if profile_dir is not None:
        env["BENCH_PROFILE_DIR"] = str(profile_dir)
    return env


def find_gunicorn() -> str:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    found = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn")
    if found is None:
        raise SystemExit(
            "gunicorn is missing: make install (or pip install -c constraints.txt -e .)"
        )
    return found


def start_web(folder: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    log = (folder / "gunicorn.log").open("ab")
    command = [find_gunicorn(), "--workers", str(WEB_WORKERS), "--worker-class", "sync"]
    # No control socket: gunicorn would otherwise put one in ~/.gunicorn, outside the folder.
    command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "marketplace:create_app()"]
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not answer in time")


def start_worker(
    folder: Path, env: dict[str, str], queue: str, workers: int
) -> subprocess.Popen[bytes]:
    log = (folder / "worker.log").open("ab")
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker"]
    command += ["--pool=prefork", f"--concurrency={workers}", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    command += [f"--queues={queue}", "--include=bench.payments_tasks"]
    command += [f"--hostname=bench-payments-{os.getpid()}@%h"]
    return subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_until_consuming(worker: subprocess.Popen[bytes], redis_url: str, queue: str) -> None:
    """Until the worker has run a no-op task (at WARNING it logs nothing when it is ready)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    key = f"{queue}:ready"
    try:
        sender = _sender(redis_url, queue)
        sender.send_task("bench.noop", args=[key])
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not client.get(key):
            if worker.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with code {worker.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start in time")
            time.sleep(0.1)
    finally:
        client.close()


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM (gunicorn's and Celery's graceful stop), then its whole session killed."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only its own processes
        process.wait()


def _sender(redis_url: str, queue: str) -> Any:
    from celery import Celery

    app = Celery("bench-payments", broker=redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
    )
    return app


def queue_length(redis_url: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def drop_redis_keys(redis_url: str, token: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{token}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- CPU time, by process ---------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("web", "worker", "PostgreSQL", "emulator", "bench")


def _proc_table() -> dict[int, tuple[int, float]]:
    """Every process: pid -> (parent pid, CPU seconds used, user + system)."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = text[text.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return table


class CpuMeter:
    """CPU seconds used by each part of the stack: the web server and the worker (each with all
    its processes), this database's PostgreSQL backends, the emulator and this process."""

    def __init__(self, url: str, roots: dict[str, int]) -> None:
        import psycopg

        self.roots = roots
        self.connection = psycopg.connect(
            sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False),
            autocommit=True,
        )

    def sample(self) -> dict[str, float]:
        backends = {
            int(pid)
            for (pid,) in self.connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND application_name <> %s",
                (MONITOR,),
            )
        }
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (parent, _cpu) in table.items():
            children.setdefault(parent, []).append(pid)

        def tree(root: int) -> float:
            total, stack = 0.0, [root]
            while stack:
                pid = stack.pop()
                total += table.get(pid, (0, 0.0))[1]
                stack += children.get(pid, [])
            return total

        used = {name: tree(pid) for name, pid in self.roots.items()}
        used["PostgreSQL"] = sum(table.get(pid, (0, 0.0))[1] for pid in backends)
        used["bench"] = table.get(os.getpid(), (0, 0.0))[1]
        return used

    def close(self) -> None:
        self.connection.close()


def settle(meter: CpuMeter, most_seconds: float = 60.0) -> None:
    """Until the stack is idle (web, worker and their database under 5 % of a CPU for half a
    second): gunicorn's workers finish booting after the first answers, and the last tasks
    of a run may still be running when the queue is empty."""
    deadline = time.monotonic() + most_seconds
    before = meter.sample()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = meter.sample()
        busy = sum(after[k] - before[k] for k in ("web", "worker", "PostgreSQL"))
        if busy < 0.025:
            return
        before = after


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after.get(name, 0.0) - before.get(name, 0.0)) for name in GROUPS}


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Floor:
    tasks: int
    seconds: float
    send_seconds: float

    @property
    def rate(self) -> float:
        return self.tasks / self.seconds


def noop_messages(redis_url: str, queue: str, key: str, count: int) -> list[str]:
    """``count`` messages for ``bench.noop(key)`` as Celery puts them on the Redis queue.

    One is sent by Celery to a queue no worker reads, and copied with fresh ids: sending 10,000
    through Celery here takes as long as the workers take to run them, and the floor is the
    workers' pace, not this process's.
    """
    import redis

    scratch = f"{queue}:template"
    _sender(redis_url, scratch).send_task("bench.noop", args=[key])
    client = redis.Redis.from_url(redis_url)
    try:
        raw: Any = client.rpop(scratch)
        template = json.loads(raw or b"null")
    finally:
        client.close()
    if not isinstance(template, dict) or template["headers"].get("task") != "bench.noop":
        raise RuntimeError(f"unexpected Celery message: {template!r}")
    template["properties"]["delivery_info"]["routing_key"] = queue
    messages = []
    for _ in range(count):
        task_id = str(uuid.uuid4())
        template["headers"]["id"] = template["headers"]["root_id"] = task_id
        template["properties"]["correlation_id"] = task_id
        template["properties"]["delivery_tag"] = str(uuid.uuid4())
        messages.append(json.dumps(template))
    return messages


def measure_floor(redis_url: str, queue: str, count: int, label: str) -> Floor:
    """``count`` no-op tasks, put on the queue at once (one Redis pipeline, as kombu's LPUSH),
    timed until the last one is done (the counter they increment reaches ``count``)."""
    import redis

    key = f"{queue}:noop:{label}"
    messages = noop_messages(redis_url, queue, key, count)
    client = redis.Redis.from_url(redis_url)
    try:
        started = time.perf_counter()
        pipeline = client.pipeline(transaction=False)
        for first in range(0, count, 1000):
            pipeline.lpush(queue, *messages[first : first + 1000])
        pipeline.execute()
        sent = time.perf_counter()
        while int(client.get(key) or 0) < count:
            time.sleep(POLL_S / 5)
        finished = time.perf_counter()
    finally:
        client.close()
    floor = Floor(count, finished - started, sent - started)
    print(
        f"  floor ({label}): {floor.rate:,.0f} no-op tasks/s "
        f"({count:,} in {floor.seconds:.1f} s; all queued after {floor.send_seconds:.2f} s)",
        flush=True,
    )
    return floor


@dataclass
class Run:
    events: int
    started_wall: float  # time.time() of the first post
    posted_seconds: float  # first post to last answer
    finished_wall: float  # the last event's processed_at
    latencies_ms: list[float]
    sent_at: list[float]  # seconds after the first post
    statuses: dict[int, int]
    processed: int
    failed: int
    timed_out: bool
    progress: list[tuple[float, int, int]] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return self.finished_wall - self.started_wall

    @property
    def rate(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0


def _event_counts(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT status, count(*) FROM stripe_events "
                "WHERE status IN ('processed', 'failed') GROUP BY status"
            )
        ).all()
    counts: dict[str, int] = {str(status): int(n) for status, n in rows}
    return counts.get("processed", 0), counts.get("failed", 0)


def post_events(
    port: int, payloads: list[bytes], clients: int, url: str, timeout: float, rate: float
) -> Run:
    """Post every payload from ``clients`` threads; wait until every event is processed.

    ``rate``: events per second, spread evenly (each post waits for its turn); 0 posts as fast
    as the answers come back. Events processed before (the warm-up) are not counted.
    """
    n = len(payloads)
    latencies = [0.0] * n
    sent_at = [0.0] * n
    statuses = [0] * n
    turns = itertools.count()
    answered = itertools.count(1)
    done = [0]
    lock = threading.Lock()
    errors: list[BaseException] = []
    go = threading.Event()
    started = [0.0]

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        go.wait()
        try:
            while True:
                with lock:
                    i = next(turns)
                if i >= n:
                    return
                if rate:
                    wait = started[0] + i / rate - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                body = payloads[i]
                headers = {
                    "Content-Type": "application/json",
                    "Stripe-Signature": signature_header(body),
                }
                sent = time.perf_counter()
                try:
                    connection.request("POST", "/webhooks/stripe", body, headers)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    connection.close()  # once more, on a new connection
                    connection.request("POST", "/webhooks/stripe", body, headers)
                    response = connection.getresponse()
                    response.read()
                latencies[i] = (time.perf_counter() - sent) * 1000
                sent_at[i] = sent - started[0]
                statuses[i] = response.status
                with lock:
                    done[0] = next(answered)
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    # Not counted as the app's PostgreSQL time (CpuMeter leaves this connection out).
    engine = sa.create_engine(url, connect_args={"application_name": MONITOR})
    before = _event_counts(engine)
    threads = [threading.Thread(target=client, name=f"webhooks-{k}") for k in range(clients)]
    for thread in threads:
        thread.start()
    progress: list[tuple[float, int, int]] = []
    started_wall = time.time()
    started[0] = time.perf_counter()
    go.set()
    posted_seconds = 0.0
    last_print = started[0]
    timed_out = False
    try:
        while True:
            time.sleep(WAIT_POLL_S)
            now = time.perf_counter()
            alive = any(t.is_alive() for t in threads)
            if errors:
                raise RuntimeError(f"a webhook client failed: {errors[0]!r}")
            if not alive and not posted_seconds:
                posted_seconds = max(
                    s + lat / 1000 for s, lat in zip(sent_at, latencies, strict=True)
                )
                print(f"  all {n:,} events posted in {posted_seconds:.1f} s", flush=True)
            processed, failed = (a - b for a, b in zip(_event_counts(engine), before, strict=True))
            if now - last_print >= PROGRESS_S:
                last_print = now
                progress.append((now - started[0], done[0], processed))
                print(
                    f"  {now - started[0]:5.0f} s: {done[0]:,} posted, {processed:,} processed"
                    + (f", {failed:,} failed" if failed else ""),
                    flush=True,
                )
            if not alive and processed + failed >= n:
                break
            if now - started[0] > timeout:
                timed_out = True
                print(f"  timed out after {timeout:.0f} s", flush=True)
                break
        with engine.connect() as connection:
            last = connection.execute(
                sa.text("SELECT max(processed_at) FROM stripe_events WHERE status = 'processed'")
            ).scalar()
    finally:
        if errors or timed_out:
            with lock:  # the clients stop at their next turn
                for _ in range(n):
                    next(turns)
        for thread in threads:
            thread.join()
        engine.dispose()
    counts: dict[int, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return Run(
        events=n,
        started_wall=started_wall,
        posted_seconds=posted_seconds,
        finished_wall=last.timestamp() if last is not None else time.time(),
        latencies_ms=latencies,
        sent_at=sent_at,
        statuses=counts,
        processed=processed,
        failed=failed,
        timed_out=timed_out,
        progress=progress,
    )


def warm_up(port: int, payloads: list[bytes], clients: int, url: str) -> None:
    """Real payments, untimed, from every client at once, until the worker has processed them:
    each gunicorn worker has then connected to PostgreSQL and the broker, and each pool process
    has run its first payment (imports, connections, templates)."""

    def post(body: bytes) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            headers = {
                "Content-Type": "application/json",
                "Stripe-Signature": signature_header(body),
            }
            connection.request("POST", "/webhooks/stripe", body, headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    with ThreadPoolExecutor(clients) as pool:
        statuses = set(pool.map(post, payloads))
    if statuses != {200}:
        raise RuntimeError(f"warm-up webhooks answered {sorted(statuses)}")
    engine = sa.create_engine(url, connect_args={"application_name": MONITOR})
    try:
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while sum(_event_counts(engine)) < len(payloads):
            if time.monotonic() > deadline:
                raise RuntimeError("the warm-up payments were not processed in time")
            time.sleep(0.2)
    finally:
        engine.dispose()


# --- the books --------------------------------------------------------------------------------


@dataclass
class Books:
    orders: int
    paid: int
    items: int
    licences: int
    items_with_one_licence: int
    sale_entries: int
    orders_with_one_sale: int
    debits_cents: int
    credits_cents: int

    def checks(self) -> list[tuple[str, bool]]:
        return [
            (f"orders paid: {self.paid:,} of {self.orders:,}", self.paid == self.orders),
            (
                f"trial balance: debits {self.debits_cents / 100:,.2f} = credits "
                f"{self.credits_cents / 100:,.2f}",
                self.debits_cents == self.credits_cents and self.debits_cents > 0,
            ),
            (
                f"sale entries: {self.sale_entries:,}, orders with exactly one: "
                f"{self.orders_with_one_sale:,} of {self.orders:,}",
                self.sale_entries == self.orders == self.orders_with_one_sale,
            ),
            (
                f"licences: {self.licences:,} for {self.items:,} items, items with exactly one "
                f"(and it on the item): {self.items_with_one_licence:,}",
                self.licences == self.items == self.items_with_one_licence,
            ),
        ]


def check_books(url: str, folder: Path) -> Books:
    from marketplace.extensions import db
    from marketplace.ledger import services as ledger

    app = _app(url, folder)
    with app.app_context():
        session = db.session()

        def scalar(sql: str) -> int:
            return int(session.execute(sa.text(sql)).scalar() or 0)

        balance = ledger.trial_balance(session, app.config["CURRENCY"])
        books = Books(
            orders=scalar("SELECT count(*) FROM orders"),
            paid=scalar("SELECT count(*) FROM orders WHERE status = 'paid'"),
            items=scalar("SELECT count(*) FROM order_items"),
            licences=scalar("SELECT count(*) FROM licences"),
            items_with_one_licence=scalar(
                "SELECT count(*) FROM order_items i WHERE i.licence_id IS NOT NULL AND "
                "(SELECT count(*) FROM licences l WHERE l.order_item_id = i.id) = 1 AND "
                "EXISTS (SELECT 1 FROM licences l WHERE l.id = i.licence_id "
                "AND l.order_item_id = i.id AND l.order_id = i.order_id)"
            ),
            sale_entries=scalar("SELECT count(*) FROM journal_entries WHERE kind = 'sale'"),
            orders_with_one_sale=scalar(
                "SELECT count(*) FROM orders o WHERE (SELECT count(*) FROM journal_entries e "
                "WHERE e.order_id = o.id AND e.kind = 'sale') = 1"
            ),
            debits_cents=int(balance.total_debits_cents),
            credits_cents=int(balance.total_credits_cents),
        )
        db.session.remove()
        db.engine.dispose()
    return books


# --- profiling --------------------------------------------------------------------------------

# Where the payment tasks' CPU goes: functions, by file and name, and their cumulative time.
# The parts overlap where one calls another (indented: part of the line above).
PROFILE_PARTS = (
    ("payments.process_event (the task)", "marketplace/payments/services.py", "process_event"),
    ("  Stripe: read the PaymentIntent", "payments/stripe_gateway.py", "retrieve_payment_intent"),
    ("  lock the event / the order (lock_row)", "marketplace/database.py", "lock_row"),
    ("  pay the order (_mark_paid)", "marketplace/payments/services.py", "_mark_paid"),
    ("    ledger: post the sale", "marketplace/ledger/services.py", "post_sale"),
    ("    licences: issue, one per item", "marketplace/licensing/services.py", "issue"),
    ("    email: render it (queue_email)", "marketplace/mail.py", "queue_email"),
    ("  commits (all of them)", "sqlalchemy/orm/session.py", "commit"),
    ("    Celery: send the next task", "celery/app/base.py", "send_task"),
    ("mail.send (the order's email, a task)", "workers/tasks/mail.py", "send"),
    ("SQL: psycopg execute (everywhere)", "psycopg/cursor.py", "execute"),
)


def print_profile(profile_dir: Path, limit: int = 25) -> None:
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

    events, _ = cumulative("marketplace/payments/services.py", "process_event")
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
        f"gunicorn {WEB_WORKERS} sync workers; Celery prefork, {args.workers} worker processes; "
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
    parser.add_argument("--clients", type=int, default=8, help="threads posting webhooks")
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
    if args.events < 1 or args.workers < 1 or args.clients < 1:
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
        web = start_web(folder, env, web_port)
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
            print_profile(profile_dir)
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
