"""The payout sync on PostgreSQL with the real Stripe emulator: the app's payouts are made in
the emulator and settled there; one whose payout.paid webhook is lost is booked by the sync,
once however often it runs; one whose webhook is delivered twice is booked once, and the sync
adds nothing to it; the reconciliation page matches both to the bank statement's lines and
lists the synced payout the statement does not show."""

from __future__ import annotations

import json
import secrets
import time
import urllib.request
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from marketplace.payments import bank_payout_sync
from marketplace.payments.bank_payouts_models import BankPayout, BankStatementLine
from tests.fixtures.factories import Factory
from tests.fixtures.payments import deliver, stripe_event
from tests.fixtures.shop import wait_for
from tests.fixtures.stripe_emulator import stripe_client
from tests.fixtures.web import AuthActions, post_form

pytestmark = pytest.mark.services

PAGE = "/admin/bank-reconciliation/"


def _settle(base_url: str, payout_id: str, status: str, *, deliver_event: bool) -> dict[str, Any]:
    """The bank's answer, in the emulator; ``deliver_event`` False: the webhook is lost."""
    request = urllib.request.Request(  # noqa: S310 - our own emulator, on loopback
        f"{base_url}/_config/payouts/{payout_id}/state",
        data=json.dumps({"status": status, "deliver": deliver_event}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        settled: dict[str, Any] = json.loads(response.read().decode())
    return settled


def _units(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _keys(payout_id: str) -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.execute(
            sa.select(JournalEntry.idempotency_key).where(
                JournalEntry.idempotency_key.like(f"%:{payout_id}")
            )
        ).scalars()
    )


def test_a_lost_webhook_is_booked_by_the_sync_once_and_a_doubled_one_once(
    services_app: Flask,
) -> None:
    base_url = services_app.config["STRIPE_API_BASE"]
    stripe = stripe_client(base_url)
    amounts = [100_000 + secrets.randbelow(800_000) for _ in range(3)]
    lost, doubled, unmatched = (
        stripe.v1.payouts.create(params={"amount": cents, "currency": "usd"}) for cents in amounts
    )

    # The bank pays all three; lost's and unmatched's payout.paid never reach the app.
    _settle(base_url, lost.id, "paid", deliver_event=False)
    _settle(base_url, unmatched.id, "paid", deliver_event=False)
    paid = _settle(base_url, doubled.id, "paid", deliver_event=False)
    client = services_app.test_client()
    event = stripe_event("payout.paid", paid)
    assert deliver(client, event).status_code == 200
    assert deliver(client, event).status_code == 200  # Stripe retried: the same event
    wait_for(lambda: _keys(doubled.id) == [f"bank_payout:{doubled.id}"])
    assert _keys(lost.id) == []

    first = bank_payout_sync.sync_payouts()
    assert first.booked >= 2  # lost and unmatched (other tests' payouts may be listed too)
    assert _keys(lost.id) == [f"bank_payout:{lost.id}"]
    assert _keys(unmatched.id) == [f"bank_payout:{unmatched.id}"]
    assert _keys(doubled.id) == [f"bank_payout:{doubled.id}"]
    again = bank_payout_sync.sync_payouts()
    assert again.booked == 0
    time.sleep(1)  # the second delivery's task, if still running, must add nothing either
    for payout in (lost, doubled, unmatched):
        assert _keys(payout.id) == [f"bank_payout:{payout.id}"]
    row = db.session.execute(
        sa.select(BankPayout).where(BankPayout.stripe_payout_id == lost.id)
    ).scalar_one()
    arrival = datetime.fromtimestamp(lost.arrival_date, UTC).date()
    assert (row.status, row.amount_cents, row.arrival_date) == ("paid", amounts[0], arrival)
    assert row.balance_transaction_id == lost.balance_transaction

    # The statement shows lost and doubled arriving: both matched, unmatched still listed.
    admin = Factory().admin()
    AuthActions(client).login(admin.email)
    day = arrival.isoformat()
    statement = (
        "date,amount,description\n"
        f"{day},{_units(amounts[0])},STRIPE PAYOUT\n"
        f"{day},{_units(amounts[1])},STRIPE PAYOUT\n"
    )
    page = post_form(
        client,
        "/admin/bank-reconciliation/statement",
        {"lines": statement},
        from_page=PAGE,
        follow_redirects=True,
    )
    assert page.status_code == 200, page.text
    assert "2 statement lines imported" in page.text
    assert unmatched.id in page.text
    assert lost.id not in page.text
    assert doubled.id not in page.text
    db.session.expire_all()
    matched = set(
        db.session.execute(
            sa.select(BankPayout.stripe_payout_id)
            .join(BankStatementLine, BankStatementLine.payout_id == BankPayout.id)
            .where(BankPayout.stripe_payout_id.in_([lost.id, doubled.id, unmatched.id]))
        ).scalars()
    )
    assert matched == {lost.id, doubled.id}
