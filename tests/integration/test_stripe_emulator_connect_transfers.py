"""Stripe Connect transfers and their reversals in our emulator: refused until the destination
can receive, filtered lists, and reversals up to the amount transferred, through stripe-python.
"""

from __future__ import annotations

import pytest
import stripe

from tests.fixtures.connect import (
    assert_conforms,
    assert_list_conforms,
    client_fixture,  # noqa: F401 - a fixture, found here by pytest as ``client``
    emulator_fixture,  # noqa: F401 - a fixture, found here by pytest as ``emulator``
    express_account,
    onboard,
    post_json,
    raw,
    ready_account,
)
from tests.fixtures.stripe_emulator import StripeEmulator


def test_transfer_refused_until_the_destination_can_receive(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    account = express_account(client)
    params: stripe.TransferCreateParams = {
        "amount": 1250,
        "currency": "usd",
        "destination": account.id,
        "transfer_group": "payout-run-1",
        "metadata": {"payout_id": "p-1"},
    }

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(params)
    onboard(client, account.id)
    transfer = client.v1.transfers.create(params)

    assert refused.value.http_status == 400
    assert refused.value.code == "insufficient_capabilities_for_transfer"
    assert "at least one of the following capabilities enabled: transfers" in str(
        refused.value.user_message
    )
    assert_conforms(transfer, "transfer")
    assert transfer.id.startswith("tr_")
    assert transfer.amount == 1250
    assert transfer.amount_reversed == 0
    assert transfer.reversed is False
    assert transfer.destination == account.id
    assert transfer.transfer_group == "payout-run-1"
    assert raw(transfer)["metadata"] == {"payout_id": "p-1"}
    fetched = client.v1.transfers.retrieve(transfer.id)
    assert_conforms(fetched, "transfer")
    assert fetched.id == transfer.id


def test_transfer_to_unknown_account_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={"amount": 100, "currency": "usd", "destination": "acct_nobody"}
        )
    assert refused.value.code == "resource_missing"
    assert refused.value.param == "destination"


@pytest.mark.parametrize("amount", [0, -5])
def test_transfer_amount_must_be_positive(
    client: stripe.StripeClient, emulator: StripeEmulator, amount: int
) -> None:
    account = ready_account(client, emulator)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.create(
            params={"amount": amount, "currency": "usd", "destination": account.id}
        )
    assert refused.value.param == "amount"


def test_state_helper_blocks_and_unblocks_transfers(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    account = ready_account(client, emulator)
    client.v1.transfers.create(params={"amount": 1, "currency": "usd", "destination": account.id})

    blocked = post_json(
        emulator,
        f"/_config/connect/accounts/{account.id}/state",
        {
            "transfers": "inactive",
            "payouts_enabled": False,
            "currently_due": ["individual.dob.day"],
        },
    )

    assert_conforms(blocked, "account")
    assert blocked["requirements"]["currently_due"] == ["individual.dob.day"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.transfers.create(
            params={"amount": 1, "currency": "usd", "destination": account.id}
        )


def test_transfers_are_filtered_by_destination_and_group(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    alice = ready_account(client, emulator)
    bob = ready_account(client, emulator)
    first = client.v1.transfers.create(
        params={"amount": 100, "currency": "usd", "destination": alice.id, "transfer_group": "g1"}
    )
    second = client.v1.transfers.create(
        params={"amount": 200, "currency": "usd", "destination": alice.id, "transfer_group": "g2"}
    )
    client.v1.transfers.create(
        params={"amount": 300, "currency": "usd", "destination": bob.id, "transfer_group": "g1"}
    )

    to_alice = client.v1.transfers.list(params={"destination": alice.id})
    alice_g1 = client.v1.transfers.list(params={"destination": alice.id, "transfer_group": "g1"})
    paged = client.v1.transfers.list(params={"destination": alice.id, "limit": 1})

    assert_list_conforms(to_alice, "transfer")
    assert [t.id for t in to_alice.data] == [second.id, first.id]
    assert [t.id for t in alice_g1.data] == [first.id]
    assert [t.id for t in paged.auto_paging_iter()] == [second.id, first.id]


def test_reversals_up_to_the_amount_transferred(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    account = ready_account(client, emulator)
    transfer = client.v1.transfers.create(
        params={"amount": 1000, "currency": "usd", "destination": account.id}
    )

    partial = client.v1.transfers.reversals.create(
        transfer.id, params={"amount": 300, "metadata": {"refund": "r-1"}}
    )
    replayed = client.v1.transfers.reversals.create(
        transfer.id,
        params={"amount": 300, "metadata": {"refund": "r-1"}},
        options={"idempotency_key": "reverse-r-1"},
    )
    replayed_again = client.v1.transfers.reversals.create(
        transfer.id,
        params={"amount": 300, "metadata": {"refund": "r-1"}},
        options={"idempotency_key": "reverse-r-1"},
    )
    with pytest.raises(stripe.InvalidRequestError) as beyond:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 401})
    rest = client.v1.transfers.reversals.create(transfer.id)
    with pytest.raises(stripe.InvalidRequestError) as nothing_left:
        client.v1.transfers.reversals.create(transfer.id, params={"amount": 1})
    fetched = client.v1.transfers.retrieve(transfer.id)
    listed = client.v1.transfers.reversals.list(transfer.id)

    for reversal in (partial, replayed, rest):
        assert_conforms(reversal, "transfer_reversal")
        assert reversal.transfer == transfer.id
    assert partial.id.startswith("trr_")
    assert partial.amount == 300
    assert raw(partial)["metadata"] == {"refund": "r-1"}
    assert replayed_again.id == replayed.id != partial.id
    assert beyond.value.param == "amount"
    assert "401" in str(beyond.value.user_message)
    assert rest.amount == 400
    assert nothing_left.value.param == "amount"
    assert_conforms(fetched, "transfer")
    assert fetched.amount_reversed == 1000
    assert fetched.reversed is True
    assert_list_conforms(listed, "transfer_reversal")
    assert [r.id for r in listed.data] == [rest.id, replayed.id, partial.id]
    assert client.v1.transfers.reversals.retrieve(transfer.id, rest.id).amount == 400


def test_reversal_of_unknown_transfer(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.transfers.reversals.create("tr_nothing", params={"amount": 1})
    assert refused.value.http_status == 404
    assert refused.value.code == "resource_missing"
