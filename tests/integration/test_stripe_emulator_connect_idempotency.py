"""Idempotency keys in our Stripe Connect emulator, as Stripe keeps them: a replay answers the
first result, a changed request is refused, and keys and Connect data survive a restart.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import stripe

from tests.fixtures.connect import (
    client_fixture,  # noqa: F401 - a fixture, found here by pytest as ``client``
    emulator_fixture,  # noqa: F401 - a fixture, found here by pytest as ``emulator``
    enable_transfers,
    express_account,
    ready_account,
)
from tests.fixtures.stripe_emulator import StripeEmulator, running_stripe_emulator, stripe_client


def test_idempotent_transfer_is_created_once(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    account = ready_account(client, emulator)
    params: stripe.TransferCreateParams = {
        "amount": 700,
        "currency": "usd",
        "destination": account.id,
        "metadata": {"payout_id": "p-7"},
    }

    first = client.v1.transfers.create(params, {"idempotency_key": "payout-p-7"})
    again = client.v1.transfers.create(params, {"idempotency_key": "payout-p-7"})
    with pytest.raises(stripe.IdempotencyError) as changed:
        client.v1.transfers.create({**params, "amount": 701}, {"idempotency_key": "payout-p-7"})

    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    listed = client.v1.transfers.list(params={"destination": account.id})
    assert [t.id for t in listed.data] == [first.id]
    assert changed.value.http_status == 400
    assert str(changed.value.user_message) == (
        "Keys for idempotent requests can only be used with the same parameters they were "
        "first used with. Try using a key other than 'payout-p-7' if you meant to execute a "
        "different request."
    )


def test_idempotency_key_is_bound_to_its_endpoint(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    account = ready_account(client, emulator)
    transfer = client.v1.transfers.create(
        params={"amount": 500, "currency": "usd", "destination": account.id},
        options={"idempotency_key": "shared-key"},
    )

    with pytest.raises(stripe.IdempotencyError):
        client.v1.transfers.reversals.create(
            transfer.id, params={"amount": 1}, options={"idempotency_key": "shared-key"}
        )


def test_refusal_is_replayed_for_the_same_key(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    """A refusal by the endpoint is a result: the key stays bound to it, as at Stripe."""
    account = express_account(client)
    params: stripe.TransferCreateParams = {
        "amount": 100,
        "currency": "usd",
        "destination": account.id,
    }
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(params, {"idempotency_key": "too-early"})
    enable_transfers(emulator, account.id)

    with pytest.raises(stripe.InvalidRequestError) as replayed:
        client.v1.transfers.create(params, {"idempotency_key": "too-early"})
    transfer = client.v1.transfers.create(params, {"idempotency_key": "after-onboarding"})

    assert replayed.value.code == "insufficient_capabilities_for_transfer"
    assert transfer.destination == account.id


def test_idempotent_account_and_link(client: stripe.StripeClient) -> None:
    params: stripe.AccountCreateParams = {
        "type": "express",
        "email": "idem@example.org",
        "capabilities": {"transfers": {"requested": True}},
    }
    first = client.v1.accounts.create(params, {"idempotency_key": "member-9-account"})
    again = client.v1.accounts.create(params, {"idempotency_key": "member-9-account"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.accounts.create(
            {**params, "email": "other@example.org"}, {"idempotency_key": "member-9-account"}
        )

    assert again.id == first.id


def test_connect_data_and_keys_survive_restart(tmp_path: Path) -> None:
    state_dir = tmp_path / "state"
    params: stripe.TransferCreateParams = {"amount": 50, "currency": "usd", "destination": ""}
    with running_stripe_emulator(state_dir) as first_run:
        client = stripe_client(first_run.base_url)
        account = ready_account(client, first_run)
        params["destination"] = account.id
        transfer = client.v1.transfers.create(params, {"idempotency_key": "kept"})
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 10})

    with running_stripe_emulator(state_dir) as second_run:
        client = stripe_client(second_run.base_url)
        fetched = client.v1.transfers.retrieve(transfer.id)
        replayed = client.v1.transfers.create(params, {"idempotency_key": "kept"})
        capabilities = client.v1.accounts.retrieve(account.id).capabilities

    assert fetched.amount_reversed == 10
    assert replayed.id == transfer.id
    assert capabilities is not None
    assert capabilities.transfers == "active"
