"""How long drafting a dividend run takes next to the bare GROUP BY, then paying it: transfers/s.

Run from the repository root: ``.venv/bin/python -m bench.dividends`` (``--members`` 10,000,
``--sales`` 1,000,000, ``--engines sqlite,postgresql``); ``--members 1000 --sales 50000
--assets 10000`` to try it out in a minute or two. ``--reuse DIR`` keeps the generated databases
(a SQLite file and a PostgreSQL database named after the parameters) and works on a copy of them
each time (``CREATE DATABASE ... TEMPLATE``, a file copy), so a second run skips the generation.
It needs PostgreSQL (``MARKETPLACE_BENCH_PG``, default
``postgresql://postgres@127.0.0.1:5432/postgres``) and, for paying, Redis (``--redis-url``,
default database 14: only keys with the run's random name are written, and deleted at the end).

1. Setup, untimed, per engine. ``bench.catalogue.generate_catalogue``: ``--members`` active
   artists and ``--assets`` published assets. Then ``--sales`` sales (order items) over the
   period (the 365 days up to yesterday, UTC), in orders of 1-3 items of random assets, paid
   at uniformly random times, with 2 % of the items refunded later in the period; each
   order's ``sale`` entry in the ledger exactly as ``ledger.core.sale_entry`` makes it (Dr 1100
   gross, Dr 5100 fee, Cr 1100 fee, Cr 2100 each member's royalty, Cr 4000 the co-op's part) and
   each refunded item's ``refund`` entry as ``refund_entry`` does (Dr 2100 royalty, Dr 4900 the
   co-op's part, Cr 1100 price). One entry per order, not one per day: the surplus query then
   reads as many ledger lines as production would (about 3 per item). Written without the ORM,
   ``COPY`` (PostgreSQL: secondary indexes dropped and rebuilt, the ledger's triggers skipped
   with ``session_replication_role = replica``, the books checked afterwards in SQL) or
   ``executemany`` (SQLite), then ``ANALYZE``.
2. The draft, timed: ``--repeat`` times (default 3), in turn, the floor, a raw ``SELECT
   member_id, SUM(price_cents) FROM order_items JOIN orders ... WHERE paid_at in the period
   GROUP BY member_id`` on the same rows, fetched; and ``dividends.services.draft_run`` (the
   real service in an app context, as the admin's form calls it: the surplus from the ledger,
   the patronage, the allocation of 10,000 members, the draft and its allocations written),
   then ``discard_draft`` but for the last. Best of each, their ratio against the 2x target,
   and the peak RSS of this process during a draft (``VmHWM``, reset before it).
3. Paying, PostgreSQL only (the production engine: SQLite has one writer, so two workers
   would take turns): ``--pay-members`` members (default all) get a connected account in the
   Stripe emulator (``bench.payments_emulator``: ``--in-memory``, lists indexed), made ready
   with the emulator's ``/_config`` state helper, and a ready ``payout_accounts`` row; the
   others have none, so their cash is held. A second admin approves the run (timed), a Celery
   worker (prefork, ``--workers`` 2, the Procfile's layout, on a queue of its own) starts, and
   ``pay_run`` queues one ``dividends.pay_allocation`` per allocation. Transfers/s = transfers
   made / (pay pressed until the run is paid). Then the books: every transfer in the emulator
   matches exactly one ``dividend_payment`` entry (its allocation, its amount) and the other
   way round, and the trial balance balances.

Target (from the issue): the draft within 2x of the floor on both engines; the exit status is 1
when it is missed or a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import resource
import secrets
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402
    _copy_text,
    _timestamps,
    generate_catalogue,
    upgrade_catalogue,
)

PG_ADMIN_URL = os.environ.get(
    "MARKETPLACE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
TARGET_RATIO = 2.0
PERIOD_DAYS = 365
REFUND_SHARE = 0.02
ROYALTY_BPS = 5_000  # prices are even: the royalty is exactly half
PRICES = np.array([2_900, 4_900, 7_900, 9_900, 14_900, 29_900], dtype=np.int64)
PRICE_WEIGHTS = np.array([0.30, 0.30, 0.18, 0.12, 0.07, 0.03])
CHUNK = 100_000
ACCOUNT_THREADS = 8
POLL_S = 0.2
STUCK_S = 15.0  # no allocation settled for this long, the queue empty: tasks died
LEDGER_TABLES = ("orders", "order_items", "journal_entries", "journal_lines")
SHARED_ACCOUNTS = ("1100", "4000", "4900", "5100")


def _log(message: str) -> None:
    print(f"  [dividends] {message}", file=sys.stderr, flush=True)


# --- the period and the sales -----------------------------------------------------------------


def period() -> tuple[date, date]:
    end = datetime.now(UTC).date() - timedelta(days=1)
    return end - timedelta(days=PERIOD_DAYS - 1), end


def _micros(day: date) -> int:
    return int(datetime.combine(day, dtime.min, tzinfo=UTC).timestamp() * 1_000_000)


@dataclass
class Sales:
    """Every generated row, as numpy columns (ids start at 1 in an empty database)."""

    order_paid_us: np.ndarray
    order_total: np.ndarray
    order_fee: np.ndarray
    order_status: list[str]
    item_order: np.ndarray  # 0-based order index
    item_asset: np.ndarray
    item_member: np.ndarray
    item_price: np.ndarray
    item_refunded_us: np.ndarray  # -1 when not refunded
    buyer: np.ndarray
    refunded_items: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def orders(self) -> int:
        return len(self.order_total)


def plan_sales(
    sales: int, asset_ids: np.ndarray, asset_members: np.ndarray, user_ids: np.ndarray, seed: int
) -> Sales:
    rng = np.random.default_rng([seed, 41])
    sizes = rng.integers(1, 4, sales)
    ends = np.cumsum(sizes)
    n_orders = int(np.searchsorted(ends, sales) + 1)
    sizes = sizes[:n_orders].copy()
    sizes[-1] -= int(ends[n_orders - 1] - sales)
    item_order = np.repeat(np.arange(n_orders), sizes)
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    position = np.arange(sales) - starts[item_order]
    base = rng.integers(0, len(asset_ids), n_orders)
    # Distinct assets within an order (order_items has a unique (order_id, asset_id)).
    pick = (base[item_order] + position * 7919) % len(asset_ids)
    price = rng.choice(PRICES, sales, p=PRICE_WEIGHTS)
    start, end = period()
    first, last = _micros(start), _micros(end + timedelta(days=1)) - 1
    paid = np.sort(rng.integers(first, last, n_orders))
    refunded = rng.random(sales) < REFUND_SHARE
    delay = rng.integers(3600 * 10**6, 14 * 86400 * 10**6, sales)
    refunded_us = np.where(refunded, np.minimum(paid[item_order] + delay, last), -1)
    total = np.bincount(item_order, weights=price, minlength=n_orders).astype(np.int64)
    refunded_count = np.bincount(item_order, weights=refunded, minlength=n_orders)
    status = np.where(
        refunded_count == 0,
        "paid",
        np.where(refunded_count == sizes, "refunded", "partially_refunded"),
    ).tolist()
    return Sales(
        order_paid_us=paid,
        order_total=total,
        order_fee=total * 29 // 1000 + 30,
        order_status=status,
        item_order=item_order,
        item_asset=asset_ids[pick],
        item_member=asset_members[pick],
        item_price=price,
        item_refunded_us=refunded_us,
        buyer=rng.choice(user_ids, n_orders),
        refunded_items=np.flatnonzero(refunded),
    )


@dataclass
class Ids:
    order: int  # first id of each table
    item: int
    entry: int
    line: int
    accounts: dict[str, int]  # shared accounts by code
    member_account: dict[int, int]  # members.id -> its 2100 account


def _table_rows(sales: Sales, ids: Ids, postgresql: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, columns) chunks, in an order the foreign keys accept."""
    ts = lambda us: _timestamps(us, postgresql)  # noqa: E731
    n_orders, n_items = sales.orders, len(sales.item_price)
    for lo in range(0, n_orders, CHUNK):
        hi = min(lo + CHUNK, n_orders)
        paid = ts(sales.order_paid_us[lo:hi])
        created = ts(sales.order_paid_us[lo:hi] - 30_000_000)
        order_ids = list(range(ids.order + lo, ids.order + hi))
        yield (
            "orders",
            {
                "id": order_ids,
                "buyer_id": sales.buyer[lo:hi].tolist(),
                "status": sales.order_status[lo:hi],
                "currency": ["USD"] * (hi - lo),
                "total_cents": sales.order_total[lo:hi].tolist(),
                "payment_attempts": [1] * (hi - lo),
                "idempotency_token": [f"{i:032x}" for i in order_ids],
                "payment_intent_id": [f"pi_bench{i}" for i in order_ids],
                "payment_status": ["succeeded"] * (hi - lo),
                "payment_error": [""] * (hi - lo),
                "charge_id": [f"ch_bench{i}" for i in order_ids],
                "fee_cents": sales.order_fee[lo:hi].tolist(),
                "created_at": created,
                "payment_started_at": created,
                "paid_at": paid,
            },
        )
    for lo in range(0, n_items, CHUNK):
        hi = min(lo + CHUNK, n_items)
        refunded = sales.item_refunded_us[lo:hi]
        when = ts(np.maximum(refunded, 0))
        yield (
            "order_items",
            {
                "id": list(range(ids.item + lo, ids.item + hi)),
                "order_id": (sales.item_order[lo:hi] + ids.order).tolist(),
                "asset_id": sales.item_asset[lo:hi].tolist(),
                "member_id": sales.item_member[lo:hi].tolist(),
                "licence": ["standard"] * (hi - lo),
                "terms_id": [1] * (hi - lo),
                "size": ["L"] * (hi - lo),
                "price_cents": sales.item_price[lo:hi].tolist(),
                "royalty_bps": [ROYALTY_BPS] * (hi - lo),
                "status": ["refunded" if r >= 0 else "active" for r in refunded.tolist()],
                "licence_id": [None] * (hi - lo),
                "refunded_at": [w if r >= 0 else None for w, r in zip(when, refunded, strict=True)],
            },
        )
    yield from _ledger_rows(sales, ids, postgresql)


