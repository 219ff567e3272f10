"""Stripe's payouts to the bank on PostgreSQL, through the webhook and the real worker: a payout
delivered twice (and announced again by another event) is booked once as Bank <- Stripe
clearing; one that fails after it was paid comes back once; the reconciliation page lists
what the imported bank statement does not explain."""

from __future__ import annotations

import secrets
import time
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger.models import JournalEntry
from marketplace.payments.bank_payouts_models import BankPayout
from tests.fixtures.factories import Factory
from tests.fixtures.payments import deliver, stripe_event
from tests.fixtures.shop import wait_for
from tests.fixtures.web import AuthActions, post_form

pytestmark = pytest.mark.services

ARRIVAL = 1_772_582_400  # 2026-03-04 00:00 UTC
PAGE = "/admin/bank-reconciliation/"


def _payout(payout_id: str, status: str, **more: Any) -> dict[str, Any]:
    return {
        "id": payout_id,
        "object": "payout",
        "amount": 125_000,
        "currency": "usd",
        "arrival_date": ARRIVAL,
        "balance_transaction": f"txn_{payout_id}",
        "status": status,
        **more,
    }


def _keys(payout_id: str) -> list[str]:
    db.session.expire_all()
    return sorted(
        db.session.execute(
            sa.select(JournalEntry.idempotency_key).where(
                JournalEntry.idempotency_key.like(f"%:{payout_id}")
            )
        ).scalars()
    )


def test_a_payout_delivered_twice_is_booked_once_and_a_failed_one_comes_back_once(
    services_app: Flask,
) -> None:
    client = services_app.test_client()
    payout_id = f"po_{secrets.token_hex(8)}"
    paid = stripe_event("payout.paid", _payout(payout_id, "paid"))
    assert deliver(client, paid).status_code == 200
    assert deliver(client, paid).status_code == 200  # Stripe retried: the same event
    again = stripe_event("payout.paid", _payout(payout_id, "paid"))
    assert deliver(client, again).status_code == 200  # another event, the same payout
    wait_for(lambda: _keys(payout_id) == [f"bank_payout:{payout_id}"])
    time.sleep(1)  # let the last event's task finish: it must add nothing
    assert _keys(payout_id) == [f"bank_payout:{payout_id}"]
    row = db.session.execute(
        sa.select(BankPayout).where(BankPayout.stripe_payout_id == payout_id)
    ).scalar_one()
    assert (row.status, row.amount_cents, row.arrival_date.isoformat()) == (
        "paid",
        125_000,
        "2026-03-04",
    )

    failed = stripe_event(
        "payout.failed", _payout(payout_id, "failed", failure_message="The account is closed.")
    )
    assert deliver(client, failed).status_code == 200
    assert deliver(client, failed).status_code == 200
    expected = sorted([f"bank_payout:{payout_id}", f"bank_payout_return:{payout_id}"])
    wait_for(lambda: _keys(payout_id) == expected)
    time.sleep(1)
    assert _keys(payout_id) == expected


def test_the_reconciliation_page_lists_what_the_statement_does_not_explain(
    services_app: Flask,
) -> None:
    client = services_app.test_client()
    matched_id, missing_id = f"po_{secrets.token_hex(8)}", f"po_{secrets.token_hex(8)}"
    deliver(client, stripe_event("payout.paid", _payout(matched_id, "paid", amount=31_337)))
    deliver(client, stripe_event("payout.paid", _payout(missing_id, "paid", amount=4_242)))
    wait_for(lambda: len(_keys(matched_id)) == 1 and len(_keys(missing_id)) == 1)

    admin = Factory().admin()
    AuthActions(client).login(admin.email)
    statement = (
        "date,amount,description\n"
        "2026-03-05,313.37,STRIPE PAYOUT\n"
        "2026-03-06,-19.99,Card machine rental\n"
    )
    page = post_form(
        client,
        "/admin/bank-reconciliation/statement",
        {"lines": statement},
        from_page=PAGE,
        follow_redirects=True,
    )
    assert page.status_code == 200, page.text
    assert "2 statement lines imported (0 were imported before)" in page.text
    assert missing_id in page.text
    assert matched_id not in page.text
    assert "Card machine rental" in page.text
    assert "-$19.99" in page.text or "−$19.99" in page.text
    again = post_form(
        client,
        "/admin/bank-reconciliation/statement",
        {"lines": statement},
        from_page=PAGE,
        follow_redirects=True,
    )
    assert "0 statement lines imported (2 were imported before)" in again.text
    refused = post_form(
        client,
        "/admin/bank-reconciliation/statement",
        {"lines": "date,amount,description\n2026-03-05,abc,x\n"},
        from_page=PAGE,
    )
    assert refused.status_code == 422
    assert "Line 2: the amount" in refused.text
