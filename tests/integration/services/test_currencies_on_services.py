"""Paying in euros and pounds on the production stack (PostgreSQL, Redis, the real Celery
worker, the Stripe emulator delivering its webhooks over HTTP): each sale is posted on what the
emulator's balance transaction says the co-op received, the artist's royalty is their share of
that, a refund at a later rate books the exchange difference, and the day's reconciliation
against the emulator finds nothing to say. Every figure is read back from the emulator's
balance transactions and compared to the cent."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.ledger.core import SaleItem, royalty_split
from marketplace.ledger.exchange import settled_items
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order
from marketplace.payments import core as payments_core
from marketplace.payments import reconciliation
from marketplace.payments.models import ReconciliationIssue, Refund
from tests.fixtures.connect import post_json
from tests.fixtures.factories import Factory
from tests.fixtures.shop import Shop, order_status, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services

RATES = "/_config/exchange_rates"


def _signed(order_id: int, currency: str) -> dict[str, int]:
    """Per account code (members' accounts summed), debits less credits in one currency."""
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(LedgerAccount.code, JournalLine.side, sa.func.sum(JournalLine.amount_cents))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(JournalEntry.order_id == order_id, JournalLine.currency == currency)
        .group_by(LedgerAccount.code, JournalLine.side)
    ).all()
    found: dict[str, int] = {}
    for code, side, cents in rows:
        found[code] = found.get(code, 0) + (int(cents) if side == "debit" else -int(cents))
    return {code: cents for code, cents in sorted(found.items()) if cents}


def _paid(shop: Shop, assets: list[int], currency: str) -> Order:
    response = shop.client.post(
        "/api/v1/orders",
        json={
            "items": [{"asset_id": a, "licence": "standard", "size": "M"} for a in assets],
            "currency": currency,
        },
        headers=shop.headers,
    )
    assert response.status_code == 201, response.get_json()
    order_id = int(response.get_json()["id"])
    assert shop.pay(order_id)["status"] == "processing"
    wait_for(lambda: order_status(order_id) == "paid")
    order = db.session.get(Order, order_id)
    assert order is not None
    return order


def _charge_transaction(emulator: StripeEmulator, charge_id: str) -> dict[str, Any]:
    client = stripe_client(emulator.base_url)
    charge = client.v1.charges.retrieve(charge_id)
    return client.v1.balance_transactions.retrieve(str(charge.balance_transaction)).to_dict()


def _member_due(member_id: int) -> int:
    db.session.expire_all()
    return ledger.member_balance(db.session(), member_id, "USD")


def test_sales_in_euros_and_pounds_settle_in_dollars_to_the_cent(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    member_id = shop.catalogue.member.id
    assets = [shop.catalogue.add(f"Quay in the rain {n}", "quay") for n in range(3)]
    due_before = _member_due(member_id)
    try:
        euros = _paid(shop, assets[:2], "EUR")
        pounds = _paid(shop, assets[2:], "GBP")
        royalties = 0
        for order, presentment in ((euros, 8_400), (pounds, 3_600)):
            assert order.total_cents == presentment
            assert order.charge_id is not None
            charge = _charge_transaction(stripe_emulator, order.charge_id)
            # The emulator's balance transaction is in dollars, with Stripe's fee and rate.
            assert charge["currency"] == "usd"
            assert charge["net"] == charge["amount"] - charge["fee"]
            assert (order.settled_cents, order.fee_cents) == (charge["amount"], charge["fee"])
            assert order.settled_currency == "USD"
            assert order.exchange_rate == repr(charge["exchange_rate"])
            shares = settled_items(_sale_items(order), charge["amount"])
            royalty = sum(royalty_split(s.price_cents, s.royalty_bps)[0] for s in shares)
            royalties += royalty
            assert _signed(order.id, "USD") == {
                "1100": charge["net"],
                "2100": -royalty,
                "4000": -(charge["amount"] - royalty),
                "5100": charge["fee"],
            }
            assert _signed(order.id, order.currency) == {}
        assert _member_due(member_id) == due_before + royalties

        # Sterling is dearer when the pounds order is refunded.
        post_json(stripe_emulator, RATES, {"gbp": "1.31"})
        response = shop.client.post(
            f"/api/v1/admin/orders/{pounds.id}/refund", json={}, headers=admin
        )
        assert response.status_code == 202, response.get_json()
        refund_id = int(response.get_json()["id"])

        def refunded() -> bool:
            db.session.expire_all()
            found = db.session.get(Refund, refund_id)
            return found is not None and found.status == "succeeded"

        wait_for(refunded)
        refund = db.session.get(Refund, refund_id)
        assert refund is not None
        client = stripe_client(stripe_emulator.base_url)
        stripe_refund = client.v1.refunds.retrieve(str(refund.stripe_refund_id))
        back = client.v1.balance_transactions.retrieve(
            str(stripe_refund.balance_transaction)
        ).to_dict()
        assert (back["currency"], back["fee"]) == ("usd", 0)
        assert refund.settled_cents == -back["amount"] == 4_716  # 36.00 £ at 1.31
        sold = _charge_transaction(stripe_emulator, str(pounds.charge_id))
        pounds_royalty = sum(
            royalty_split(s.price_cents, s.royalty_bps)[0]
            for s in settled_items(_sale_items(pounds), sold["amount"])
        )
        # The royalty back to the cent; the dearer pound is an exchange loss.
        assert _signed(pounds.id, "USD") == _without_zero(
            {
                "1100": sold["net"] + back["amount"],
                "4000": -(sold["amount"] - pounds_royalty),
                "4900": sold["amount"] - pounds_royalty,
                "5100": sold["fee"],
                "5400": -back["amount"] - sold["amount"],
            }
        )
        assert -back["amount"] > sold["amount"]
        assert _member_due(member_id) == due_before + royalties - pounds_royalty

        for currency in ("USD", "EUR", "GBP"):
            db.session.expire_all()
            balance = ledger.trial_balance(db.session(), currency)
            assert balance.total_debits_cents == balance.total_credits_cents, currency

        # The day's reconciliation with the emulator finds nothing wrong with these payments.
        reconciliation.reconcile_day(datetime.now(UTC).date())
        db.session.expire_all()
        ours = {euros.payment_intent_id, pounds.payment_intent_id, refund.stripe_refund_id}
        issues = db.session.execute(
            sa.select(ReconciliationIssue.kind, ReconciliationIssue.detail).where(
                ReconciliationIssue.reference.in_(ours)
            )
        ).all()
        assert issues == []
    finally:
        post_json(stripe_emulator, RATES, {"reset": True})


def _without_zero(found: dict[str, int]) -> dict[str, int]:
    return {code: cents for code, cents in found.items() if cents}


def _sale_items(order: Order) -> list[SaleItem]:
    return payments_core.sale_items(order.items)
