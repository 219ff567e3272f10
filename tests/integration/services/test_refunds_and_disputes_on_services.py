"""Refunds and disputes on the production stack: PostgreSQL, Redis and the real Celery worker.

Every step goes through what the pages and the API call: the admin API asks for a refund and
the worker sends it to the Stripe emulator; disputes arrive as signed webhooks over HTTP and the
worker applies them. On SQLite all of this passed while PostgreSQL refused every refund
("FOR UPDATE cannot be applied to the nullable side of an outer join").
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import royalty_split
from marketplace.ledger.models import JournalEntry
from marketplace.licensing.models import Licence
from marketplace.orders.models import Order
from marketplace.payments.models import Refund, StripeEvent
from tests.fixtures.factories import Factory
from tests.fixtures.payments import dispute_event, stripe_event
from tests.fixtures.shop import Shop, order_status, post_signed, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def _order(shop: Shop, order_id: int) -> dict[str, Any]:
    response = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()  # type: ignore[no-any-return]


def _paid_order(shop: Shop, assets: list[int]) -> dict[str, Any]:
    order_id = shop.order(assets)
    assert shop.pay(order_id)["status"] == "processing"
    # The emulator delivers payment_intent.succeeded to the app; the worker settles it.
    wait_for(lambda: order_status(order_id) == "paid")
    return _order(shop, order_id)


def _royalties_due(member_id: int) -> int:
    db.session.expire_all()
    return ledger.member_balance(db.session(), member_id, "USD")


def _royalty(items: list[dict[str, Any]]) -> int:
    session = db.session()
    total = 0
    for item in items:
        licence = session.execute(
            sa.select(Licence).where(Licence.order_item_id == item["id"])
        ).scalar_one()
        total += royalty_split(licence.price_cents, licence.terms.royalty_bps)[0]
    return total


def _downloads(shop: Shop, order: dict[str, Any]) -> dict[int, int]:
    """Each licence's download answer (its status code), by asset."""
    return {
        lic["asset_id"]: shop.client.get(
            f"/api/v1/licences/{lic['id']}/download", headers=shop.headers
        ).status_code
        for lic in order["licences"]
    }


def _refund(shop: Shop, admin: dict[str, str], order_id: int, items: list[int] | None) -> int:
    response = shop.client.post(
        f"/api/v1/admin/orders/{order_id}/refund",
        json={} if items is None else {"items": items},
        headers=admin,
    )
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "requested"
    refund_id = int(response.get_json()["id"])

    def settled() -> bool:
        db.session.expire_all()
        refund = db.session.get(Refund, refund_id)
        return refund is not None and refund.status == "succeeded"

    wait_for(settled)
    return refund_id


def _balanced() -> None:
    db.session.expire_all()
    balance = ledger.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents


def _entry_exists(key: str) -> bool:
    db.session.expire_all()
    found = db.session.execute(
        sa.select(sa.func.count())
        .select_from(JournalEntry)
        .where(JournalEntry.idempotency_key == key)
    ).scalar_one()
    assert found <= 1, f"{found} journal entries for {key}"
    return found == 1


def _events_processed() -> bool:
    db.session.expire_all()
    pending = db.session.execute(
        sa.select(sa.func.count()).select_from(StripeEvent).where(StripeEvent.status != "processed")
    ).scalar_one()
    return pending == 0


def test_partial_then_whole_refund_through_the_admin_api_and_the_worker(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    member_id = shop.catalogue.member.id
    assets = [shop.catalogue.add(f"Refund pier {n}", "pier") for n in range(3)]
    due_before = _royalties_due(member_id)
    order = _paid_order(shop, assets)
    items = order["items"]
    sold_royalty = _royalty(items)
    assert _royalties_due(member_id) == due_before + sold_royalty

    # A partial refund of the first item.
    first = _refund(shop, admin, order["id"], [items[0]["id"]])
    assert order_status(order["id"]) == "partially_refunded"
    assert _entry_exists(f"refund:{first}")
    downloads = _downloads(shop, _order(shop, order["id"]))
    assert downloads[items[0]["asset_id"]] == 410
    assert {downloads[item["asset_id"]] for item in items[1:]} != {410}
    assert _royalties_due(member_id) == due_before + sold_royalty - _royalty(items[:1])
    _balanced()

    # "Everything left": the other two.
    rest = _refund(shop, admin, order["id"], None)
    assert order_status(order["id"]) == "refunded"
    assert _entry_exists(f"refund:{rest}")
    assert set(_downloads(shop, _order(shop, order["id"])).values()) == {410}
    assert _royalties_due(member_id) == due_before
    _balanced()

    # Stripe holds exactly the two refunds, for exactly what was paid.
    intent_id = db.session.get(Order, order["id"]).payment_intent_id  # type: ignore[union-attr]
    refunds = stripe_client(stripe_emulator.base_url).v1.refunds.list({"payment_intent": intent_id})
    assert sorted(r.amount for r in refunds.data) == sorted(
        [items[0]["price_cents"], sum(i["price_cents"] for i in items[1:])]
    )

    # Stripe's charge.refunded for those refunds, signed over HTTP: recognised, not applied again.
    charge_id = db.session.get(Order, order["id"]).charge_id  # type: ignore[union-attr]
    assert post_signed(webhooks_to_app, stripe_event("charge.refunded", {"id": charge_id})) == 200
    wait_for(_events_processed)
    assert _royalties_due(member_id) == due_before
    assert _entry_exists(f"refund:{first}")
    assert _entry_exists(f"refund:{rest}")
    # Nothing left to refund: a second refund is refused, not sent.
    again = shop.client.post(f"/api/v1/admin/orders/{order['id']}/refund", json={}, headers=admin)
    assert again.status_code == 409
    _balanced()


@pytest.mark.parametrize("outcome", ["lost", "won"])
def test_a_dispute_through_signed_webhooks_suspends_then_reverses_or_restores(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str, outcome: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    member_id = shop.catalogue.member.id
    assets = [shop.catalogue.add(f"Disputed dune {outcome} {n}", "dune") for n in range(2)]
    due_before = _royalties_due(member_id)
    order = _paid_order(shop, assets)
    sold_royalty = _royalty(order["items"])
    charge_id = db.session.get(Order, order["id"]).charge_id  # type: ignore[union-attr]
    assert charge_id
    dispute_id = f"dp_services_{outcome}_{order['id']}"

    opened = dispute_event(
        "charge.dispute.created", dispute_id, charge_id, order["total_cents"], "needs_response"
    )
    assert post_signed(webhooks_to_app, opened) == 200
    wait_for(lambda: order_status(order["id"]) == "disputed")
    assert set(_downloads(shop, _order(shop, order["id"])).values()) == {410}

    closed = dispute_event(
        "charge.dispute.closed", dispute_id, charge_id, order["total_cents"], outcome
    )
    assert post_signed(webhooks_to_app, closed) == 200
    # A replayed opening after the close changes nothing.
    assert post_signed(webhooks_to_app, opened) == 200
    wait_for(_events_processed)
    if outcome == "lost":
        assert order_status(order["id"]) == "refunded"
        assert _entry_exists(f"dispute:{dispute_id}:lost")
        assert set(_downloads(shop, _order(shop, order["id"])).values()) == {410}
        assert _royalties_due(member_id) == due_before
    else:
        assert order_status(order["id"]) == "paid"
        assert not _entry_exists(f"dispute:{dispute_id}:lost")
        assert 410 not in _downloads(shop, _order(shop, order["id"])).values()
        assert _royalties_due(member_id) == due_before + sold_royalty
    _balanced()
