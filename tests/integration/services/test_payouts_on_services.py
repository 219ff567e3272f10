"""Royalty payouts on the production stack: PostgreSQL, Redis and the real Celery worker.

Two admins press "pay now" at the same moment: one run, one transfer per member, and every
transfer matches exactly one ledger entry.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry
from marketplace.orders.models import Order
from marketplace.payouts import services as payouts
from marketplace.payouts.models import PayoutRun
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import payment_method, payment_succeeded, signature_header
from tests.fixtures.payments import stripe_event as make_event
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def _wait_for(condition: Callable[[], bool], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the worker")
        time.sleep(0.2)


def _signed_post(client: Any, path: str, event: dict[str, Any]) -> None:
    body = json.dumps(event).encode()
    response = client.post(path, data=body, headers={"Stripe-Signature": signature_header(body)})
    assert response.status_code == 200


def _onboard(url: str) -> None:
    parts = urlsplit(url)
    for method, body in (("GET", None), ("POST", "outcome=complete")):
        connection = http.client.HTTPConnection(parts.netloc, timeout=10)
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        connection.request(method, parts.path, body=body, headers=headers)
        connection.getresponse().read()
        connection.close()


def test_two_concurrent_pay_nows_make_one_run_and_one_transfer_per_member(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    services_app.config["PAYOUT_THRESHOLD_CENTS"] = 1_000
    client = services_app.test_client()
    buyer = Factory().buyer()
    admin = Factory().admin()
    buyer_headers = api_token(client, buyer.email)
    admin_headers = api_token(client, admin.email)
    catalogues = [Catalogue() for _ in range(2)]
    accounts: dict[int, str] = {}
    orders: list[int] = []
    for n, catalogue in enumerate(catalogues):
        photo = catalogue.add(f"Payout photo {n}", "payout")
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

        member = catalogue.member
        member_headers = api_token(client, member.user.email)
        started = client.post("/api/v1/me/payout-account", headers=member_headers)
        assert started.status_code == 200, started.get_json()
        _onboard(started.get_json()["onboarding_url"])
        account = payouts.payout_account(db.session(), member.id)
        assert account is not None
        assert account.stripe_account_id
        accounts[member.id] = account.stripe_account_id
        event = make_event("account.updated", {"id": account.stripe_account_id})
        _signed_post(client, "/webhooks/stripe/connect", event)

    def ready() -> bool:
        db.session.expire_all()
        paid = all(db.session.get(Order, o).status == "paid" for o in orders)  # type: ignore[union-attr]
        return paid and all(
            payouts.ready_payout_account(db.session(), m) == a for m, a in accounts.items()
        )

    _wait_for(ready)
    due = {m: ledger.member_balance(db.session(), m, "USD") for m in accounts}
    assert all(amount >= 1_000 for amount in due.values())

    def pay_now(_: int) -> dict[str, Any]:
        with services_app.app_context():
            response = services_app.test_client().post(
                "/api/v1/admin/royalty-payouts", json={}, headers=admin_headers
            )
            assert response.status_code == 202, response.get_json()
            return response.get_json()  # type: ignore[no-any-return]

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(pay_now, range(4)))
    run_ids = {a["id"] for a in answers}
    assert len(run_ids) == 1
    [run_id] = run_ids

    def done() -> bool:
        db.session.expire_all()
        run = db.session.get(PayoutRun, run_id)
        return run is not None and run.status == "done"

    _wait_for(done)
    body = client.get(f"/api/v1/admin/royalty-payouts/{run_id}", headers=admin_headers).get_json()
    ours = [line for line in body["lines"] if line["member_id"] in accounts]
    assert {line["member_id"]: line["amount_cents"] for line in ours} == due
    assert all(line["status"] == "sent" for line in ours)

    stripe = stripe_client(stripe_emulator.base_url)
    session = db.session()
    for member_id, account_id in accounts.items():
        transfers = list(stripe.v1.transfers.list({"destination": account_id}).auto_paging_iter())
        assert [t.amount for t in transfers] == [due[member_id]]
        key = f"payout-line:{transfers[0].metadata['payout_line_id']}"
        entries = session.execute(
            sa.select(JournalEntry).where(JournalEntry.idempotency_key == key)
        ).scalars()
        assert len(list(entries)) == 1
        assert ledger.member_balance(session, member_id, "USD") == 0
    balance = ledger.trial_balance(session, "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