def _ledger_rows(sales: Sales, ids: Ids, postgresql: bool) -> Iterator[tuple[str, dict[str, Any]]]:
    n_orders = sales.orders
    # Royalty lines: one per (order, member), as collapse() merges a member's items in an order.
    key = sales.item_order.astype(np.int64) * (1 << 32) + sales.item_member
    unique, inverse = np.unique(key, return_inverse=True)
    royalty = np.bincount(inverse, weights=sales.item_price // 2).astype(np.int64)
    royalty_order = (unique >> 32).astype(np.int64)
    royalty_member = (unique & 0xFFFFFFFF).astype(np.int64)
    revenue = sales.order_total - np.bincount(
        sales.item_order, weights=sales.item_price // 2, minlength=n_orders
    ).astype(np.int64)
    account_of = np.zeros(int(sales.item_member.max()) + 1, dtype=np.int64)
    for member, account in ids.member_account.items():
        if member < len(account_of):
            account_of[member] = account
    clearing, income, refunds, fees = (ids.accounts[c] for c in SHARED_ACCOUNTS)
    ts = lambda us: _timestamps(us, postgresql)  # noqa: E731

    refunded = sales.refunded_items
    n_refunds = len(refunded)
    entry_ids = np.arange(ids.entry, ids.entry + n_orders + n_refunds)
    refund_orders = sales.item_order[refunded]
    for lo in range(0, n_orders + n_refunds, CHUNK):
        hi = min(lo + CHUNK, n_orders + n_refunds)
        keys, kinds, descriptions, orders, posted = [], [], [], [], []
        sale_hi = min(hi, n_orders)
        if lo < n_orders:
            o = np.arange(lo, sale_hi)
            keys += [f"order:{i}:paid" for i in (o + ids.order).tolist()]
            kinds += ["sale"] * len(o)
            descriptions += [f"Order {i} paid" for i in (o + ids.order).tolist()]
            orders += (o + ids.order).tolist()
            posted += ts(sales.order_paid_us[o])
        if hi > n_orders:
            r = np.arange(max(lo, n_orders), hi) - n_orders
            items = refunded[r] + ids.item
            keys += [f"refund:bench-{i}" for i in items.tolist()]
            kinds += ["refund"] * len(r)
            order_ids = (refund_orders[r] + ids.order).tolist()
            descriptions += [f"Order {i} refunded" for i in order_ids]
            orders += order_ids
            posted += ts(sales.item_refunded_us[refunded[r]])
        yield (
            "journal_entries",
            {
                "id": entry_ids[lo:hi].tolist(),
                "idempotency_key": keys,
                "kind": kinds,
                "description": descriptions,
                "currency": ["USD"] * (hi - lo),
                "order_id": orders,
                "reverses_entry_id": [None] * (hi - lo),
                "created_by_id": [None] * (hi - lo),
                "posted_at": posted,
            },
        )
    # Lines: sale entries, then refund entries; chunks by order.
    sale_entry = np.arange(n_orders) + ids.entry
    parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]] = []
    for lo in range(0, n_orders, CHUNK):
        hi = min(lo + CHUNK, n_orders)
        e = sale_entry[lo:hi]
        within = (royalty_order >= lo) & (royalty_order < hi)
        parts = [
            (e, np.full(hi - lo, clearing), "debit", sales.order_total[lo:hi]),
            (e, np.full(hi - lo, fees), "debit", sales.order_fee[lo:hi]),
            (e, np.full(hi - lo, clearing), "credit", sales.order_fee[lo:hi]),
            (
                sale_entry[royalty_order[within]],
                account_of[royalty_member[within]],
                "credit",
                royalty[within],
            ),
            (e, np.full(hi - lo, income), "credit", revenue[lo:hi]),
        ]
        yield "journal_lines", _lines(parts)
    for lo in range(0, n_refunds, CHUNK):
        hi = min(lo + CHUNK, n_refunds)
        e = entry_ids[n_orders + lo : n_orders + hi]
        items = refunded[lo:hi]
        price = sales.item_price[items]
        parts = [
            (e, account_of[sales.item_member[items]], "debit", price // 2),
            (e, np.full(hi - lo, refunds), "debit", price - price // 2),
            (e, np.full(hi - lo, clearing), "credit", price),
        ]
        yield "journal_lines", _lines(parts)


def _lines(parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray]]) -> dict[str, Any]:
    entry = np.concatenate([p[0] for p in parts])
    n = len(entry)
    return {
        "entry_id": entry.tolist(),
        "account_id": np.concatenate([p[1] for p in parts]).tolist(),
        "side": [s for p in parts for s in [p[2]] * len(p[0])],
        "amount_cents": np.concatenate([p[3] for p in parts]).tolist(),
        "currency": ["USD"] * n,
    }


