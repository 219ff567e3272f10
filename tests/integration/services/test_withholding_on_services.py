"""Tax withheld from royalty payouts on the production stack: PostgreSQL, Redis, a real Celery
worker and the Stripe emulator.

Withholding is on in this test's worker (``MARKETPLACE_WITHHOLDING=on``) with a backup rate
configured away from the statutory 24 % (28 %), so the configured rate is the one applied. The
test has its own database and its own queue on the session's Redis, so the session's worker
(withholding off, as the test profile is) never takes its tasks and no other test's royalties
are in its run.

A member with no tax form is paid their royalties less backup withholding; a member resident in
India with a signed W-8BEN claiming the treaty's 15 % is paid less 15 %. For each, the payout
line, the Stripe transfer the emulator made, the ledger's entry and the member's earnings page
and tax summary agree to the cent.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from marketplace import create_app
from marketplace.background import enqueue
from marketplace.database import unit_of_work
from marketplace.dividends import paying
from marketplace.dividends import services as dividend_services
from marketplace.dividends.models import DividendAllocation
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import (
    DIVIDENDS_PAYABLE,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    format_cents,
)
from marketplace.ledger.entries import WITHHOLDING_PAYABLE
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order
from marketplace.payouts import services as payouts
from marketplace.payouts import transfers
from marketplace.payouts.models import PayoutLine, PayoutRun
from marketplace.taxes import interview
from marketplace.taxes.crypto import new_key
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_config
from tests.fixtures.dividends import member_id as member_id_of
from tests.fixtures.dividends import sell
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.payments import (
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
    payment_method,
    payment_succeeded,
    signature_header,
)
from tests.fixtures.services import PG_ADMIN_URL, ROOT, ServicesEnv
from tests.fixtures.stripe_emulator import TEST_SECRET_KEY, StripeEmulator, stripe_client
from tests.fixtures.web import AuthActions, IsolatedClient, api_token
from tests.integration.services.dividend_stack import (
    joined_long_ago,
    payment_key,
    ready_account,
    run_status,
    wait_for,
)

pytestmark = pytest.mark.services

BACKUP_BPS = 2_800
YEAR = 2006  # the dividend run's period: a year of its own
# The queue this test's app sends to and only its worker reads (the session's reads "celery").
QUEUE = "withholding-test"


@pytest.fixture
def own_database(services_env: ServicesEnv) -> Iterator[str]:
    name = f"marketplace_withholding_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = services_env.database_url.rpartition("/")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def withholding_app(
    services_env: ServicesEnv, smtp_sink: SmtpSink, own_database: str, tmp_path: Path
) -> Iterator[Flask]:
    """The app and a worker of its own, both withholding at the configured rates."""
    broker = services_env.redis_url
    key = new_key()
    app = create_app(
        app_config(
            services_env.instance,
            own_database,
            smtp_sink,
            TASKS_INLINE=False,
            CELERY={
                "broker_url": broker,
                "task_ignore_result": True,
                "broker_connection_retry_on_startup": True,
                "task_default_queue": QUEUE,
            },
            STRIPE_API_BASE=services_env.stripe_api_base,
            STRIPE_SECRET_KEY=TEST_SECRET_KEY,
            STRIPE_PUBLISHABLE_KEY=PUBLISHABLE_KEY,
            STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            WITHHOLDING_ENABLED=True,
            BACKUP_WITHHOLDING_BPS=BACKUP_BPS,
            TAX_ID_KEY=key,
            PAYOUT_THRESHOLD_CENTS=1_000,
        )
    )
    app.test_client_class = IsolatedClient
    log = tmp_path / "worker.log"
    with app.app_context():
        upgrade()
        env = {
            **services_env.environ(),
            "DATABASE_URL": own_database,
            "REDIS_URL": broker,
            "CELERY_BROKER_URL": broker,
            # The worker's app routes to this test's queue too, so that the flag a webhook sets
            # (payments.wakeups: keyed by database and queue) is the one its task clears.
            "MARKETPLACE_FLASK_CELERY__task_default_queue": QUEUE,
            "MARKETPLACE_WITHHOLDING": "on",
            "MARKETPLACE_BACKUP_WITHHOLDING_BPS": str(BACKUP_BPS),
            "MARKETPLACE_TAX_ID_KEY": key,
        }
        with log.open("wb") as output:
            worker = subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "workers.celery_app",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=2",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    f"--queues={QUEUE}",
                ],
                env=env,
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while b"ready." not in log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                os.killpg(worker.pid, signal.SIGKILL)
                pytest.fail(f"the Celery worker did not start:\n{log.read_text()}")
            time.sleep(0.2)
        try:
            yield app
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
            db.session.remove()
            db.engine.dispose()


def money(cents: int) -> str:
    return format_cents(cents, "USD")


def _signed_post(client: Any, path: str, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    response = client.post(path, data=body, headers={"Stripe-Signature": signature_header(body)})
    assert response.status_code == 200


def _payout_entry_lines(line_id: int) -> dict[tuple[str, str], int]:
    """The payout line's ledger entry, as {(account code, side): cents}."""
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, JournalLine.amount_cents)
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.idempotency_key == f"payout-line:{line_id}")
    ).all()
    return {(code, side): int(cents) for code, side, cents in rows}


