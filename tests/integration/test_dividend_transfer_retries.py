"""A transfer retried after Stripe forgot its idempotency key (24 hours) is not made twice.

SQLite, tasks inline, the real Stripe emulator: the first attempt makes the transfer and its
answer is lost (the worker dies before the commit); the emulator then forgets every key, as
Stripe does a day later; the retry must find the transfer by its run's transfer group and
destination and adopt it, not make a second one.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest
import sqlalchemy as sa
import stripe
from flask import Flask

from marketplace.dividends import paying, redemptions, services
from marketplace.dividends.models import DividendAllocation, RedemptionLine
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry
from stripe_emulator.connect import FORGET_PATH
from tests.fixtures.dividends import Coop, by_member, member_id
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.integration.test_redemptions import REDEMPTIONS


def _post(emulator: StripeEmulator, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(  # noqa: S310 - loopback
        emulator.base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.load(response)


def ready_account(client: stripe.StripeClient, emulator: StripeEmulator) -> str:
    account = client.v1.accounts.create(
        params={
            "type": "express",
            "country": "US",
            "capabilities": {"transfers": {"requested": True}},
        }
    )
    state = {"payouts_enabled": True, "transfers": "active", "currently_due": []}
    _post(emulator, f"/_config/connect/accounts/{account.id}/state", state)
    return account.id


def forget_keys(emulator: StripeEmulator) -> None:
    assert _post(emulator, FORGET_PATH, {})["forgotten"] >= 1


def transfers_to(client: stripe.StripeClient, account_id: str) -> list[Any]:
    page = client.v1.transfers.list(params={"destination": account_id, "limit": 100})
    return list(page.auto_paging_iter())


def entries(key: str) -> list[JournalEntry]:
    query = sa.select(JournalEntry).where(JournalEntry.idempotency_key == key)
    return list(db.session.execute(query).scalars())


def lost_answer(**kwargs: Any) -> str:
    """Stripe makes the transfer; the worker dies before recording it."""
    services.stripe_transfer(**kwargs)
    raise RuntimeError("worker killed before the commit")


@pytest.fixture
def client(stripe_emulator: StripeEmulator) -> stripe.StripeClient:
    return stripe_client(stripe_emulator.base_url)


def test_the_emulator_forgets_keys_like_stripe_after_a_day(
    shop_app: Flask, stripe_emulator: StripeEmulator, client: stripe.StripeClient
) -> None:
    account = ready_account(client, stripe_emulator)
    params: Any = {"amount": 300, "currency": "usd", "destination": account}
    first = client.v1.transfers.create(params=params, options={"idempotency_key": "forget-me"})
    again = client.v1.transfers.create(params=params, options={"idempotency_key": "forget-me"})
    assert again.id == first.id
    forget_keys(stripe_emulator)
    # What the app guards against: the same key, a day later, makes a second transfer.
    later = client.v1.transfers.create(params=params, options={"idempotency_key": "forget-me"})
    assert later.id != first.id
    assert len(transfers_to(client, account)) == 2


def _approved_run_paying_one_artist(
    shop_app: Flask,
    stripe_emulator: StripeEmulator,
    client: stripe.StripeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[Coop, dict[str, Any], int, str]:
    """An approved run in which only artist A has an account that can receive transfers:
    (the co-op, the run, A's member id, A's connected account)."""
    coop = Coop(shop_app)
    a = member_id(coop.artist_a)
    account = ready_account(client, stripe_emulator)
    monkeypatch.setattr(services, "ready_payout_account", lambda s, m: account if m == a else None)
    run = coop.draft()
    coop.approve(run["id"])
    return coop, run, a, account


def test_a_dividend_retried_after_the_key_expired_adopts_the_transfer(
    shop_app: Flask,
    stripe_emulator: StripeEmulator,
    client: stripe.StripeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coop, run, a, account = _approved_run_paying_one_artist(
        shop_app, stripe_emulator, client, monkeypatch
    )
    allocation_id = by_member(run)[a]["id"]

    with pytest.raises(RuntimeError, match="worker killed"):
        paying.pay_allocation(allocation_id, payer=lost_answer)
    assert len(transfers_to(client, account)) == 1
    forget_keys(stripe_emulator)
    paying.pay_allocation(allocation_id)
    paying.pay_allocation(allocation_id)

    [transfer] = transfers_to(client, account)
    assert transfer.transfer_group == f"dividend-run-{run['id']}"
    assert transfer.metadata["dividend_allocation_id"] == str(allocation_id)
    db.session.expire_all()
    allocation = db.session.get(DividendAllocation, allocation_id)
    assert allocation is not None
    assert allocation.status == "paid"
    assert allocation.stripe_transfer_id == transfer.id
    [entry] = entries(f"dividend_payment:{allocation_id}")
    assert transfer.id in entry.description
    assert sum(line.debit_cents for line in entry.lines) == transfer.amount
    balance = ledger.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents


def test_another_allocations_transfer_is_not_adopted(
    shop_app: Flask,
    stripe_emulator: StripeEmulator,
    client: stripe.StripeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coop, run, a, account = _approved_run_paying_one_artist(
        shop_app, stripe_emulator, client, monkeypatch
    )
    allocation_id = by_member(run)[a]["id"]
    cash = by_member(run)[a]["cash_cents"]
    # Same destination, group and amount, but another payment's metadata (its own token).
    decoy = client.v1.transfers.create(
        params={
            "amount": cash,
            "currency": "usd",
            "destination": account,
            "transfer_group": f"dividend-run-{run['id']}",
            "metadata": {"dividend_allocation_id": str(allocation_id), "transfer_token": "other"},
        }
    )

    paying.pay_allocation(allocation_id)

    made = [t.id for t in transfers_to(client, account)]
    assert len(made) == 2
    db.session.expire_all()
    allocation = db.session.get(DividendAllocation, allocation_id)
    assert allocation is not None
    assert allocation.stripe_transfer_id in made
    assert allocation.stripe_transfer_id != decoy.id


def test_a_redemption_retried_after_the_key_expired_adopts_the_transfer(
    shop_app: Flask,
    stripe_emulator: StripeEmulator,
    client: stripe.StripeClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    coop, run, a, account = _approved_run_paying_one_artist(
        shop_app, stripe_emulator, client, monkeypatch
    )
    coop.pay(run["id"])
    year = int(run["period_end"][:4])
    response = coop.client.post(REDEMPTIONS, json={"year": year}, headers=coop.drafter_headers)
    assert response.status_code == 201, response.get_json()
    redemption = response.get_json()
    line_id = next(line["id"] for line in redemption["lines"] if line["member_id"] == a)

    with pytest.raises(RuntimeError, match="worker killed"):
        redemptions.pay_line(line_id, payer=lost_answer)
    forget_keys(stripe_emulator)
    redemptions.pay_line(line_id)

    group = f"redemption-run-{redemption['id']}"
    ours = [t for t in transfers_to(client, account) if t.transfer_group == group]
    assert len(ours) == 1
    db.session.expire_all()
    line = db.session.get(RedemptionLine, line_id)
    assert line is not None
    assert line.status == "paid"
    assert line.stripe_transfer_id == ours[0].id