# --- loading ----------------------------------------------------------------------------------


def _accounts(connection: sa.Connection, member_ids: list[int], postgresql: bool) -> Ids:
    from marketplace.ledger.core import AccountRef

    now = datetime.now(UTC)
    table = sa.table(
        "ledger_accounts",
        *(sa.column(c) for c in ("code", "name", "type", "member_id", "created_at")),
    )
    existing = {
        (code, member): i
        for i, code, member in connection.execute(
            sa.text("SELECT id, code, member_id FROM ledger_accounts")
        )
    }
    rows: list[dict[str, Any]] = []
    for code in SHARED_ACCOUNTS:
        if (code, None) not in existing:
            spec = AccountRef(code).spec
            rows.append({"code": code, "name": spec.name, "type": spec.type, "member_id": None})
    spec = AccountRef("2100", member_ids[0]).spec
    rows += [
        {"code": "2100", "name": spec.name, "type": spec.type, "member_id": m}
        for m in member_ids
        if ("2100", m) not in existing
    ]
    if rows:
        connection.execute(sa.insert(table), [{**r, "created_at": now} for r in rows])
    found = {
        (code, member): int(i)
        for i, code, member in connection.execute(
            sa.text("SELECT id, code, member_id FROM ledger_accounts")
        )
    }

    def first(name: str) -> int:
        query = f"SELECT coalesce(max(id), 0) + 1 FROM {name}"  # noqa: S608 - our names
        return int(connection.execute(sa.text(query)).scalar_one())

    return Ids(
        order=first("orders"),
        item=first("order_items"),
        entry=first("journal_entries"),
        line=first("journal_lines"),
        accounts={c: found[(c, None)] for c in SHARED_ACCOUNTS},
        member_account={m: found[("2100", m)] for m in member_ids},
    )


