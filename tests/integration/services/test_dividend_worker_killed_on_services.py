"""A worker SIGKILLed while it pays a dividend run, then restarted: the run finishes and
nobody is paid twice (PostgreSQL, Redis, real Celery workers, the Stripe emulator).

The worker (prefork, two processes, as the Procfile runs it) is killed with its pool once a few
members are paid, so tasks die between Stripe's answer and the commit; started again, it takes
back the unacknowledged tasks (a short visibility timeout stands for Redis's hour). Afterwards
each paid allocation has one transfer, and every transfer exactly one ledger entry.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from marketplace import create_app, stalled_payments
from marketplace.accounts.models import User
from marketplace.audit.models import AuditEntry
from marketplace.database import utcnow
from marketplace.dividends import paying, services
from marketplace.dividends.models import DividendAllocation
from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from tests.fixtures.config import app_config
from tests.fixtures.dividends import member_id, sell
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import PUBLISHABLE_KEY, WEBHOOK_SECRET
from tests.fixtures.services import PG_ADMIN_URL, ROOT, ServicesEnv
from tests.fixtures.stripe_emulator import TEST_SECRET_KEY, stripe_client
from tests.integration.services.dividend_stack import (
    check_run_paid_once,
    check_transfers_match_entries,
    joined_long_ago,
    payment_key,
    ready_account,
    run_status,
    wait_for,
)

pytestmark = pytest.mark.services

YEAR_OF_THE_KILL = 2004  # a year of its own: the run overlaps no other test's
KILLED_RUN_MEMBERS = 40
VISIBILITY_S = 3  # the restarted worker takes back the killed one's tasks after this
# A run where nothing settled for this long has its pending payments queued again by the
# beat's sweep (marketplace/stalled_payments.py), which the tests send as the beat would.
STALL_S = 20
SWEEP = "payouts.resume_stalled_payments"


def _own_redis(services_env: ServicesEnv) -> str:
    """A Redis database of its own: a killed worker's tasks are taken back (after a short
    visibility timeout) without touching the session worker's."""
    base, _, session_db = services_env.redis_url.rpartition("/")
    # Never the session's own database (a run with MARKETPLACE_TEST_REDIS=.../12 would have its
    # broker flushed under its worker): the next one, wrapping within Redis's 16.
    url = f"{base}/{(int(session_db or 0) + 1) % 16}"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