def test_payouts_withhold_at_the_configured_and_the_treaty_rate_and_all_records_agree(
    withholding_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    app = withholding_app
    client = app.test_client()
    buyer = Factory().buyer()
    admin = Factory().admin()
    buyer_headers = api_token(client, buyer.email)
    admin_headers = api_token(client, admin.email)
    stripe = stripe_client(stripe_emulator.base_url)

    no_form, treaty = Catalogue(), Catalogue()
    orders = []
    for n, catalogue in enumerate((no_form, treaty)):
        photo = catalogue.add(f"Withheld photo {n}", "withholding")
        order = client.post(
            "/api/v1/orders",
            json={"items": [{"asset_id": photo, "licence": "standard", "size": "M"}]},
            headers=buyer_headers,
        ).get_json()
        paid = client.post(
            f"/api/v1/orders/{order['id']}/payment",
            json={"payment_method": payment_method(stripe_emulator.base_url)},
            headers=buyer_headers,
        ).get_json()
        _signed_post(client, "/webhooks/stripe", payment_succeeded(paid["payment_intent_id"]))
        orders.append(order["id"])
    accounts = {
        c.member.id: ready_account(stripe, stripe_emulator.base_url, c.member.id)
        for c in (no_form, treaty)
    }
    # The second member is resident in India and claims the treaty's 15 % on royalties.
    interview.save_interview(
        treaty.member.user,
        interview.InterviewInput(
            "w8ben",
            "Asha Rao",
            country="IN",
            treaty_country="IN",
            treaty_article="12",
            treaty_rate_bps="1500",
            signed_name="Asha Rao",
            certified=True,
        ),
    )

    def sold() -> bool:
        db.session.expire_all()
        return all(db.session.get(Order, o).status == "paid" for o in orders)  # type: ignore[union-attr]

    wait_for(sold, 60)
    due = {m: ledger.member_balance(db.session(), m, "USD") for m in accounts}
    assert all(cents >= 1_000 for cents in due.values())

    started = client.post("/api/v1/admin/royalty-payouts", json={}, headers=admin_headers)
    assert started.status_code == 202, started.get_json()
    run_id = started.get_json()["id"]

    def done() -> bool:
        db.session.expire_all()
        run = db.session.get(PayoutRun, run_id)
        return run is not None and run.status == "done"

    wait_for(done, 90)
    rates = {no_form.member.id: BACKUP_BPS, treaty.member.id: 1_500}
    body = client.get(f"/api/v1/admin/royalty-payouts/{run_id}", headers=admin_headers).get_json()
    for member_id, account_id in accounts.items():
        gross = due[member_id]
        # Half up: (gross × rate + 5,000) // 10,000.
        withheld = (gross * rates[member_id] + 5_000) // 10_000
        assert withheld > 0
        net = gross - withheld
        [line] = [x for x in body["lines"] if x["member_id"] == member_id]
        assert line["status"] == "sent"
        assert (line["amount_cents"], line["withholding_bps"]) == (gross, rates[member_id])
        assert (line["withheld_cents"], line["net_cents"]) == (withheld, net)

        transfers = list(stripe.v1.transfers.list({"destination": account_id}).auto_paging_iter())
        assert [t.amount for t in transfers] == [net]
        assert transfers[0].id == line["stripe_transfer_id"]
        assert transfers[0].metadata["withheld_cents"] == str(withheld)

        assert _payout_entry_lines(line["id"]) == {
            (ROYALTIES_PAYABLE, "debit"): gross,
            (STRIPE_CLEARING, "credit"): net,
            (WITHHOLDING_PAYABLE, "credit"): withheld,
        }
        assert ledger.member_balance(db.session(), member_id, "USD") == 0
        assert ledger.member_balance(db.session(), member_id, "USD", WITHHOLDING_PAYABLE) == (
            withheld
        )

        # The member's statements: the earnings API and page, and the year's tax summary.
        user = db.session.get(PayoutLine, line["id"]).member.user  # type: ignore[union-attr]
        member_headers = api_token(client, user.email)
        earnings = client.get("/api/v1/me/earnings", headers=member_headers).get_json()
        assert earnings["royalties_paid_cents"] == gross
        assert earnings["tax_withheld_cents"] == withheld
        year = date.today().year
        summary = client.get(
            f"/api/v1/me/tax-summary?year={year}", headers=member_headers
        ).get_json()
        assert summary["royalties_paid_cents"] == gross
        assert summary["royalties_withheld_cents"] == withheld
        assert summary["federal_tax_withheld_cents"] == withheld
        assert summary["royalties_form"] == (
            "1042-S" if member_id == treaty.member.id else "1099-MISC"
        )

        auth = AuthActions(app.test_client())
        auth.login(user.email)
        page = auth.client.get("/account/earnings").get_data(as_text=True)
        row = page[page.index('id="payouts-title"') :]
        assert money(gross) in row
        assert money(withheld) in row
        assert money(net) in row
        assert f"<dt>Federal income tax withheld</dt>\n      <dd>{money(withheld)}</dd>" in page
    # A retried send of a sent line withholds nothing more and transfers nothing more.
    for line in body["lines"]:
        payouts.send_line(line["id"])
    for account_id in accounts.values():
        assert (
            len(list(stripe.v1.transfers.list({"destination": account_id}).auto_paging_iter())) == 1
        )


class WorkerDied(BaseException):
    """The worker killed between Stripe's answer and the commit (nothing catches it)."""


class DiesAfterTransfer:
    """The real gateway, except that the worker dies once Stripe has made the transfer."""

    def __init__(self, real: Any) -> None:
        self.real = real

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def create_transfer(self, **kwargs: Any) -> Any:
        self.real.create_transfer(**kwargs)
        raise WorkerDied


def _file_valid_w9(user: Any) -> None:
    """The member files a W-9 with a valid SSN: from now on nothing would be withheld."""
    interview.save_interview(user, interview.InterviewInput("w9", "Late Filer", SSN, "ssn"))


SSN = "123-45-6789"


def test_a_payout_retried_after_the_worker_died_keeps_the_first_withholding(
    withholding_app: Flask, stripe_emulator: StripeEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Stripe made the transfer at 28 % withheld, the worker died before the commit, the member
    then filed a valid W-9 (0 %): the retry, by the real worker, pays nothing more and books
    the first decision; the transfer, the line, the ledger and the statement agree."""
    app = withholding_app
    client = app.test_client()
    stripe = stripe_client(stripe_emulator.base_url)
    member = Factory().member()
    buyer = Factory().buyer()
    mid = member_id_of(member)
    sell(mid, buyer.id, 9_000)
    account = ready_account(stripe, stripe_emulator.base_url, mid)
    gross = ledger.member_balance(db.session(), mid, "USD")
    assert gross > 0
    with unit_of_work() as session:
        run = PayoutRun(status="running", open_slot=1, currency="USD", threshold_cents=1_000)
        run.lines.append(
            PayoutLine(
                member_id=mid,
                amount_cents=gross,
                currency="USD",
                status="pending",
                idempotency_key=f"payout-line-{uuid.uuid4()}",
            )
        )
        session.add(run)
        session.flush()
        run_id, line_id = run.id, run.lines[0].id

    real = transfers.gateway
    monkeypatch.setattr(transfers, "gateway", lambda: DiesAfterTransfer(real()))
    with pytest.raises(WorkerDied):
        payouts.send_line(line_id)
    monkeypatch.undo()
    withheld = (gross * BACKUP_BPS + 5_000) // 10_000
    [made] = list(stripe.v1.transfers.list({"destination": account}).auto_paging_iter())
    assert made.amount == gross - withheld

    _file_valid_w9(member)
    with unit_of_work() as session:
        enqueue(session, "payouts.send_line", line_id)

    def done() -> bool:
        db.session.expire_all()
        line = db.session.get(PayoutLine, line_id)
        return line is not None and line.status != "pending"

    wait_for(done, 90)
    line = db.session.get(PayoutLine, line_id)
    assert line is not None
    assert (line.status, line.failure_reason) == ("sent", "")
    assert (line.withholding_bps, line.withheld_cents) == (BACKUP_BPS, withheld)
    assert line.stripe_transfer_id == made.id
    made_in_all = stripe.v1.transfers.list({"destination": account}).auto_paging_iter()
    assert [t.id for t in made_in_all] == [made.id]
    assert _payout_entry_lines(line_id) == {
        (ROYALTIES_PAYABLE, "debit"): gross,
        (STRIPE_CLEARING, "credit"): gross - withheld,
        (WITHHOLDING_PAYABLE, "credit"): withheld,
    }
    assert ledger.member_balance(db.session(), mid, "USD", WITHHOLDING_PAYABLE) == withheld
    headers = api_token(client, member.email)
    earnings = client.get("/api/v1/me/earnings", headers=headers).get_json()
    assert (earnings["royalties_paid_cents"], earnings["tax_withheld_cents"]) == (gross, withheld)
    assert db.session.get(PayoutRun, run_id) is not None


def test_a_dividend_retried_after_the_worker_died_keeps_the_first_withholding(
    withholding_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    """The same for a dividend's cash: the transfer made at 28 % withheld before the worker
    died is the only one, after a W-9 was filed and the real worker paid the run."""
    stripe = stripe_client(stripe_emulator.base_url)
    factory = Factory()
    drafter, approver = factory.admin(), factory.admin()
    member = factory.member()
    mid = member_id_of(member)
    joined_long_ago([mid])
    sell(mid, factory.buyer().id, 20_000, on=date(YEAR, 6, 15))
    account = ready_account(stripe, stripe_emulator.base_url, mid)
    request = dividend_services.RunRequest(
        period_start=date(YEAR, 1, 1),
        period_end=date(YEAR, 12, 31),
        operating_costs_cents=0,
        reserve_pct=0,
        cash_pct=50,
    )
    run_id = dividend_services.draft_run(drafter, request).id
    paying.approve_run(approver, run_id)
    allocation_id = db.session.execute(
        sa.select(DividendAllocation.id).where(
            DividendAllocation.run_id == run_id, DividendAllocation.member_id == mid
        )
    ).scalar_one()

    def dies_after_transfer(**kwargs: Any) -> str:
        dividend_services.stripe_transfer(**kwargs)
        raise WorkerDied

    with pytest.raises(WorkerDied):
        paying.pay_allocation(allocation_id, payer=dies_after_transfer)
    db.session.expire_all()
    allocation = db.session.get(DividendAllocation, allocation_id)
    assert allocation is not None
    cash = allocation.cash_cents
    withheld = (cash * BACKUP_BPS + 5_000) // 10_000
    assert withheld > 0
    [made] = list(stripe.v1.transfers.list({"destination": account}).auto_paging_iter())
    assert made.amount == cash - withheld

    _file_valid_w9(member)
    paying.pay_run(approver, run_id)
    wait_for(lambda: run_status(run_id) in ("paid", "partially_paid"), 90)
    db.session.expire_all()
    allocation = db.session.get(DividendAllocation, allocation_id)
    assert allocation is not None
    assert allocation.status == "paid", allocation.failure_reason
    assert (allocation.withholding_bps, allocation.withheld_cents) == (BACKUP_BPS, withheld)
    assert allocation.stripe_transfer_id == made.id
    made_in_all = stripe.v1.transfers.list({"destination": account}).auto_paging_iter()
    assert [t.id for t in made_in_all] == [made.id]
    entry = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, JournalLine.amount_cents)
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.idempotency_key == payment_key(allocation_id))
    ).all()
    assert {(code, side): cents for code, side, cents in entry} == {
        (DIVIDENDS_PAYABLE, "debit"): cash,
        (STRIPE_CLEARING, "credit"): cash - withheld,
        (WITHHOLDING_PAYABLE, "credit"): withheld,
    }
    client = withholding_app.test_client()
    headers = api_token(client, member.email)
    [statement] = client.get("/api/v1/me/dividend-statements", headers=headers).get_json()[
        "results"
    ]
    assert (statement["cash_cents"], statement["withheld_cents"]) == (cash, withheld)
    assert statement["paid_cents"] == cash - withheld