def load_sales(url: str, sales_count: int, assets_seed: int) -> dict[str, Any]:
    """Generate and load the sales into the catalogue at ``url``; returns what was loaded."""
    postgresql = sa.engine.make_url(url).get_backend_name() == "postgresql"
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.begin() as connection:
        assets = connection.execute(sa.text("SELECT id, member_id FROM assets ORDER BY id")).all()
        members = connection.execute(sa.text("SELECT id, user_id FROM members ORDER BY id")).all()
        ids = _accounts(connection, [int(m) for m, _ in members], postgresql)
    asset_ids = np.array([a for a, _ in assets], dtype=np.int64)
    asset_members = np.array([m for _, m in assets], dtype=np.int64)
    users = np.array([u for _, u in members], dtype=np.int64)
    sales = plan_sales(sales_count, asset_ids, asset_members, users, assets_seed)
    seconds = time.perf_counter() - started
    _log(f"planned {sales.orders:,} orders, {sales_count:,} items: {seconds:.1f} s")
    rows = _table_rows(sales, ids, postgresql)
    if postgresql:
        _load_postgresql(engine, rows)
    else:
        _load_sqlite(url, rows)
    engine.dispose()
    _log(f"loaded the sales: {time.perf_counter() - started:.1f} s")
    return {
        "orders": sales.orders,
        "items": sales_count,
        "refunded_items": len(sales.refunded_items),
        "gross_cents": int(sales.item_price.sum()),
    }


def _load_postgresql(engine: sa.Engine, rows: Iterator[tuple[str, dict[str, Any]]]) -> None:
    raw = engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert connection is not None
        indexes = connection.execute(
            "SELECT tablename, indexname, indexdef FROM pg_indexes i "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s) AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            (list(LEDGER_TABLES),),
        ).fetchall()
        connection.commit()
        with connection.transaction():
            # The ledger's triggers (balance at commit, append-only) and the foreign keys' are
            # skipped while loading: the books are checked in one query afterwards.
            connection.execute("SET LOCAL session_replication_role = replica")
            for _, name, _ in indexes:
                connection.execute(f'DROP INDEX "{name}"')
            for table, columns in rows:
                names = list(columns)
                with connection.cursor().copy(
                    f"COPY {table} ({', '.join(names)}) FROM STDIN"  # noqa: S608 - our names
                ) as copy:
                    copy.write(_copy_text(columns, names))
            started = time.perf_counter()
            for _, _, definition in indexes:
                connection.execute(definition)
            _log(f"rebuilt {len(indexes)} indexes: {time.perf_counter() - started:.1f} s")
            for table in LEDGER_TABLES:
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                connection.execute(
                    f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"  # noqa: S608
                )
        connection.autocommit = True
        connection.execute(f"VACUUM ANALYZE {', '.join(LEDGER_TABLES)}")
    finally:
        raw.close()


