"""The sales-tax review's money defects, on the production stack (PostgreSQL, Redis, the real
Celery worker, the Stripe emulator delivering its signed webhooks): a duplicate payment of a
taxed order is refunded in full, tax included; royalties shown for an order taxed and paid in
another currency are the ones the ledger credited."""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order
from marketplace.orders.tax_report import TaxReportRow, tax_report
from marketplace.payments import tax_transactions
from marketplace.payments.models import Refund
from marketplace.payouts import earnings
from tests.fixtures.factories import Factory
from tests.fixtures.payments import THREE_D_SECURE_CARD, payment_method
from tests.fixtures.shop import Shop, assert_no_duplicates, order_status, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services

WASHINGTON = {"country": "US", "region": "WA"}


def _order(shop: Shop, asset: int, currency: str, billing: dict[str, str]) -> int:
    response = shop.client.post(
        "/api/v1/orders",
        json={
            "items": [{"asset_id": asset, "licence": "standard", "size": "M"}],
            "currency": currency,
            "billing": billing,
        },
        headers=shop.headers,
    )
    assert response.status_code == 201, response.get_json()
    return int(response.get_json()["id"])


def _authenticate(emulator: StripeEmulator, asked: dict[str, Any]) -> None:
    """What stripe.handleCardAction does in the page; the emulator then charges the card."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{emulator.base_url}/v1/payment_intents/{asked['payment_intent_id']}"
        "/_authenticate?success=true",
        data=json.dumps({"key": "pk_test_x", "client_secret": asked["client_secret"]}).encode(),
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - loopback
        pass


def _account_moves(order_id: int, code_prefix: str) -> dict[str, int]:
    """Per account (code starting with ``code_prefix``) and currency, the order's entries'
    debits less credits."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            LedgerAccount.code, JournalLine.currency, JournalLine.side, JournalLine.amount_cents
        )
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.order_id == order_id, LedgerAccount.code.startswith(code_prefix))
    ).all()
    moved: dict[str, int] = {}
    for code, currency, side, cents in rows:
        key = f"{code} {currency}"
        moved[key] = moved.get(key, 0) + (int(cents) if side == "debit" else -int(cents))
    return moved