@pytest.fixture
def kill_database(services_env: ServicesEnv) -> Iterator[str]:
    """A PostgreSQL database of its own, migrated to head: the run's members are only this
    test's, whatever other tests left in the session's database."""
    name = f"marketplace_kill_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = services_env.database_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def kill_app(services_env: ServicesEnv, smtp_sink: SmtpSink, kill_database: str) -> Iterator[Flask]:
    """The app on a database of its own, sending its tasks to a Redis database of its own."""
    broker = _own_redis(services_env)
    app = create_app(
        app_config(
            services_env.instance,
            kill_database,
            smtp_sink,
            TASKS_INLINE=False,
            CELERY={
                "broker_url": broker,
                "task_ignore_result": True,
                "broker_connection_retry_on_startup": True,
            },
            STRIPE_API_BASE=services_env.stripe_api_base,
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            PAYMENT_STALL_SECONDS=STALL_S,
        )
    )
    app.config["KILL_TEST_BROKER"] = broker
    app.config["KILL_TEST_DATABASE"] = kill_database
    with app.app_context():
        upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def start_worker(
    services_env: ServicesEnv, broker: str, database: str, log: Path
) -> subprocess.Popen[bytes]:
    """The production worker (prefork, two processes) in a process group of its own, with a
    visibility timeout of ``VISIBILITY_S``: started again, it takes back the unacknowledged
    tasks of a worker killed at least that long ago."""
    code = (
        "from workers.celery_app import celery\n"
        f"celery.conf.broker_transport_options = {{'visibility_timeout': {VISIBILITY_S}}}\n"
        "celery.worker_main(['worker', '--pool=prefork', '--concurrency=2', '--loglevel=INFO',"
        " '--without-gossip', '--without-mingle', '--queues=celery'])\n"
    )
    start = log.stat().st_size if log.exists() else 0
    with log.open("ab") as output:
        process = subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
            [sys.executable, "-c", code],
            env={
                **services_env.environ(),
                "DATABASE_URL": database,
                "REDIS_URL": broker,
                "CELERY_BROKER_URL": broker,
                "MARKETPLACE_PAYMENT_STALL_SECONDS": str(STALL_S),
            },
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes()[start:]:
        if process.poll() is not None or time.monotonic() > deadline:
            kill(process)
            pytest.fail(f"the Celery worker did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return process


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool processes at once: no task finishes, none is acked."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    process.wait(timeout=30)


def approved_run(services_env: ServicesEnv, members: int) -> tuple[int, User, list[str]]:
    """An approved dividend run paying ``members`` artists, each with a sale in
    ``YEAR_OF_THE_KILL`` and a ready payout account: its id, its approver, their accounts."""
    stripe_api = stripe_client(services_env.stripe_api_base)
    factory = Factory()
    drafter, approver = factory.admin(), factory.admin()
    buyer = factory.buyer()
    artists = [member_id(factory.member()) for _ in range(members)]
    joined_long_ago(artists)
    accounts = []
    for n, artist in enumerate(artists):
        sell(artist, buyer.id, 3_000 + 100 * n, on=date(YEAR_OF_THE_KILL, 1 + n % 12, 15))
        accounts.append(ready_account(stripe_api, services_env.stripe_api_base, artist))
    request = services.RunRequest(
        period_start=date(YEAR_OF_THE_KILL, 1, 1),
        period_end=date(YEAR_OF_THE_KILL, 12, 31),
        operating_costs_cents=0,
        reserve_pct=0,
        cash_pct=50,
    )
    run_id = services.draft_run(drafter, request).id
    paying.approve_run(approver, run_id)
    return run_id, approver, accounts


def wait_until_finished(app: Flask, run_id: int) -> None:
    """Wait for the run to finish, sending the stalled-payments sweep every few seconds as
    the beat does every five minutes. Finished: paid, or partially paid when a member of
    another test's classes (a founder without a payout account) has their cash held."""
    sweep_at = 0.0

    def finished() -> bool:
        nonlocal sweep_at
        if time.monotonic() >= sweep_at:
            app.extensions["celery"].send_task(SWEEP)
            sweep_at = time.monotonic() + 5
        return run_status(run_id) in ("paid", "partially_paid")

    wait_for(finished, timeout=240)


def check_each_member_paid_once(
    services_env: ServicesEnv, run_id: int, accounts: list[str]
) -> None:
    stripe_api = stripe_client(services_env.stripe_api_base)
    session = db.session()
    progress = paying.progress(session, run_id)
    assert progress["paid"] == len(accounts)
    assert progress["pending"] == progress["failed"] == 0
    check_run_paid_once(stripe_api, run_id)
    assert check_transfers_match_entries(stripe_api, accounts) == len(accounts)
    payments = session.execute(
        sa.select(sa.func.count())
        .select_from(JournalEntry)
        .where(JournalEntry.idempotency_key.in_([payment_key(a) for a in _allocation_ids(run_id)]))
    ).scalar_one()
    assert payments == progress["paid"]


def test_a_worker_killed_mid_run_and_restarted_pays_nobody_twice(
    kill_app: Flask, services_env: ServicesEnv, tmp_path: Path
) -> None:
    broker = kill_app.config["KILL_TEST_BROKER"]
    database = kill_app.config["KILL_TEST_DATABASE"]
    run_id, approver, accounts = approved_run(services_env, KILLED_RUN_MEMBERS)

    log = tmp_path / "worker.log"
    worker = start_worker(services_env, broker, database, log)
    try:
        paying.pay_run(approver, run_id)

        def some_paid() -> bool:
            return paying.progress(db.session(), run_id)["paid"] >= 2

        wait_for(some_paid, timeout=60)
        kill(worker)
        at_kill = paying.progress(db.session(), run_id)
        assert at_kill["pending"] > 0, "the run finished before the worker was killed"
        time.sleep(VISIBILITY_S + 1)
        worker = start_worker(services_env, broker, database, log)
        # The killed worker's tasks come back after the visibility timeout; one it had taken
        # off Redis but not yet recorded as held is lost (kombu's two steps), and the sweep
        # queues it again once the run has stalled.
        wait_until_finished(kill_app, run_id)
    finally:
        kill(worker)
    check_each_member_paid_once(services_env, run_id, accounts)


def test_a_payment_task_the_queue_lost_is_sent_again_once_the_run_stalls(
    kill_app: Flask, services_env: ServicesEnv, tmp_path: Path
) -> None:
    broker = kill_app.config["KILL_TEST_BROKER"]
    database = kill_app.config["KILL_TEST_DATABASE"]
    run_id, approver, accounts = approved_run(services_env, 4)
    paying.pay_run(approver, run_id)
    # Redis loses one payment: the message is gone, as when a worker died holding it
    # between BRPOP and recording it as unacknowledged.
    queue = redis.Redis.from_url(broker)
    payments = [
        message
        for message in queue.lrange("celery", 0, -1)
        if json.loads(message)["headers"]["task"] == paying.PAY_TASK
    ]
    assert len(payments) == 4
    assert queue.lrem("celery", 1, payments[0]) == 1
    queue.close()

    log = tmp_path / "worker.log"
    worker = start_worker(services_env, broker, database, log)
    try:
        wait_for(lambda: paying.progress(db.session(), run_id)["paid"] == 3, timeout=120)
        assert run_status(run_id) == "paying"
        started = time.monotonic()
        wait_until_finished(kill_app, run_id)
        # Only once nothing had settled for the stall.
        assert time.monotonic() - started >= STALL_S / 2
    finally:
        kill(worker)
    check_each_member_paid_once(services_env, run_id, accounts)
    [resumed] = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == stalled_payments.RESUMED)
    ).scalars()
    assert resumed.subject_id == str(run_id)
    assert "its 1 pending payment(s) queued again" in resumed.summary


