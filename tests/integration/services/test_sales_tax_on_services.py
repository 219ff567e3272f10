"""Sales tax on the production stack (PostgreSQL, Redis, the real Celery worker, the Stripe
emulator delivering its webhooks over HTTP): a French consumer (20 % VAT, euro prices that
include it), a German business with a valid VAT number (reverse charge, 0 %), an Ontario
consumer (13 % HST on top of dollar prices) and a Washington consumer (6.5 %) buy through the
API the pages use; the Ontario order is refunded. The ledger's tax accounts, the tax report,
the emulator's tax transactions and the orders agree to the cent, and royalties are on the
price net of tax."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.invoices.models import Invoice
from marketplace.ledger.core import royalty_split
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from tests.fixtures.factories import Factory
from tests.fixtures.shop import Shop, order_status, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services

BUYERS: dict[str, tuple[str, dict[str, str], int, int]] = {
    # name: (currency, billing, subtotal, tax) for one standard licence, size M.
    "french consumer": ("EUR", {"country": "FR", "postal_code": "69001"}, 3500, 700),
    "german business": ("EUR", {"country": "DE", "tax_id": "DE136695976"}, 4200, 0),
    "ontario consumer": ("CAD", {"country": "CA", "region": "ON"}, 5900, 767),
    "washington consumer": ("USD", {"country": "US", "region": "WA"}, 4500, 293),
}


def _tax_accounts() -> dict[tuple[str, str], int]:
    """Per tax account and currency, credits less debits (what is owed)."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            LedgerAccount.code,
            JournalLine.currency,
            JournalLine.side,
            sa.func.sum(JournalLine.amount_cents),
        )
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .where(LedgerAccount.code.like("2300-%"))
        .group_by(LedgerAccount.code, JournalLine.currency, JournalLine.side)
    ).all()
    owed: dict[tuple[str, str], int] = {}
    for code, currency, side, cents in rows:
        key = (code, currency)
        owed[key] = owed.get(key, 0) + (int(cents) if side == "credit" else -int(cents))
    return owed


def _royalty_credited(order_id: int) -> int:
    rows = db.session.execute(
        sa.select(JournalLine.side, JournalLine.amount_cents)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            JournalEntry.order_id == order_id,
            LedgerAccount.code == "2100",
            JournalEntry.kind == "sale",
        )
    ).all()
    return sum(cents if side == "credit" else -cents for side, cents in rows)


def _transaction_tax(emulator: StripeEmulator, transaction_id: str) -> int:
    client = stripe_client(emulator.base_url)
    lines: Any = client.v1.tax.transactions.line_items.list(transaction_id, {"limit": 100})
    return sum(int(line["amount_tax"]) for line in lines.to_dict()["data"])


def test_four_buyers_and_a_refund_agree_to_the_cent(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    owed_before = _tax_accounts()
    orders: dict[str, int] = {}
    for name, (currency, billing, subtotal, tax) in BUYERS.items():
        asset = shop.catalogue.add(f"Tax harbour {name}", "harbour")
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
        body = response.get_json()
        assert (body["subtotal_cents"], body["tax_cents"]) == (subtotal, tax), name
        assert body["total_cents"] == subtotal + tax
        orders[name] = int(body["id"])
        assert shop.pay(orders[name])["status"] == "processing"
    for order_id in orders.values():
        wait_for(lambda order_id=order_id: order_status(order_id) == "paid")

    german = shop.client.get(f"/api/v1/orders/{orders['german business']}", headers=shop.headers)
    assert german.get_json()["tax"][0]["reverse_charge"] is True

    # The tax transactions, recorded by the worker once each order is paid.
    def recorded() -> bool:
        db.session.expire_all()
        return all(db.session.get(Order, i).tax_transaction_id for i in orders.values())  # type: ignore[union-attr]

    wait_for(recorded)
    for name, order_id in orders.items():
        order = db.session.get(Order, order_id)
        assert order is not None
        assert (
            _transaction_tax(stripe_emulator, str(order.tax_transaction_id)) == order.tax_cents
        ), name
        # The PaymentIntent charged the total with tax.
        intent = stripe_client(stripe_emulator.base_url).v1.payment_intents.retrieve(
            str(order.payment_intent_id)
        )
        assert intent.amount == order.total_cents

    # Royalties on the price net of tax: the Washington sale is in the settlement currency.
    washington = db.session.get(Order, orders["washington consumer"])
    assert washington is not None
    item = washington.items[0]
    assert item.price_cents == 4500
    assert _royalty_credited(washington.id) == royalty_split(4500, item.royalty_bps)[0]

    ontario = db.session.get(Order, orders["ontario consumer"])
    assert ontario is not None
    response = shop.client.post(f"/api/v1/admin/orders/{ontario.id}/refund", json={}, headers=admin)
    assert response.status_code == 202, response.get_json()
    refund_id = int(response.get_json()["id"])

    def reversed_in_stripe() -> bool:
        db.session.expire_all()
        found = db.session.get(Refund, refund_id)
        return found is not None and found.status == "succeeded" and bool(found.tax_transaction_id)

    wait_for(reversed_in_stripe)
    refund = db.session.get(Refund, refund_id)
    assert refund is not None
    assert (refund.amount_cents, refund.tax_cents) == (5900 + 767, 767)
    assert _transaction_tax(stripe_emulator, str(refund.tax_transaction_id)) == -767

    # The invoices (issued by the receipt's task) and the refund's credit note say the same.
    def invoiced() -> bool:
        db.session.expire_all()
        found = db.session.execute(
            sa.select(sa.func.count())
            .select_from(Invoice)
            .where(Invoice.order_id.in_(orders.values()))
        ).scalar_one()
        return int(found) == len(orders) + 1

    wait_for(invoiced)
    for name, order_id in orders.items():
        order = db.session.get(Order, order_id)
        assert order is not None
        invoice = db.session.execute(
            sa.select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == "invoice")
        ).scalar_one()
        assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (
            order.subtotal_cents,
            order.tax_cents,
            order.total_cents,
        ), name
        assert invoice.reverse_charge is (name == "german business")
    credit_note = db.session.execute(
        sa.select(Invoice).where(Invoice.refund_id == refund_id)
    ).scalar_one()
    assert abs(credit_note.tax_cents) == 767
    assert abs(credit_note.total_cents) == 5900 + 767

    owed = _tax_accounts()
    moved = {key: owed.get(key, 0) - owed_before.get(key, 0) for key in owed}
    assert {key: cents for key, cents in moved.items() if cents} == {
        ("2300-FR", "EUR"): 700,
        ("2300-US-WA", "USD"): 293,
    }
    today = date.today().isoformat()
    report = shop.client.get(
        f"/api/v1/admin/tax/report?period_start={today}&period_end={today}", headers=admin
    ).get_json()["results"]
    rows = {(row["jurisdiction"], row["currency"]): row for row in report}
    for row in report:
        assert row["ledger_cents"] == row["net_tax_cents"], row
    assert rows["FR", "EUR"]["tax_cents"] >= 700
    assert rows["CA-ON", "CAD"]["refunded_tax_cents"] >= 767
    assert rows["DE", "EUR"]["tax_cents"] == 0
    assert rows["DE", "EUR"]["taxable_cents"] >= 4200
