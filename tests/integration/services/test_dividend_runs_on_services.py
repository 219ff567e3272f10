"""A dividend run on PostgreSQL with the real worker: two admins pressing "pay" at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.dividends import paying
from marketplace.dividends.models import DividendRun
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry
from tests.fixtures.dividends import RUNS, member_id, refund, sell
from tests.fixtures.factories import Factory
from tests.fixtures.shop import wait_for
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def _status(run_id: int) -> str:
    db.session.expire_all()
    run = db.session.get(DividendRun, run_id)
    assert run is not None
    return run.status


def test_two_admins_paying_at_once_pay_each_member_once(services_app: Flask) -> None:
    factory = Factory()
    drafter, approver, other = factory.admin(), factory.admin(), factory.admin()
    factory.member(member_class="founders")
    artist = factory.member()
    buyer = factory.buyer()
    artist_id = member_id(artist)
    sell(artist_id, buyer.id, 12_000)
    refund(sell(artist_id, buyer.id, 3_000), artist_id)

    client = services_app.test_client()
    today = date.today()
    # Runs of other tests in this database would overlap: this test owns the last 400 days.
    body: dict[str, Any] = {
        "period_start": (today - timedelta(days=400)).isoformat(),
        "period_end": today.isoformat(),
        "close_books_now": True,
        "reserve_pct": "12.5",
        "cash_pct": 25,
    }
    response = client.post(RUNS, json=body, headers=api_token(client, drafter.email))
    assert response.status_code == 201, response.get_json()
    run = response.get_json()
    assert sum(a["allocation_cents"] for a in run["allocations"]) == run["pool_cents"]
    mine = next(a for a in run["allocations"] if a["member_id"] == artist_id)
    assert mine["patronage_cents"] == 15_000 - 3_000

    approver_headers = api_token(client, approver.email)
    approved = client.post(f"{RUNS}/{run['id']}/approve", headers=approver_headers)
    assert approved.status_code == 200
    assert approved.get_json()["status"] == "approved"

    other_headers = api_token(client, other.email)

    def press_pay(headers: dict[str, str]) -> int:
        return (
            services_app.test_client().post(f"{RUNS}/{run['id']}/pay", headers=headers).status_code
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        codes = list(pool.map(press_pay, [approver_headers, other_headers]))
    assert codes == [202, 202]

    # Every member's cash is held (no payout account): not paid, so partially paid.
    wait_for(lambda: _status(run["id"]) == "partially_paid")
    session = db.session()
    assert paying.progress(session, run["id"]) == {
        "pending": 0,
        "paid": 0,
        "held": len(run["allocations"]),
        "failed": 0,
    }
    # Nobody of this run was paid (other tests on this database pay runs of their own).
    keys = [f"dividend_payment:{a['id']}" for a in run["allocations"]]
    payments = session.execute(
        sa.select(sa.func.count())
        .select_from(JournalEntry)
        .where(JournalEntry.idempotency_key.in_(keys))
    ).scalar()
    assert payments == 0
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
    audit = session.execute(
        sa.text(
            "SELECT count(*) FROM audit_entries WHERE action = 'dividends.pay' AND subject_id = :id"
        ),
        {"id": str(run["id"])},
    ).scalar()
    assert audit == 1
