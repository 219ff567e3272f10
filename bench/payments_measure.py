"""``bench.payments``, the measurements: the no-op floor, the webhooks posted and timed until
every event is processed, and the books checked afterwards (see ``bench/payments.py``)."""

from __future__ import annotations

import http.client
import itertools
import json
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.payments_setup import BOOT_TIMEOUT_S, _app  # noqa: E402
from bench.payments_stack import MONITOR, _sender  # noqa: E402
from tests.fixtures.payments import (  # noqa: E402
    signature_header,
)

POLL_S = 0.05
WAIT_POLL_S = 0.5  # how often the payments' progress is read (the end comes from processed_at)
PROGRESS_S = 10.0


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