def _load_sqlite(url: str, rows: Iterator[tuple[str, dict[str, Any]]]) -> None:
    connection = sqlite3.connect(sa.engine.make_url(url).database or "", isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous = OFF")
        connection.execute("BEGIN")
        for table, columns in rows:
            names = list(columns)
            statement = (
                f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - our names
                f"VALUES ({', '.join('?' * len(names))})"
            )
            connection.executemany(statement, zip(*(columns[n] for n in names), strict=True))
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    finally:
        connection.close()


def check_books(url: str) -> tuple[int, int, int]:
    """(debits - credits overall, entries that do not balance, entries without two lines)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            total = connection.execute(
                sa.text(
                    "SELECT coalesce(sum(CASE WHEN side = 'debit' THEN amount_cents "
                    "ELSE -amount_cents END), 0) FROM journal_lines"
                )
            ).scalar_one()
            unbalanced = connection.execute(
                sa.text(
                    "SELECT count(*) FROM (SELECT entry_id FROM journal_lines GROUP BY entry_id "
                    "HAVING sum(CASE WHEN side = 'debit' THEN amount_cents ELSE -amount_cents END)"
                    " <> 0 OR count(*) < 2) AS off"
                )
            ).scalar_one()
            orphans = connection.execute(
                sa.text(
                    "SELECT count(*) FROM journal_entries e WHERE NOT EXISTS "
                    "(SELECT 1 FROM journal_lines l WHERE l.entry_id = e.id)"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(total), int(unbalanced), int(orphans)


# --- the databases ----------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        return (
            connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def _pg_url(name: str) -> str:
    base = sa.engine.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return base.render_as_string(hide_password=False)


@dataclass
class Database:
    engine: str
    url: str
    drop: Callable[[], None]
    generated: dict[str, Any]


def prepare(engine: str, args: argparse.Namespace, scratch: Path) -> Database:
    """A database with the catalogue and the sales, to work on (and throw away)."""
    tag = f"m{args.members}_s{args.sales}_a{args.assets}_seed{args.seed}"

    def generate(url: str) -> dict[str, Any]:
        started = time.perf_counter()
        info = generate_catalogue(url, args.assets, args.members, args.seed)
        loaded = load_sales(info.database_url, args.sales, args.seed)
        total, unbalanced, orphans = check_books(info.database_url)
        if total or unbalanced or orphans:
            raise RuntimeError(
                f"the generated books are off: {total} cents, {unbalanced} unbalanced entries, "
                f"{orphans} entries without lines"
            )
        return {**loaded, "seconds": round(time.perf_counter() - started, 1)}

    if engine == "sqlite":
        work = scratch / f"dividends-{tag}.sqlite"
        if args.reuse:
            base = Path(args.reuse) / f"dividends-{tag}.sqlite"
            meta = base.with_suffix(".json")
            if not meta.exists():
                base.unlink(missing_ok=True)
                generated = generate(f"sqlite:///{base}")
                meta.write_text(json.dumps(generated))
            else:
                generated = {**json.loads(meta.read_text()), "reused": True}
                upgrade_catalogue(f"sqlite:///{base}")
            shutil.copyfile(base, work)
        else:
            generated = generate(f"sqlite:///{work}")
        return Database(
            engine, f"sqlite:///{work}", lambda: work.unlink(missing_ok=True), generated
        )

    work_name = f"bench_dividends_{secrets.token_hex(4)}"
    if args.reuse:
        base_name = f"bench_dividends_{tag}"
        meta = Path(args.reuse) / f"dividends-{tag}.postgresql.json"
        if not meta.exists() or not _pg_exists(base_name):
            _pg_admin(f'DROP DATABASE IF EXISTS "{base_name}"')
            _pg_admin(f'CREATE DATABASE "{base_name}"')
            generated = generate(_pg_url(base_name))
            meta.write_text(json.dumps(generated))
        else:
            generated = {**json.loads(meta.read_text()), "reused": True}
            upgrade_catalogue(_pg_url(base_name))
        started = time.perf_counter()
        _pg_admin(f'CREATE DATABASE "{work_name}" TEMPLATE "{base_name}"')
        _log(f"copied {base_name}: {time.perf_counter() - started:.1f} s")
        if generated.get("reused"):
            # A copied database starts with cold statistics of its own: gather them.
            _analyze(_pg_url(work_name))
    else:
        _pg_admin(f'CREATE DATABASE "{work_name}"')
        generated = generate(_pg_url(work_name))
    return Database(
        engine,
        _pg_url(work_name),
        lambda: _pg_admin(f'DROP DATABASE IF EXISTS "{work_name}" WITH (FORCE)'),
        generated,
    )


def _analyze(url: str) -> None:
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


# --- the draft --------------------------------------------------------------------------------


def _rss_kib(field_name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class DraftResult:
    engine: str
    floor_s: list[float]
    draft_s: list[float]
    rss_before_mib: float
    rss_peak_mib: float
    rss_peak_exact: bool
    run_id: int
    allocations: int
    pool_cents: int
    floor_members: int
    floor_cents: int
    patronage_ok: bool

    @property
    def ratio(self) -> float:
        return min(self.draft_s) / min(self.floor_s)


def _app(url: str, folder: Path, extra: dict[str, Any] | None = None) -> Any:
    from marketplace import create_app

    return create_app(
        {
            "PROFILE": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder / "instance-bench"),
            "TASKS_INLINE": True,
            **(extra or {}),
        }
    )


def add_admins(url: str) -> list[int]:
    engine = sa.create_engine(url)
    now = datetime.now(UTC)
    users = sa.table(
        "users",
        *(
            sa.column(c)
            for c in (
                "email",
                "display_name",
                "password_hash",
                "is_admin",
                "login_epoch",
                "created_at",
            )
        ),
    )
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(users),
                [
                    {
                        "email": f"admin{n}@bench.example",
                        "display_name": f"Admin {n}",
                        "password_hash": "!bench-admin",
                        "is_admin": True,
                        "login_epoch": 0,
                        "created_at": now,
                    }
                    for n in (1, 2)
                ],
            )
            ids = connection.execute(
                sa.text("SELECT id FROM users WHERE email LIKE 'admin_@bench.example' ORDER BY id")
            )
            return [int(i) for i in ids.scalars()]
    finally:
        engine.dispose()


def floor_sql(postgresql: bool) -> str:
    return (
        "SELECT oi.member_id, SUM(oi.price_cents) FROM order_items oi "
        "JOIN orders o ON o.id = oi.order_id "
        "WHERE o.currency = :currency AND o.paid_at >= :start AND o.paid_at < :end "
        "GROUP BY oi.member_id"
    )


def _bound(day: date, postgresql: bool) -> Any:
    moment = datetime.combine(day, dtime.min, tzinfo=UTC)
    # SQLite stores UTCDateTime as SQLAlchemy's text, which the raw query compares as text.
    return moment if postgresql else moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def measure_draft(db: Database, folder: Path, admins: list[int], repeat: int) -> DraftResult:
    from marketplace.accounts.models import User
    from marketplace.dividends import services
    from marketplace.dividends.models import DividendAllocation
    from marketplace.extensions import db as flask_db

    postgresql = db.engine == "postgresql"
    start, end = period()
    app = _app(db.url, folder)
    floors: list[float] = []
    drafts: list[float] = []
    run_id = 0
    floor_rows: list[Any] = []
    with app.app_context():
        session = flask_db.session()
        admin = session.get(User, admins[0])
        assert admin is not None
        revenue = session.execute(
            sa.text(
                "SELECT sum(amount_cents) FROM journal_lines l JOIN ledger_accounts a "
                "ON a.id = l.account_id WHERE a.code = '4000' AND l.side = 'credit'"
            )
        ).scalar_one()
        session.commit()
        request = services.RunRequest(
            period_start=start,
            period_end=end,
            operating_costs_cents=int(revenue) // 5,
            reserve_pct="12.5",
            cash_pct=30,
            operating_costs_note="Bench: a fifth of the revenue",
        )
        params = {
            "currency": "USD",
            "start": _bound(start, postgresql),
            "end": _bound(end + timedelta(days=1), postgresql),
        }
        rss_before = _rss_kib("VmRSS")
        exact = False
        peak = 0
        for attempt in range(repeat):
            with flask_db.engine.connect() as connection:
                t0 = time.perf_counter()
                floor_rows = list(connection.execute(sa.text(floor_sql(postgresql)), params))
                floors.append(time.perf_counter() - t0)
            exact = _reset_peak_rss()
            t0 = time.perf_counter()
            assert admin is not None
            run = services.draft_run(admin, request)
            drafts.append(time.perf_counter() - t0)
            peak = max(peak, _rss_kib("VmHWM"))
            run_id = run.id
            _log(f"{db.engine} #{attempt + 1}: floor {floors[-1]:.3f} s, draft {drafts[-1]:.3f} s")
            if attempt < repeat - 1:
                services.discard_draft(admin, run_id)
            flask_db.session.remove()
            session = flask_db.session()
            admin = session.get(User, admins[0])
        session = flask_db.session()
        allocations = session.execute(
            sa.select(DividendAllocation.member_id, DividendAllocation.patronage_cents).where(
                DividendAllocation.run_id == run_id
            )
        ).all()
        pool = session.execute(
            sa.text("SELECT pool_cents FROM dividend_runs WHERE id = :id"), {"id": run_id}
        ).scalar_one()
        refunded: dict[int, int] = dict(
            session.execute(
                sa.text(
                    "SELECT member_id, sum(price_cents) FROM order_items "
                    "WHERE refunded_at IS NOT NULL GROUP BY member_id"
                )
            ).all()
        )
        sold = {int(m): int(c) for m, c in floor_rows}
        patronage_ok = all(p == sold.get(m, 0) - int(refunded.get(m, 0)) for m, p in allocations)
        flask_db.session.remove()
        flask_db.engine.dispose()
    return DraftResult(
        engine=db.engine,
        floor_s=floors,
        draft_s=drafts,
        rss_before_mib=rss_before / 1024,
        rss_peak_mib=(peak if exact else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) / 1024,
        rss_peak_exact=exact,
        run_id=run_id,
        allocations=len(allocations),
        pool_cents=int(pool),
        floor_members=len(sold),
        floor_cents=sum(sold.values()),
        patronage_ok=patronage_ok,
    )


# --- paying -----------------------------------------------------------------------------------


class Emulator:
    """Straight HTTP to the Stripe emulator, a connection per thread."""

    def __init__(self, port: int) -> None:
        from tests.fixtures.stripe_emulator import TEST_SECRET_KEY

        self.port = port
        self.key = TEST_SECRET_KEY
        self.local = threading.local()

    def request(self, method: str, path: str, body: str = "", content_type: str = "") -> Any:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=60
            )
        headers = {"Authorization": f"Bearer {self.key}"}
        if content_type:
            headers["Content-Type"] = content_type
        connection.request(method, path, body or None, headers)
        response = connection.getresponse()
        answer = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(f"{method} {path} answered {response.status}: {answer}")
        return answer

    def ready_account(self, member_id: int) -> str:
        import urllib.parse

        form = {
            "type": "express",
            "country": "US",
            "capabilities[transfers][requested]": "true",
            "metadata[member_id]": str(member_id),
        }
        account = self.request(
            "POST",
            "/v1/accounts",
            urllib.parse.urlencode(form),
            "application/x-www-form-urlencoded",
        )
        state = {"payouts_enabled": True, "transfers": "active", "currently_due": []}
        self.request(
            "POST",
            f"/_config/connect/accounts/{account['id']}/state",
            json.dumps(state),
            "application/json",
        )
        return str(account["id"])

    def transfers(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        after = ""
        while True:
            path = "/v1/transfers?limit=100" + (f"&starting_after={after}" if after else "")
            page = self.request("GET", path)
            found += page["data"]
            if not page.get("has_more") or not page["data"]:
                return found
            after = page["data"][-1]["id"]


@dataclass
class PayResult:
    accounts: int
    accounts_s: float
    approve_s: float
    pay_s: float
    paid: int
    held: int
    failed: int
    transfers_in_emulator: int
    checks: list[tuple[str, bool]]
    resent: int = 0
    deadlocks: int = 0

    @property
    def rate(self) -> float:
        return self.paid / self.pay_s if self.pay_s else 0.0


def measure_pay(
    db: Database, folder: Path, admins: list[int], run_id: int, args: argparse.Namespace
) -> PayResult:
    from bench.payments import (
        drop_redis_keys,
        free_port,
        queue_length,
        stack_env,
        start_emulator,
        start_worker,
        stop,
        wait_for_port,
        wait_until_consuming,
    )
    from marketplace.accounts.models import User
    from marketplace.dividends import core, paying, services
    from marketplace.extensions import db as flask_db
    from marketplace.ledger import services as ledger

    token = secrets.token_hex(4)
    queue = f"bench-dividends-{token}"
    processes: list[Any] = []
    port = free_port()
    emulator = start_emulator(folder, port)
    processes.append(emulator)
    try:
        wait_for_port(emulator, port, "the Stripe emulator")
        stripe = Emulator(port)
        engine = sa.create_engine(db.url)
        with engine.connect() as connection:
            members = [
                int(m)
                for m in connection.execute(
                    sa.text(
                        "SELECT member_id FROM dividend_allocations WHERE run_id = :id ORDER BY id"
                    ),
                    {"id": run_id},
                ).scalars()
            ]
        chosen = members[: args.pay_members] if args.pay_members else members
        t0 = time.perf_counter()
        with ThreadPoolExecutor(ACCOUNT_THREADS) as pool:
            accounts = list(pool.map(stripe.ready_account, chosen))
        accounts_s = time.perf_counter() - t0
        now = datetime.now(UTC)
        table = sa.table(
            "payout_accounts",
            *(
                sa.column(c)
                for c in (
                    "member_id",
                    "stripe_account_id",
                    "idempotency_key",
                    "details_submitted",
                    "payouts_enabled",
                    "transfers_active",
                    "requirements_due",
                    "disabled_reason",
                    "created_at",
                    "updated_at",
                )
            ),  # fmt: skip
        )
        with engine.begin() as connection:
            connection.execute(
                sa.insert(table),
                [
                    {
                        "member_id": m,
                        "stripe_account_id": a,
                        "idempotency_key": f"bench-account-{token}-{m}",
                        "details_submitted": True,
                        "payouts_enabled": True,
                        "transfers_active": True,
                        "requirements_due": "[]",
                        "disabled_reason": None,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for m, a in zip(chosen, accounts, strict=True)
                ],
            )
        _log(f"{len(accounts):,} ready connected accounts: {accounts_s:.1f} s")

        env = stack_env(folder, db.url, args.redis_url, queue, f"http://127.0.0.1:{port}", None)
        worker = start_worker(folder, env, queue, args.workers)
        processes.append(worker)
        celery = {
            "broker_url": args.redis_url,
            "task_default_queue": queue,
            "task_ignore_result": True,
            "broker_connection_retry_on_startup": True,
        }
        app = _app(db.url, folder, {"TASKS_INLINE": False, "CELERY": celery})
        with app.app_context():
            session = flask_db.session()
            approver = session.get(User, admins[1])
            assert approver is not None
            t0 = time.perf_counter()
            paying.approve_run(approver, run_id)
            approve_s = time.perf_counter() - t0
            _log(f"approved: {approve_s:.2f} s")
            wait_until_consuming(worker, args.redis_url, queue)
            flask_db.session.remove()
            session = flask_db.session()
            approver = session.get(User, admins[1])
            assert approver is not None
            t0 = time.perf_counter()
            paying.pay_run(approver, run_id)
            flask_db.session.remove()
            last_log = time.monotonic()
            deadline = time.monotonic() + args.timeout
            sender = app.extensions["celery"]
            settled, last_change, resent = -1, time.monotonic(), 0
            with engine.connect() as connection:
                while True:
                    status, done = connection.execute(
                        sa.text(
                            "SELECT r.status, (SELECT count(*) FROM dividend_allocations a "
                            "WHERE a.run_id = r.id AND a.status <> 'pending') "
                            "FROM dividend_runs r WHERE r.id = :id"
                        ),
                        {"id": run_id},
                    ).one()
                    connection.rollback()
                    if status in services.FINISHED:
                        break
                    if worker.poll() is not None:
                        raise RuntimeError(f"the worker exited with code {worker.returncode}")
                    if time.monotonic() > deadline:
                        raise RuntimeError("the run was not paid in time")
                    if done != settled:
                        settled, last_change = done, time.monotonic()
                    elif (
                        time.monotonic() - last_change > STUCK_S
                        and queue_length(args.redis_url, queue) == 0
                    ):
                        # A task that died (a deadlock, see the report) left its allocation
                        # pending and nothing retries it: send it again, as a retry would.
                        pending = (
                            connection.execute(
                                sa.text(
                                    "SELECT id FROM dividend_allocations "
                                    "WHERE run_id = :id AND status = 'pending'"
                                ),
                                {"id": run_id},
                            )
                            .scalars()
                            .all()
                        )
                        connection.rollback()
                        for allocation_id in pending:
                            sender.send_task(services.PAY_TASK, args=[allocation_id])
                        resent += len(pending)
                        _log(f"  {len(pending)} allocations stuck pending: sent again")
                        last_change = time.monotonic()
                    if time.monotonic() - last_log > 10:
                        _log(f"  {done:,} of {len(members):,} settled")
                        last_log = time.monotonic()
                    time.sleep(POLL_S)
            pay_s = time.perf_counter() - t0
            session = flask_db.session()
            counts = paying.progress(session, run_id)
            balance = ledger.trial_balance(session, "USD")
            payments: list[Any] = session.execute(
                sa.text(
                    "SELECT e.idempotency_key, e.description, l.amount_cents "
                    "FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id "
                    "WHERE e.kind = :kind AND l.side = 'debit'"
                ),
                {"kind": core.KIND_PAYMENT},
            ).all()  # type: ignore[assignment]
            allocations = {
                int(i): (t, int(c))
                for i, t, c in session.execute(
                    sa.text(
                        "SELECT id, stripe_transfer_id, cash_cents FROM dividend_allocations "
                        "WHERE run_id = :id AND status = 'paid'"
                    ),
                    {"id": run_id},
                )
            }
            flask_db.session.remove()
            flask_db.engine.dispose()
        engine.dispose()
        transfers = stripe.transfers()
        checks = _pay_checks(transfers, payments, allocations, run_id, balance)
        return PayResult(
            accounts=len(accounts),
            accounts_s=accounts_s,
            approve_s=approve_s,
            pay_s=pay_s,
            paid=counts["paid"],
            held=counts["held"],
            failed=counts["failed"],
            transfers_in_emulator=len(transfers),
            checks=checks,
            resent=resent,
            deadlocks=_count_deadlocks(folder / "worker.log"),
        )
    finally:
        for process in reversed(processes):
            stop(process)
        drop_redis_keys(args.redis_url, token)


def _count_deadlocks(log: Path) -> int:
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return 0
    return len(re.findall(r"raised unexpected: OperationalError\('\(psycopg.errors.Deadlock", text))


def _pay_checks(
    transfers: list[dict[str, Any]],
    payments: list[Any],
    allocations: dict[int, tuple[str, int]],
    run_id: int,
    balance: Any,
) -> list[tuple[str, bool]]:
    ours = [t for t in transfers if t.get("transfer_group") == f"dividend-run-{run_id}"]
    by_transfer: dict[str, list[tuple[str, int]]] = {}
    for key, description, amount in payments:
        match = re.search(r"\(transfer (\S+)\)", description)
        by_transfer.setdefault(match.group(1) if match else "", []).append((key, int(amount)))
    one_each = all(len(by_transfer.get(t["id"], [])) == 1 for t in ours)
    amounts = all(by_transfer[t["id"]][0][1] == t["amount"] for t in ours if one_each)
    keyed = all(
        by_transfer.get(t["id"], [("", 0)])[0][0]
        == f"dividend_payment:{t['metadata']['dividend_allocation_id']}"
        for t in ours
    )
    allocation_ok = all(
        allocations.get(int(t["metadata"]["dividend_allocation_id"]), ("", 0))
        == (t["id"], t["amount"])
        for t in ours
    )
    return [
        ("one transfer in the emulator per paid allocation", len(ours) == len(allocations)),
        ("each transfer matches exactly one dividend_payment entry", one_each),
        ("each dividend_payment entry matches a transfer", len(payments) == len(ours)),
        ("the entry's amount is the transfer's", amounts),
        ("the entry's key is the transfer's allocation", keyed),
        ("the allocation records the transfer and its amount", allocation_ok),
        (
            "the trial balance balances",
            balance.total_debits_cents == balance.total_credits_cents,
        ),
    ]


# --- the report -------------------------------------------------------------------------------


def report_draft(result: DraftResult, db: Database) -> bool:
    ok = result.ratio <= TARGET_RATIO and result.patronage_ok
    g = db.generated
    print(
        f"\n== {result.engine}: {g['items']:,} sales in {g['orders']:,} orders "
        f"({g['refunded_items']:,} refunded), {result.floor_members:,} members with sales"
        + (" (reused)" if g.get("reused") else f", generated in {g['seconds']:.0f} s")
    )
    floors = ", ".join(f"{s:.3f}" for s in result.floor_s)
    drafts = ", ".join(f"{s:.3f}" for s in result.draft_s)
    print(f"  floor (raw GROUP BY, fetched): best {min(result.floor_s):.3f} s  [{floors}]")
    print(f"  draft_run (the service):       best {min(result.draft_s):.3f} s  [{drafts}]")
    median = statistics.median(result.draft_s) / statistics.median(result.floor_s)
    print(
        f"  ratio {result.ratio:.2f}x (median {median:.2f}x)"
        f" - target <= {TARGET_RATIO:.0f}x: {'met' if result.ratio <= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"  peak RSS during a draft {result.rss_peak_mib:.0f} MiB "
        f"(before it {result.rss_before_mib:.0f} MiB"
        + ("" if result.rss_peak_exact else "; process peak, VmHWM could not be reset")
        + ")"
    )
    print(
        f"  run {result.run_id}: {result.allocations:,} allocations, pool "
        f"${result.pool_cents / 100:,.2f}; patronage = floor - refunds for every member: "
        f"{'ok' if result.patronage_ok else 'FAILED'}"
    )
    return ok


def report_pay(result: PayResult, workers: int) -> bool:
    print(f"\n== paying (PostgreSQL, Celery prefork, {workers} worker processes)")
    print(
        f"  {result.accounts:,} ready connected accounts made in {result.accounts_s:.1f} s (setup)"
    )
    print(f"  approve_run (posts the run's entries): {result.approve_s:.2f} s")
    print(
        f"  pay pressed -> run paid: {result.pay_s:.1f} s; {result.paid:,} transfers, "
        f"{result.held:,} held, {result.failed:,} failed: {result.rate:.1f} transfers/s"
    )
    if result.deadlocks or result.resent:
        print(
            f"  BUG: {result.deadlocks} pay_allocation tasks died of a deadlock on the "
            f"dividend_runs row; {result.resent} allocations were left pending (nothing retries "
            f"them) and the bench sent their tasks again after {STUCK_S:.0f} s without progress"
        )
    ok = True
    for name, passed in result.checks:
        print(f"  [{'ok' if passed else 'FAILED'}] {name}")
        ok &= passed
    ok &= result.failed == 0
    return ok


# --- main -------------------------------------------------------------------------------------


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--assets", type=int, default=100_000)
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--reuse", metavar="DIR", help="keep the generated databases here")
    parser.add_argument("--repeat", type=int, default=3, help="drafts (and floors) timed")
    parser.add_argument("--skip-pay", action="store_true")
    parser.add_argument("--pay-members", type=int, default=0, help="members with an account")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker processes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--timeout", type=float, default=1800, help="most seconds to pay")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if not set(engines) <= {"sqlite", "postgresql"} or not engines:
        parser.error("--engines: sqlite, postgresql or both")
    if args.members < 1 or args.sales < 1 or args.assets < 3 or args.repeat < 1:
        parser.error("--members, --sales and --repeat at least 1, --assets at least 3")
    if args.reuse:
        Path(args.reuse).mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, _interrupt)
    started = time.perf_counter()
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench-dividends-") as scratch:
        folder = Path(scratch)
        for engine in engines:
            db = prepare(engine, args, folder)
            try:
                admins = add_admins(db.url)
                result = measure_draft(db, folder, admins, args.repeat)
                ok &= report_draft(result, db)
                if engine == "postgresql" and not args.skip_pay:
                    paid = measure_pay(db, folder, admins, result.run_id, args)
                    ok &= report_pay(paid, args.workers)
                    if args.pay_members and args.pay_members < result.allocations:
                        print(
                            f"  (paid {args.pay_members:,} of {result.allocations:,} members "
                            "through the emulator; the others had no payout account: held)"
                        )
            finally:
                db.drop()
    print(f"\ntotal {time.perf_counter() - started:.0f} s; {'all targets met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
