"""``bench.dividends``' app side: the admins, the app on a bench database, and paying a run
through the Stripe emulator with a real Celery worker (transfers/s, the books checked).
See ``bench/dividends.py``.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))


from bench.dividends_sales import ACCOUNT_THREADS, POLL_S, STUCK_S, _log  # noqa: E402


@dataclass
class Database:
    engine: str
    url: str
    drop: Callable[[], None]
    generated: dict[str, Any]


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


def load_average() -> str:
    """The machine's load when a result is printed: other work on its cores skews timings."""
    one, five, fifteen = os.getloadavg()
    cores = os.cpu_count() or 1
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} (1, 5, 15 min) on {cores} cores"


def report_pay(result: PayResult, workers: int) -> bool:
    print(f"\n== paying (PostgreSQL, Celery prefork, {workers} worker processes)")
    print(f"  {load_average()}")
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
