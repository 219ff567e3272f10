"""Invoices and credit notes on the production stack: PostgreSQL, Redis and the real worker.

A paid order's invoice is issued by the worker that sends its receipt, and a refund's credit
note by the worker that applies it; concurrent issuers on PostgreSQL, some of whose
transactions roll back, leave each series unbroken, without a duplicate, one invoice per order.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.invoices import core
from marketplace.invoices import services as invoices
from marketplace.invoices.models import Invoice
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.shop import Shop, order_status, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.web import api_token
from tests.pdf_text import pdf_words

pytestmark = pytest.mark.services


def _documents(**where: Any) -> list[Invoice]:
    db.session.expire_all()
    return list(
        db.session.execute(sa.select(Invoice).filter_by(**where).order_by(Invoice.id)).scalars()
    )


def _assert_series_unbroken() -> None:
    for kind in core.KINDS:
        sequences = [d.sequence for d in _documents(kind=kind)]
        assert len(sequences) == len(set(sequences)), f"duplicate {kind} numbers"
        assert core.missing_numbers(sequences) == [], f"gap in the {kind} series"


def test_the_worker_issues_the_invoice_and_the_credit_note(
    services_app: Flask,
    stripe_emulator: StripeEmulator,
    webhooks_to_app: str,
    smtp_sink: SmtpSink,
) -> None:
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    assets = [shop.catalogue.add(f"Invoice quay {n}", "quay") for n in range(2)]
    order_id = shop.order(assets)
    assert shop.pay(order_id)["status"] == "processing"
    wait_for(lambda: order_status(order_id) == "paid")
    wait_for(lambda: len(_documents(order_id=order_id)) == 1)
    (invoice,) = _documents(order_id=order_id)
    order = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.headers).get_json()
    assert invoice.kind == core.INVOICE
    assert invoice.number == core.document_number(core.INVOICE, invoice.sequence)
    assert invoice.total_cents == order["total_cents"]
    wait_for(lambda: any(invoice.number in body_of(m) for m in smtp_sink.messages))

    pdf = shop.client.get(f"/api/v1/orders/{order_id}/invoice", headers=shop.headers)
    assert pdf.status_code == 200
    assert f"Invoice {invoice.number}" in pdf_words(pdf.data)

    first_item = order["items"][0]
    response = shop.client.post(
        f"/api/v1/admin/orders/{order_id}/refund",
        json={"items": [first_item["id"]]},
        headers=admin,
    )
    assert response.status_code == 202, response.get_json()
    wait_for(lambda: len(_documents(order_id=order_id)) == 2)
    note = _documents(order_id=order_id)[1]
    assert note.kind == core.CREDIT_NOTE
    assert note.corrects_id == invoice.id
    assert [line.order_item_id for line in note.lines] == [first_item["id"]]
    assert note.total_cents == -(invoice.lines[0].net_cents + invoice.lines[0].tax_cents)
    text = pdf_words(
        shop.client.get(
            f"/api/v1/orders/{order_id}/credit-notes/{note.id}", headers=shop.headers
        ).data
    )
    assert f"Credit note {note.number}" in text
    assert f"Corrects invoice {invoice.number}" in text
    _assert_series_unbroken()


def test_concurrent_issuers_leave_no_gap_and_no_duplicate(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    shop = Shop(services_app, stripe_emulator)
    asset = shop.catalogue.add("Invoice race", "race")
    # Orders marked paid here: no settlement runs, so no worker issues their invoices.
    order_ids = [
        shop.order(asset, headers=api_token(shop.client, Factory().buyer().email))
        for _ in range(12)
    ]
    with unit_of_work() as session:
        session.execute(sa.update(Order).where(Order.id.in_(order_ids)).values(status="paid"))
    issuers = 6
    start = threading.Barrier(issuers)
    failures: list[BaseException] = []

    def issue(index: int) -> None:
        # Each order is issued by two threads; every third thread's transactions roll back
        # after taking their numbers.
        mine = [o for n, o in enumerate(order_ids) if n % 3 == index % 3]
        rolls_back = index % 2 == 1
        try:
            with services_app.app_context():
                start.wait(10)
                for order_id in mine:
                    try:
                        with unit_of_work() as session:
                            invoices.issue_invoice(session, order_id)
                            if rolls_back:
                                raise _RolledBack
                    except _RolledBack:
                        pass
                db.session.remove()
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=issue, args=(n,)) for n in range(issuers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not failures, failures
    issued = [d for d in _documents(kind=core.INVOICE) if d.order_id in order_ids]
    assert sorted(d.order_id for d in issued) == sorted(order_ids)
    _assert_series_unbroken()


class _RolledBack(Exception):
    """Raised inside an issuing transaction to roll it back."""


TAXED: dict[str, tuple[str, dict[str, str]]] = {
    "french consumer": ("EUR", {"country": "FR", "postal_code": "69001"}),
    "german business": ("EUR", {"country": "DE", "tax_id": "DE136695976"}),
    "ontario consumer": ("CAD", {"country": "CA", "region": "ON"}),
}


def test_taxed_orders_invoices_and_a_refunds_credit_note_agree_with_the_orders(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    orders: dict[str, int] = {}
    for name, (currency, billing) in TAXED.items():
        asset = shop.catalogue.add(f"Invoice harbour {name}", "harbour")
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
        orders[name] = int(response.get_json()["id"])
        assert shop.pay(orders[name])["status"] == "processing"
    for order_id in orders.values():
        wait_for(lambda order_id=order_id: len(_documents(order_id=order_id)) == 1)
    for name, order_id in orders.items():
        order = db.session.get(Order, order_id)
        assert order is not None
        (invoice,) = _documents(order_id=order_id)
        assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (
            order.subtotal_cents,
            order.tax_cents,
            order.total_cents,
        ), name
        assert invoice.currency == order.currency
        assert invoice.billing_country == order.billing_country
        assert invoice.reverse_charge is (name == "german business")
    german = _documents(order_id=orders["german business"])[0]
    assert german.buyer_tax_id == "DE136695976"
    text = pdf_words(
        shop.client.get(
            f"/api/v1/orders/{orders['german business']}/invoice", headers=shop.headers
        ).data
    )
    assert "Reverse charge: VAT to be accounted for by the recipient" in text
    assert "Tax id: DE136695976" in text

    ontario = orders["ontario consumer"]
    response = shop.client.post(f"/api/v1/admin/orders/{ontario}/refund", json={}, headers=admin)
    assert response.status_code == 202, response.get_json()
    wait_for(lambda: len(_documents(order_id=ontario)) == 2)
    invoice, note = _documents(order_id=ontario)
    refund = db.session.get(Refund, note.refund_id)
    assert refund is not None
    assert note.tax_cents == -invoice.tax_cents == -refund.tax_cents
    assert note.total_cents == -refund.amount_cents
    assert invoice.lines[0].taxes[0]["jurisdiction"] == "CA-ON"
    assert note.lines[0].taxes[0]["tax_cents"] == -invoice.lines[0].taxes[0]["tax_cents"]
    _assert_series_unbroken()