def test_two_sweeps_at_once_queue_a_stalled_run_again_once(
    kill_app: Flask, services_env: ServicesEnv
) -> None:
    """Two deliveries of the beat's sweep at the same moment (PostgreSQL, two connections):
    the run's lock makes the second see what the first did."""
    run_id, approver, _ = approved_run(services_env, 2)
    paying.pay_run(approver, run_id)  # no worker: its two tasks wait in the queue
    later = utcnow() + timedelta(seconds=STALL_S + 1)
    start = threading.Barrier(2)
    answers: list[list[stalled_payments.Resumed]] = []

    def sweep() -> None:
        with kill_app.app_context():
            start.wait(timeout=30)
            answers.append(stalled_payments.resume_stalled(later))
            db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(answers, key=len) == [[], [stalled_payments.Resumed("dividend_run", run_id, 2)]]
    entries = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == stalled_payments.RESUMED)
    ).scalars()
    assert len(list(entries)) == 1
    queue = redis.Redis.from_url(kill_app.config["KILL_TEST_BROKER"])
    payments = [
        message
        for message in queue.lrange("celery", 0, -1)
        if json.loads(message)["headers"]["task"] == paying.PAY_TASK
    ]
    queue.close()
    assert len(payments) == 4  # pay_run's two, and the sweep's two: not six


def _allocation_ids(run_id: int) -> list[int]:
    return list(
        db.session.execute(
            sa.select(DividendAllocation.id).where(
                DividendAllocation.run_id == run_id, DividendAllocation.status == "paid"
            )
        ).scalars()
    )
