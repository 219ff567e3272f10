"""``bench.dividends``' data: a year of sales (orders, items, their sale and refund entries)
generated with numpy and loaded without the ORM (``COPY`` on PostgreSQL, ``executemany`` on
SQLite), then the ledger's day totals rebuilt and the books checked. See ``bench/dividends.py``.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402
    _copy_text,
    _timestamps,
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
                # Untaxed sales (migration 0035): the subtotal is the total.
                "subtotal_cents": sales.order_total[lo:hi].tolist(),
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
    from marketplace.ledger.day_totals import rebuild_day_totals

    # The ledger's day totals, as its trigger (skipped by the load) would have kept them.
    summed = time.perf_counter()
    with engine.begin() as connection:
        day_rows = rebuild_day_totals(connection)
    _log(f"ledger day totals: {day_rows:,} rows in {time.perf_counter() - summed:.1f} s")
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
        # The ledger's insert triggers (its day totals) are left out while loading, as on
        # PostgreSQL, and the totals rebuilt afterwards in one query.
        triggers = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? "
            "AND sql LIKE '%AFTER INSERT%'",
            ("journal_lines",),
        ).fetchall()
        for name, _ in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        for table, columns in rows:
            names = list(columns)
            statement = (
                f"INSERT INTO {table} ({', '.join(names)}) "  # noqa: S608 - our names
                f"VALUES ({', '.join('?' * len(names))})"
            )
            connection.executemany(statement, zip(*(columns[n] for n in names), strict=True))
        for _, sql in triggers:
            connection.execute(sql)
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