def test_a_duplicate_taxed_payment_is_refunded_with_its_tax(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    """Two Washington orders (4500 + 293 tax) for one licence, the first paid after 3-D Secure
    once the second was: the first is refunded by settlement, 4793 at Stripe, tax recorded, so
    the tax the ledger reverses is the tax the buyer gets back."""
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Taxed duplicate harbour", "harbour")
    first = _order(shop, asset, "USD", WASHINGTON)
    second = _order(shop, asset, "USD", WASHINGTON)
    asked = shop.client.post(
        f"/api/v1/orders/{first}/payment",
        json={"payment_method": payment_method(stripe_emulator.base_url, THREE_D_SECURE_CARD)},
        headers=shop.headers,
    ).get_json()
    assert asked["status"] == "requires_action", asked
    shop.pay(second)
    wait_for(lambda: order_status(second) == "paid")
    _authenticate(stripe_emulator, asked)
    wait_for(lambda: order_status(first) == "refunded")

    order = db.session.get(Order, first)
    assert order is not None
    assert (order.subtotal_cents, order.tax_cents) == (4500, 293)
    refund = db.session.execute(sa.select(Refund).where(Refund.order_id == first)).scalar_one()
    assert refund.requested_by_id is None
    assert (refund.amount_cents, refund.tax_cents) == (4793, 293)
    stripe_refunds = stripe_client(stripe_emulator.base_url).v1.refunds.list(
        {"payment_intent": order.payment_intent_id}
    )
    assert [r.amount for r in stripe_refunds.data] == [order.total_cents]
    # The tax is owed to nobody any more, and the clearing account was credited with what
    # Stripe paid back (the refund's price and tax, as above).
    assert _account_moves(first, "2300") == {"2300-US-WA USD": 0}
    balance = ledger.trial_balance(db.session(), "USD")
    assert balance.total_debits_cents == balance.total_credits_cents
    assert_no_duplicates()


def test_royalties_of_a_taxed_order_paid_in_another_currency_are_those_posted(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    """A French consumer pays 3500 + 700 VAT in euros; the co-op receives dollars. The royalty
    the earnings page, API and studio show is the one the ledger credited to 2100: on the items'
    share of the dollars, the VAT's share left out."""
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Taxed euro harbour", "harbour")
    order_id = _order(shop, asset, "EUR", {"country": "FR", "postal_code": "69001"})
    shop.pay(order_id)
    wait_for(lambda: order_status(order_id) == "paid")
    db.session.expire_all()
    order = db.session.get(Order, order_id)
    assert order is not None
    assert (order.subtotal_cents, order.tax_cents) == (3500, 700)
    assert (order.settled_cents, order.settled_currency) == (4536, "USD")
    item = order.items[0]
    credited = -_account_moves(order_id, "2100").get("2100 USD", 0)
    # 70 % of the items' 3780 of the 4536 dollars (the VAT's 756 left out).
    assert credited == 1890
    posted = earnings.posted_royalties(
        db.session(), [(item.id, order.id, item.price_cents, item.royalty_bps, order.settled_cents)]
    )
    assert posted == {item.id: credited}
    shown = {sale.item_id: sale for sale in earnings.sales(db.session(), item.member_id)}
    assert shown[item.id].royalty_cents == credited


def _paid_and_recorded(shop: Shop, title: str) -> Order:
    order_id = _order(shop, shop.catalogue.add(title, "harbour"), "USD", WASHINGTON)
    shop.pay(order_id)

    def recorded() -> bool:
        db.session.expire_all()
        found = db.session.get(Order, order_id)
        return found is not None and found.tax_transaction_id is not None

    wait_for(recorded)
    order = db.session.get(Order, order_id)
    assert order is not None
    return order


def _set(order_id: int, **values: Any) -> None:
    with unit_of_work() as session:
        session.execute(sa.update(Order).where(Order.id == order_id).values(**values))


def test_a_refund_that_succeeds_before_the_tax_transaction_is_recorded_is_reversed_after(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    """The refund goes through while the order's tax transaction is not recorded yet (the
    recording task is late): its reversal is queued all the same and waits (retries) until the
    transaction is there, then reverses the 293 of tax at Stripe Tax."""
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    order = _paid_and_recorded(shop, "Late tax harbour")
    transaction = str(order.tax_transaction_id)
    _set(order.id, tax_transaction_id=None)  # as before the recording task commits
    response = shop.client.post(f"/api/v1/admin/orders/{order.id}/refund", json={}, headers=admin)
    assert response.status_code == 202, response.get_json()
    refund_id = int(response.get_json()["id"])

    def refund_status() -> str:
        db.session.expire_all()
        found = db.session.get(Refund, refund_id)
        assert found is not None
        return found.status

    wait_for(lambda: refund_status() == "succeeded")
    _set(order.id, tax_transaction_id=transaction)  # the recording task commits

    def reversed_in_stripe() -> bool:
        db.session.expire_all()
        found = db.session.get(Refund, refund_id)
        return found is not None and found.tax_transaction_id is not None

    wait_for(reversed_in_stripe, timeout=120)
    refund = db.session.get(Refund, refund_id)
    assert refund is not None
    lines: Any = stripe_client(stripe_emulator.base_url).v1.tax.transactions.line_items.list(
        str(refund.tax_transaction_id), {"limit": 100}
    )
    assert sum(int(line["amount_tax"]) for line in lines.to_dict()["data"]) == -293


def test_the_sweep_records_missing_tax_transactions_and_one_failure_stops_no_other(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    """Two paid orders whose recording task was lost: one with a calculation Stripe no longer
    knows (Stripe fails it), one fine. The sweep records the second all the same, and says
    that the first failed (the task is retried)."""
    shop = Shop(services_app, stripe_emulator)
    lost = _paid_and_recorded(shop, "Lost task harbour")
    broken = _paid_and_recorded(shop, "Broken calculation harbour")
    long_ago = lost.paid_at - tax_transactions.SWEEP_AFTER - timedelta(minutes=1)
    # Never recorded: no transaction, and (for the emulator, which refuses a second
    # transaction with one reference) a new random token.
    _set(lost.id, tax_transaction_id=None, idempotency_token="swept-again", paid_at=long_ago)
    _set(
        broken.id,
        tax_transaction_id=None,
        tax_calculation_id="taxcalc_gone",
        paid_at=long_ago,
    )
    with services_app.app_context(), pytest.raises(tax_transactions.TaxTransactionsFailed):
        tax_transactions.sweep_missing_transactions()
    db.session.expire_all()
    swept = db.session.get(Order, lost.id)
    assert swept is not None
    assert swept.tax_transaction_id is not None
    lines: Any = stripe_client(stripe_emulator.base_url).v1.tax.transactions.line_items.list(
        str(swept.tax_transaction_id), {"limit": 100}
    )
    assert sum(int(line["amount_tax"]) for line in lines.to_dict()["data"]) == 293
    still = db.session.get(Order, broken.id)
    assert still is not None
    assert still.tax_transaction_id is None


def test_the_tax_report_dates_a_sale_and_its_refund_as_the_ledger_does(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    """A report whose period ends a microsecond after the payment (a sale just before
    midnight) counts the sale's tax and finds it in the ledger; likewise for the refund."""
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    order_id = _order(shop, shop.catalogue.add("Midnight harbour", "harbour"), "USD", WASHINGTON)
    shop.pay(order_id)
    wait_for(lambda: order_status(order_id) == "paid")
    order = db.session.get(Order, order_id)
    assert order is not None
    assert order.paid_at is not None
    tick = timedelta(microseconds=1)
    sale = _report_row(order.paid_at, order.paid_at + tick)
    assert (sale.tax_cents, sale.ledger_cents) == (293, 293)

    response = shop.client.post(f"/api/v1/admin/orders/{order_id}/refund", json={}, headers=admin)
    assert response.status_code == 202, response.get_json()
    wait_for(lambda: order_status(order_id) == "refunded")
    db.session.expire_all()
    item = db.session.get(Order, order_id).items[0]  # type: ignore[union-attr]
    assert item.refunded_at is not None
    refund = _report_row(item.refunded_at, item.refunded_at + tick)
    assert (refund.refunded_tax_cents, refund.ledger_cents) == (293, -293)


def _report_row(start: datetime, end: datetime) -> TaxReportRow:
    rows = {(row.jurisdiction, row.currency): row for row in tax_report(db.session(), start, end)}
    return rows["US-WA", "USD"]


def test_an_idempotency_key_repeated_with_another_billing_or_currency_is_refused(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    """The same key with the same request answers the order it made; with another billing
    place or currency (another price, another tax) it is refused as with other items, and no
    second order is made. Likewise for the cart's checkout."""
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Keyed harbour", "harbour")
    items = [{"asset_id": asset, "licence": "standard", "size": "M"}]
    keyed = {**shop.headers, "Idempotency-Key": "tax-review-1"}

    def post(currency: str, billing: dict[str, str]) -> Any:
        body = {"items": items, "currency": currency, "billing": billing}
        return shop.client.post("/api/v1/orders", json=body, headers=keyed)

    made = post("USD", WASHINGTON)
    assert made.status_code == 201, made.get_json()
    again = post("USD", WASHINGTON)
    assert again.status_code == 200
    assert again.get_json()["id"] == made.get_json()["id"]
    for currency, billing in (
        ("USD", {"country": "US", "region": "OR"}),
        ("USD", {"country": "FR"}),
        ("EUR", WASHINGTON),
    ):
        refused = post(currency, billing)
        assert refused.status_code == 422, (currency, billing, refused.get_json())
        assert refused.get_json()["error"]["code"] == "idempotency_key_reused"
    without = shop.client.post("/api/v1/orders", json={"items": items}, headers=keyed)
    assert without.status_code == 422
    assert _orders_of(shop) == 1

    other = shop.catalogue.add("Keyed cart harbour", "harbour")
    added = shop.client.post(
        "/api/v1/cart/items",
        json={"asset_id": other, "licence": "standard", "size": "M"},
        headers=shop.headers,
    )
    assert added.status_code in (200, 201), added.get_json()
    cart_key = {**shop.headers, "Idempotency-Key": "tax-review-cart"}
    checked_out = shop.client.post(
        "/api/v1/cart/checkout", json={"billing": WASHINGTON}, headers=cart_key
    )
    assert checked_out.status_code == 201, checked_out.get_json()
    elsewhere = shop.client.post(
        "/api/v1/cart/checkout", json={"billing": {"country": "FR"}}, headers=cart_key
    )
    assert elsewhere.status_code == 422, elsewhere.get_json()
    assert _orders_of(shop) == 2


def _orders_of(shop: Shop) -> int:
    db.session.expire_all()
    return int(
        db.session.execute(
            sa.select(sa.func.count()).select_from(Order).where(Order.buyer_id == shop.buyer.id)
        ).scalar_one()
    )
