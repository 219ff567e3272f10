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
   ``executemany`` (SQLite, the ledger's insert trigger dropped meanwhile), then the ledger's
   day totals rebuilt in one query, as its trigger would have kept them
   (``ledger.day_totals.rebuild_day_totals``), then ``ANALYZE``.
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
when it is missed or a check fails. The load average is printed with each result: the machine
may be shared, and the ratio is only meaningful when floor and draft ran under the same load.

Modules: this one (the databases, the draft, the report, ``main``), ``bench.dividends_sales``
(generating and loading the sales) and ``bench.dividends_app`` (the app, paying through the
emulator).
"""

from __future__ import annotations

import argparse
import json
import resource
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from types import FrameType
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue import (  # noqa: E402
    generate_catalogue,
    upgrade_catalogue,
)
from bench.dividends_app import (  # noqa: E402
    Database,
    _app,
    add_admins,
    load_average,
    measure_pay,
    report_pay,
)
from bench.dividends_sales import PG_ADMIN_URL, TARGET_RATIO, _log, check_books, load_sales, period  # noqa: E402

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
    from marketplace.costs import services as costs
    from marketplace.costs.core import Cost
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
        # A fifth of the revenue in costs, recorded once in the period as an admin would: the
        # run reads its costs from the ledger, and the figure typed below must agree with it.
        costs.record_cost(
            admin, Cost(end, "Bench: a fifth of the revenue", int(revenue) // 5, "5200", "bank")
        )
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
    print(f"  {load_average()}")
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
