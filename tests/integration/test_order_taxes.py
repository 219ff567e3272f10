"""Sales tax at checkout on the fast tier (SQLite, tasks inline, the real Stripe emulator):
Stripe Tax's calculation on the order, the total charged, the tax in the ledger per
jurisdiction, the tax transaction once paid, and a refund giving the tax back exactly."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_babel import force_locale

from marketplace.dividends.foreign_sales import foreign_items
from marketplace.extensions import db
from marketplace.ledger import display
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.ledger.sales_tax import items_settled_cents
from marketplace.orders.models import Order
from marketplace.payments.models import Dispute, Refund
from marketplace.payments.tax_transactions import record_tax_transactions
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
    charge_of,
)
from tests.fixtures.payments import deliver, dispute_event, payment_succeeded
from tests.fixtures.stripe_emulator import stripe_client


def _order(buying: Buying, billing: dict[str, Any], currency: str, *sizes: str) -> Any:
    assets = [buying.photo, buying.other]
    return buying.client.post(
        "/api/v1/orders",
        json={
            "items": [
                {"asset_id": asset, "licence": "standard", "size": size}
                for asset, size in zip(assets, sizes, strict=False)
            ],
            "currency": currency,
            "billing": billing,
        },
        headers=buying.headers,
    )


def _tax_owed(code: str, currency: str) -> int:
    """Credits less debits of a tax account in one currency."""
    rows = db.session.execute(
        sa.select(JournalLine.side, sa.func.sum(JournalLine.amount_cents))
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(LedgerAccount.code == code, JournalLine.currency == currency)
        .group_by(JournalLine.side)
    ).all()
    return sum(int(c) if side == "credit" else -int(c) for side, c in rows)


def test_an_ontario_consumer_pays_hst_on_top_and_the_ledger_owes_it_to_ontario(
    buying: Buying,
) -> None:
    response = _order(buying, {"country": "CA", "region": "ON"}, "CAD", "M", "S")
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    # CAD prices exclude the tax: 59.00 + 19.00, 13 % HST on each.
    assert [item["price_cents"] for item in order["items"]] == [5900, 1900]
    assert (order["subtotal_cents"], order["tax_cents"], order["total_cents"]) == (
        7800,
        767 + 247,
        7800 + 1014,
    )
    assert order["tax"] == [
        {
            "jurisdiction": "CA-ON",
            "tax_type": "hst",
            "rate_bps": 1300,
            "rate_percent": "13",
            "taxable_cents": 7800,
            "amount_cents": 1014,
            "reverse_charge": False,
        }
    ]
    paid = buying.pay(order["id"])
    assert deliver(buying.client, payment_succeeded(paid["payment_intent_id"])).status_code == 200
    assert buying.get(order["id"])["status"] == "paid"
    db.session.expire_all()
    stored = db.session.get(Order, order["id"])
    assert stored is not None
    assert stored.tax_transaction_id is not None
    assert stored.tax_transaction_id.startswith("tax_")
    # The sale is on dollars (the settlement currency is USD): the HST is owed in CAD.
    assert _tax_owed("2300-CA-ON", "CAD") == 1014
    response = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"items": [order["items"][1]["id"]]},
        headers=buying.admin_headers,
    )
    assert response.status_code in (200, 201, 202), response.get_json()
    db.session.expire_all()
    refund = db.session.execute(sa.select(Refund)).scalar_one()
    assert (refund.amount_cents, refund.tax_cents, refund.status) == (1900 + 247, 247, "succeeded")
    assert refund.tax_transaction_id is not None
    assert _tax_owed("2300-CA-ON", "CAD") == 767


def test_a_french_consumer_pays_prices_that_include_the_vat(buying: Buying) -> None:
    response = _order(buying, {"country": "FR", "postal_code": "75011"}, "EUR", "M")
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    # 42.00 € including 20 % VAT: 35.00 net, 7.00 VAT.
    assert (order["subtotal_cents"], order["tax_cents"], order["total_cents"]) == (3500, 700, 4200)
    assert order["tax"][0]["jurisdiction"] == "FR"
    assert order["tax_behavior"] == "inclusive"


def test_a_german_business_with_a_valid_vat_number_is_reverse_charged(buying: Buying) -> None:
    response = _order(buying, {"country": "DE", "tax_id": "DE 136 695 976"}, "EUR", "M")
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert order["tax"] == [
        {
            "jurisdiction": "DE",
            "tax_type": "vat",
            "rate_bps": 0,
            "rate_percent": "0",
            "taxable_cents": 4200,
            "amount_cents": 0,
            "reverse_charge": True,
        }
    ]
    assert order["billing"]["tax_id"] == "DE136695976"
    assert order["billing"]["is_business"] is True


def test_quebec_rate_in_basis_points_carries_its_decimal(buying: Buying) -> None:
    order = _order(buying, {"country": "CA", "region": "QC"}, "CAD", "M").get_json()
    qst = next(tax for tax in order["tax"] if tax["jurisdiction"] == "CA-QC")
    assert (qst["rate_bps"], qst["rate_percent"], qst["amount_cents"]) == (997.5, "9.975", 589)


def test_an_invalid_vat_number_is_a_422_naming_the_field_and_keeps_nothing(
    buying: Buying,
) -> None:
    response = _order(buying, {"country": "DE", "tax_id": "DE136695977"}, "EUR", "M")
    assert response.status_code == 422
    assert "billing.tax_id" in response.get_json()["error"]["fields"]
    response = _order(buying, {"country": "US"}, "USD", "M")
    assert response.status_code == 422
    assert "billing.region" in response.get_json()["error"]["fields"]
    response = _order(buying, {"country": "XX"}, "USD", "M")
    assert "billing.country" in response.get_json()["error"]["fields"]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Order)).scalar_one() == 0
    assert (
        db.session.execute(sa.select(sa.func.count()).select_from(JournalEntry)).scalar_one() == 0
    )


def test_the_tax_report_matches_the_ledger_to_the_cent(buying: Buying) -> None:
    placed = _order(buying, {"country": "CA", "region": "ON"}, "CAD", "M", "S").get_json()
    buying.pay(placed["id"])
    deliver(
        buying.client, payment_succeeded(buying.get(placed["id"])["payment"]["payment_intent_id"])
    )
    buying.client.post(
        f"/api/v1/admin/orders/{placed['id']}/refund",
        json={"items": [placed["items"][0]["id"]]},
        headers=buying.admin_headers,
    )
    today = date.today().isoformat()
    query = f"/api/v1/admin/tax/report?period_start={today}&period_end={today}"
    report = buying.client.get(query, headers=buying.admin_headers).get_json()
    assert report["results"] == [
        {
            "jurisdiction": "CA-ON",
            "currency": "CAD",
            "taxable_cents": 7800,
            "tax_cents": 1014,
            "refunded_taxable_cents": 5900,
            "refunded_tax_cents": 767,
            "net_tax_cents": 247,
            "ledger_cents": 247,
        }
    ]
    assert _tax_owed("2300-CA-ON", "CAD") == 247
    csv_text = buying.client.get(
        query, headers={**buying.admin_headers, "Accept": "text/csv"}
    ).get_data(as_text=True)
    assert csv_text.splitlines()[1] == "CA-ON,CAD,7800,1014,5900,767,247,247"
    bad = buying.client.get(
        "/api/v1/admin/tax/report?period_start=x&period_end=2026-01-01",
        headers=buying.admin_headers,
    )
    assert bad.status_code == 422


def test_patronage_reads_a_taxed_sale_in_euros_net_of_its_vat(buying: Buying) -> None:
    placed = _order(buying, {"country": "FR"}, "EUR", "M").get_json()
    paid = buying.pay(placed["id"])
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    db.session.expire_all()
    order = db.session.get(Order, placed["id"])
    assert order is not None
    assert order.settled_cents is not None
    # What the sale entry put on the items in dollars: royalty and licence revenue.
    posted = db.session.execute(
        sa.select(sa.func.sum(JournalLine.amount_cents))
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            JournalEntry.order_id == order.id,
            JournalLine.currency == "USD",
            JournalLine.side == "credit",
            LedgerAccount.code.in_(("2100", "4000")),
        )
    ).scalar_one()
    paid_at = order.paid_at
    assert paid_at is not None
    found = foreign_items(
        db.session(), "USD", paid_at - timedelta(minutes=1), paid_at + timedelta(minutes=1)
    )
    assert [item.share_cents for item in found] == [int(posted)]
    # 35.00 of 42.00 € is the items' part of what the co-op received: the VAT is not a sale.
    assert int(posted) == items_settled_cents(order.settled_cents, 3500, 700)
    assert int(posted) < order.settled_cents


def test_a_lost_dispute_of_a_taxed_order_owes_its_tax_to_nobody(buying: Buying) -> None:
    placed = _order(buying, {"country": "US", "region": "WA"}, "USD", "M").get_json()
    paid = buying.pay(placed["id"])
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    owed = _tax_owed("2300-US-WA", "USD")
    assert owed == 293
    charge = charge_of(placed["id"])
    total = placed["total_cents"]
    deliver(
        buying.client,
        dispute_event("charge.dispute.created", "dp_tax", charge, total, "needs_response"),
    )
    deliver(buying.client, dispute_event("charge.dispute.closed", "dp_tax", charge, total, "lost"))
    assert _tax_owed("2300-US-WA", "USD") == 0
    # Stripe clearing gave the whole charge back: the net and the tax.
    clearing = db.session.execute(
        sa.select(JournalLine.amount_cents)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
        .where(
            JournalEntry.order_id == placed["id"],
            JournalEntry.kind == "chargeback",
            LedgerAccount.code == "1100",
            JournalLine.side == "credit",
        )
    ).scalar_one()
    assert clearing == total
    # Stripe Tax hears of it too: a reversal of the tax the bank took back.
    db.session.expire_all()
    dispute = db.session.get(Dispute, "dp_tax")
    assert dispute is not None
    assert dispute.tax_transaction_id is not None
    lines: Any = stripe_client(buying.emulator.base_url).v1.tax.transactions.line_items.list(
        dispute.tax_transaction_id
    )
    assert sum(int(line["amount_tax"]) for line in lines.to_dict()["data"]) == -293


def test_a_refund_in_euros_gives_the_vat_back_in_euros(buying: Buying) -> None:
    placed = _order(buying, {"country": "FR"}, "EUR", "M", "S").get_json()
    assert (placed["subtotal_cents"], placed["tax_cents"]) == (3500 + 1167, 700 + 233)
    paid = buying.pay(placed["id"])
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    assert _tax_owed("2300-FR", "EUR") == 933
    response = buying.client.post(
        f"/api/v1/admin/orders/{placed['id']}/refund", json={}, headers=buying.admin_headers
    )
    assert response.status_code == 202, response.get_json()
    db.session.expire_all()
    refund = db.session.execute(sa.select(Refund)).scalar_one()
    assert (refund.status, refund.amount_cents, refund.tax_cents) == ("succeeded", 5600, 933)
    assert _tax_owed("2300-FR", "EUR") == 0
    # Currency exchange holds nothing of this order any more, in either currency.
    for currency in ("EUR", "USD"):
        held = db.session.execute(
            sa.select(JournalLine.side, sa.func.sum(JournalLine.amount_cents))
            .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
            .join(LedgerAccount, LedgerAccount.id == JournalLine.account_id)
            .where(
                JournalEntry.order_id == placed["id"],
                LedgerAccount.code == "1150",
                JournalLine.currency == currency,
            )
            .group_by(JournalLine.side)
        ).all()
        sides = dict(held)
        assert sides.get("debit", 0) == sides.get("credit", 0), (currency, sides)


def test_checking_the_cart_out_through_the_api_takes_the_billing_place(buying: Buying) -> None:
    added = buying.client.post(
        "/api/v1/cart/items",
        json={"asset_id": buying.photo, "licence": "standard", "size": "M"},
        headers=buying.headers,
    )
    assert added.status_code in (200, 201), added.get_json()
    response = buying.client.post(
        "/api/v1/cart/checkout",
        json={"billing": {"country": "CA", "region": "QC"}},
        headers=buying.headers,
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    # Dollars (the account's currency): GST 5 % and QST 9.975 % on $45.00.
    assert [(tax["jurisdiction"], tax["amount_cents"]) for tax in order["tax"]] == [
        ("CA", 225),
        ("CA-QC", 449),
    ]
    assert order["total_cents"] == 4500 + 225 + 449


def test_a_duplicate_webhook_makes_one_sale_and_one_tax_transaction(buying: Buying) -> None:
    placed = _order(buying, {"country": "US", "region": "WA"}, "USD", "M").get_json()
    paid = buying.pay(placed["id"])
    event = payment_succeeded(paid["payment_intent_id"])
    deliver(buying.client, event)
    db.session.expire_all()
    order = db.session.get(Order, placed["id"])
    assert order is not None
    first = order.tax_transaction_id
    assert first is not None
    deliver(buying.client, payment_succeeded(paid["payment_intent_id"]))
    assert record_tax_transactions([order.id]) == 0
    db.session.expire_all()
    assert db.session.get(Order, placed["id"]).tax_transaction_id == first  # type: ignore[union-attr]
    assert _tax_owed("2300-US-WA", "USD") == 293


def test_a_tax_account_is_named_in_the_reader_s_language(app: Flask) -> None:
    with app.test_request_context(), force_locale("fr"):
        assert display.account_name("Sales tax payable: CA-ON") == "Taxes à payer : CA-ON"
    with app.test_request_context(), force_locale("en"):
        assert display.account_name("Sales tax payable: CA-ON") == "Sales tax payable: CA-ON"
