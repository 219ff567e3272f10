"""Stripe Connect events from our emulator: account and transfer changes are delivered signed to
a registered webhook endpoint, and readable through the API.
"""

from __future__ import annotations

import stripe

from tests.fixtures.connect import (
    WebhookReceiver,
    assert_conforms,
    client_fixture,  # noqa: F401 - a fixture, found here by pytest as ``client``
    emulator_fixture,  # noqa: F401 - a fixture, found here by pytest as ``emulator``
    enable_transfers,
    express_account,
    onboard,
    receiver_fixture,  # noqa: F401 - a fixture, found here by pytest as ``receiver``
)
from tests.fixtures.stripe_emulator import StripeEmulator


def test_events_are_delivered_signed(
    client: stripe.StripeClient, emulator: StripeEmulator, receiver: WebhookReceiver
) -> None:
    account = express_account(client)
    onboard(client, account.id)
    transfer = client.v1.transfers.create(
        params={"amount": 900, "currency": "usd", "destination": account.id},
        options={"idempotency_key": "events-transfer"},
    )
    client.v1.transfers.reversals.create(transfer.id, params={"amount": 100})

    updated = receiver.wait_for("account.updated", account.id)
    created = receiver.wait_for("transfer.created", transfer.id)
    reversed_ = receiver.wait_for("transfer.reversed", transfer.id)

    for event in (updated, created, reversed_):
        assert_conforms(event.to_dict(), "event")
        assert event.id.startswith("evt_")
        assert event.livemode is False
    assert updated.account == account.id
    assert updated.data.object["capabilities"]["transfers"] == "active"
    previous = updated.to_dict()["data"]["previous_attributes"]
    assert previous["capabilities"] == {"transfers": "inactive"}
    assert_conforms(updated.data.object.to_dict(), "account")
    assert created.data.object["amount"] == 900
    assert created.request is not None
    assert created.request.idempotency_key == "events-transfer"
    assert_conforms(created.data.object.to_dict(), "transfer")
    assert reversed_.data.object["amount_reversed"] == 100
    assert reversed_.data.previous_attributes["amount_reversed"] == 0
    assert_conforms(reversed_.data.object.to_dict(), "transfer")
    # Also readable through the API, as Stripe's events are.
    assert client.v1.events.retrieve(created.id).type == "transfer.created"


def test_state_helper_sends_account_updated(
    client: stripe.StripeClient, emulator: StripeEmulator, receiver: WebhookReceiver
) -> None:
    account = express_account(client)

    enable_transfers(emulator, account.id)

    event = receiver.wait_for("account.updated", account.id)
    assert event.data.object["payouts_enabled"] is True
    assert event.data.previous_attributes["payouts_enabled"] is False
