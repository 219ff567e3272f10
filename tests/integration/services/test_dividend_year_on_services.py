"""A year of patronage dividends on the production stack: PostgreSQL, Redis, the real Celery
worker and the Stripe emulator.

Sales and refunds dated through the year, a royalty payout, a dividend run drafted, approved by
another admin and paid; a member without a payout account is held, then paid once they have one.
Afterwards every transfer the emulator made to the test's accounts matches exactly one ledger
entry, for its amount, and every paid allocation one transfer. The sales are dated in a year of
their own, so the run overlaps no other test's.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from marketplace.dividends import paying, redemptions
from marketplace.dividends.models import DividendAllocation
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import DIVIDENDS_PAYABLE
from marketplace.payouts.models import PayoutRun
from tests.fixtures.dividends import FEE_CENTS, RUNS, member_id, refund, sell
from tests.fixtures.factories import Factory
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token
from tests.integration.services.dividend_stack import (
    check_run_paid_once,
    check_transfers_match_entries,
    joined_long_ago,
    ready_account,
    run_status,
    wait_for,
)

pytestmark = pytest.mark.services

YEAR_OF_THE_FLOW = 2003  # a year of its own: the run overlaps no other test's


def test_a_year_of_sales_payouts_and_a_dividend_run_pays_everyone_once(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    services_app.config["PAYOUT_THRESHOLD_CENTS"] = 1_000
    client = services_app.test_client()
    stripe_api = stripe_client(stripe_emulator.base_url)
    factory = Factory()
    drafter, approver = factory.admin(), factory.admin()
    founder = member_id(factory.member(member_class="founders"))
    artists = [member_id(factory.member()) for _ in range(3)]
    buyer = factory.buyer()
    joined_long_ago([founder, *artists])
    accounts = {m: ready_account(stripe_api, stripe_emulator.base_url, m) for m in artists[:2]}
    for month in range(1, 13):
        for n, artist in enumerate(artists):
            sale = sell(artist, buyer.id, 2_000 + 500 * n, on=date(YEAR_OF_THE_FLOW, month, 3 + n))
            if n == 1 and month % 4 == 0:
                refund(sale, artist, on=date(YEAR_OF_THE_FLOW, month, 20))

    # The monthly royalty payout (pressed by an admin): both members with an account paid.
    admin_headers = api_token(client, drafter.email)
    started = client.post("/api/v1/admin/royalty-payouts", json={}, headers=admin_headers)
    assert started.status_code == 202, started.get_json()
    payout_run = started.get_json()["id"]

    def payouts_done() -> bool:
        db.session.expire_all()
        run = db.session.get(PayoutRun, payout_run)
        return run is not None and run.status == "done"

    wait_for(payouts_done)
    for artist in accounts:
        assert ledger.member_balance(db.session(), artist, "USD") == 0

    # Hosting recorded when it was paid (the run reads its costs from the ledger).
    hosting = {
        "incurred_on": date(YEAR_OF_THE_FLOW, 12, 15).isoformat(),
        "description": "Hosting for the year",
        "amount_cents": 2_500,
        "expense_code": "5210",
    }
    recorded = client.post("/api/v1/admin/costs", json=hosting, headers=admin_headers)
    assert recorded.status_code == 201, recorded.get_json()
    body = {
        "period_start": date(YEAR_OF_THE_FLOW, 1, 1).isoformat(),
        "period_end": date(YEAR_OF_THE_FLOW, 12, 31).isoformat(),
        "operating_costs_cents": 2_500,
        "operating_costs_note": "Hosting for the year",
        "reserve_pct": 10,
        "cash_pct": 40,
    }
    drafted = client.post(RUNS, json=body, headers=admin_headers)
    assert drafted.status_code == 201, drafted.get_json()
    run = drafted.get_json()
    patronage = {a["member_id"]: a["patronage_cents"] for a in run["allocations"]}
    assert patronage[artists[0]] == 12 * 2_000
    assert patronage[artists[1]] == 12 * 2_500 - 3 * 2_500
    # The co-op's half of every sale; the refunds take back its half of three; a fee each.
    assert run["revenue_cents"] == 12 * (2_000 + 2_500 + 3_000) // 2
    assert run["refunds_cents"] == 3 * 2_500 // 2
    assert run["fees_cents"] == 36 * FEE_CENTS
    approver_headers = api_token(client, approver.email)
    approved = client.post(f"{RUNS}/{run['id']}/approve", headers=approver_headers)
    assert approved.status_code == 200, approved.get_json()
    assert client.post(f"{RUNS}/{run['id']}/pay", headers=approver_headers).status_code == 202
    # Two members' cash is held (no payout account): the run is not paid while it is.
    wait_for(lambda: run_status(run["id"]) == "partially_paid")

    allocations = {a["member_id"]: a for a in run["allocations"]}
    session = db.session()
    progress = paying.progress(session, run["id"])
    assert progress["paid"] == 2
    assert progress["pending"] == progress["failed"] == 0
    held = [artists[2], founder]
    for member in held:
        cash = allocations[member]["cash_cents"]
        assert ledger.member_balance(session, member, "USD", DIVIDENDS_PAYABLE) == cash

    # The third artist connects an account: their held dividend is paid, once.
    accounts[artists[2]] = ready_account(stripe_api, stripe_emulator.base_url, artists[2])
    assert redemptions.release_held(artists[2]) == 1
    assert redemptions.release_held(artists[2]) == 0

    def third_paid() -> bool:
        db.session.expire_all()
        allocation = db.session.get(DividendAllocation, allocations[artists[2]]["id"])
        return allocation is not None and allocation.status == "paid"

    wait_for(third_paid)
    # The founder's cash is still held.
    wait_for(lambda: run_status(run["id"]) == "partially_paid")
    assert ledger.member_balance(db.session(), artists[2], "USD", DIVIDENDS_PAYABLE) == 0
    check_run_paid_once(stripe_api, run["id"])
    # Two royalty payouts and three dividends.
    assert check_transfers_match_entries(stripe_api, list(accounts.values())) == 5
