"""Payouts to the co-op's bank in our Stripe emulator, through stripe-python: created pending
with a ``payout`` balance transaction, read and listed with Stripe's ``arrival_date`` filters,
settled paid (``payout.paid`` delivered signed) or failed (``payout.failed`` and a
``payout_failure`` balance transaction), every object checked against Stripe's published
schemas (tests/data/stripe_openapi_payouts.json)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import stripe

from tests.fixtures.connect import (
    WebhookReceiver,
    client_fixture,  # noqa: F401 - a fixture, found here by pytest as ``client``
    emulator_fixture,  # noqa: F401 - a fixture, found here by pytest as ``emulator``
    post_json,
    raw,
    receiver_fixture,  # noqa: F401 - a fixture, found here by pytest as ``receiver``
)
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.stripe_schema import schema_errors
from tests.fixtures.stripe_schema_payouts import PAYOUTS_SUBSET, ROOT_SCHEMAS


def conforms(obj: stripe.StripeObject | dict[str, Any], schema: str) -> None:
    data = obj if isinstance(obj, dict) else raw(obj)
    assert schema_errors(data, schema, PAYOUTS_SUBSET) == []


def test_the_subset_holds_the_payout_schemas_in_full() -> None:
    schemas = json.loads(PAYOUTS_SUBSET.read_text())["components"]["schemas"]
    assert all("x-stub" not in schemas[name] for name in ROOT_SCHEMAS)
    assert "payout_failure" in schemas["balance_transaction"]["properties"]["type"]["enum"]
    # The check can fail: a payout without its status does not conform.
    assert schema_errors({"id": "po_1", "object": "payout"}, "payout", PAYOUTS_SUBSET)


def test_a_payout_is_created_read_listed_and_paid(
    client: stripe.StripeClient, emulator: StripeEmulator, receiver: WebhookReceiver
) -> None:
    payout = client.v1.payouts.create(
        params={"amount": 12_345, "currency": "usd", "description": "To the co-op's bank"}
    )
    conforms(payout, "payout")
    assert (payout.status, payout.amount, payout.currency) == ("pending", 12_345, "usd")
    transaction = client.v1.balance_transactions.retrieve(str(payout.balance_transaction))
    conforms(transaction, "balance_transaction")
    assert (transaction.type, transaction.amount, transaction.source) == (
        "payout",
        -12_345,
        payout.id,
    )
    conforms(receiver.wait_for("payout.created", payout.id).to_dict(), "event")

    fetched = client.v1.payouts.retrieve(payout.id)
    conforms(fetched, "payout")
    assert fetched.arrival_date == payout.arrival_date
    arriving = client.v1.payouts.list(
        params={"arrival_date": {"gte": payout.arrival_date}, "limit": 100}
    )
    assert payout.id in [p.id for p in arriving.data]
    for listed in raw(arriving)["data"]:
        conforms(listed, "payout")
    later = client.v1.payouts.list(params={"arrival_date": {"gt": payout.arrival_date}})
    assert payout.id not in [p.id for p in later.data]
    assert payout.id not in [
        p.id for p in client.v1.payouts.list(params={"status": "paid", "limit": 100}).data
    ]

    paid = post_json(emulator, f"/_config/payouts/{payout.id}/state", {"status": "paid"})
    conforms(paid, "payout")
    assert paid["status"] == "paid"
    event = receiver.wait_for("payout.paid", payout.id)
    conforms(event.to_dict(), "event")
    assert event.data.object["amount"] == 12_345
    assert payout.id in [
        p.id for p in client.v1.payouts.list(params={"status": "paid", "limit": 100}).data
    ]


def test_a_failed_payout_brings_the_money_back_and_a_lost_event_is_not_sent(
    client: stripe.StripeClient, emulator: StripeEmulator, receiver: WebhookReceiver
) -> None:
    payout = client.v1.payouts.create(params={"amount": 5_000, "currency": "usd"})
    failed = post_json(
        emulator, f"/_config/payouts/{payout.id}/state", {"status": "failed", "deliver": False}
    )
    conforms(failed, "payout")
    assert (failed["status"], failed["failure_code"]) == ("failed", "account_closed")
    back = client.v1.balance_transactions.retrieve(failed["failure_balance_transaction"])
    conforms(back, "balance_transaction")
    assert (back.type, back.amount, back.source) == ("payout_failure", 5_000, payout.id)
    receiver.wait_for("payout.created", payout.id)
    assert not [
        e
        for e in receiver.events()
        if e.type == "payout.failed" and e.data.object["id"] == payout.id
    ]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payouts.create(params={"amount": 0, "currency": "usd"})
