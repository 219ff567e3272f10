"""``bench.payments``, the setup: a throwaway database with a catalogue, buyers and orders, and
the Stripe emulator with a confirmed PaymentIntent per order (see ``bench/payments.py``)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from tests.fixtures.payments import (  # noqa: E402
    GOOD_CARD,
)
from tests.fixtures.stripe_emulator import TEST_SECRET_KEY  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "MARKETPLACE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BOOT_TIMEOUT_S = 90.0
ORDERS_PER_TRANSACTION = 500
STRIPE_THREADS = 4
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
    ``_setup_shortcuts``); ``on_batch`` gets each transaction's orders once committed.

    No buyer orders the same work twice: a licence its buyer holds already is refunded when
    paid, not sold again (one standing licence per buyer and work, issue 12), and this
    benchmark measures payments, so every order must be one that pays."""
    from marketplace.accounts.models import User
    from marketplace.assets.models import Asset
    from marketplace.extensions import db
    from marketplace.orders import services as orders
    from marketplace.pricing import offered_sizes

    rng = np.random.default_rng([seed, 31])
    app = _app(url, folder)
    created: list[OrderRow] = []
    bought: set[tuple[int, int]] = set()
    with app.app_context(), _setup_shortcuts() as terms:
        session = db.session()
        for first in range(0, count, ORDERS_PER_TRANSACTION):
            n = min(ORDERS_PER_TRANSACTION, count - first)
            sizes = rng.integers(1, 4, n).tolist()
            picks = [[int(a) for a in rng.choice(asset_ids, size, replace=False)] for size in sizes]
            buyers = rng.choice(buyer_ids, n).tolist()
            for index, (buyer, pick) in enumerate(zip(buyers, picks, strict=True)):
                while any((buyer, asset_id) in bought for asset_id in pick):
                    pick = [int(a) for a in rng.choice(asset_ids, len(pick), replace=False)]
                picks[index] = pick
                bought.update((buyer, asset_id) for asset_id in pick)
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
    # stripe_emulator --in-memory, with localstripe's lists made O(1): see there.
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
