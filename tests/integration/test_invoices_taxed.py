"""Invoices of taxed orders on the fast tier: the order's tax lines (migration 0035) become
each invoice line's taxes, a German business's reverse charge is mentioned, a place where the
co-op does not collect prints no tax, and a credit note reverses exactly the refunded lines' tax.
The orders are written as the sales tax leaves them once paid."""

from __future__ import annotations

from datetime import UTC, datetime

from flask_babel import force_locale

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.invoices import services as invoices
from marketplace.invoices.models import Invoice
from marketplace.invoices.pdf import invoice_pdf
from marketplace.orders.models import Order, OrderItem, OrderTaxLine
from marketplace.payments.models import Refund
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.pdf_text import pdf_words

PAID_AT = datetime(2026, 12, 1, 10, tzinfo=UTC)
Tax = tuple[str, str, int, int, bool, str]  # jurisdiction, type, rate_pcm, tax, reverse, reason


def paid_order(
    buying: Buying, currency: str, billing: dict[str, str], lines: list[tuple[int, int, list[Tax]]]
) -> int:
    """A paid order of ``lines`` (asset, net price, taxes), with its tax lines."""
    with unit_of_work() as session:
        items = [
            OrderItem(
                asset_id=asset,
                member_id=buying.catalogue.member.id,
                licence="standard",
                terms_id=1,
                size="M",
                price_cents=net,
                tax_cents=sum(tax[3] for tax in taxes),
                royalty_bps=5_000,
            )
            for asset, net, taxes in lines
        ]
        subtotal = sum(item.price_cents for item in items)
        tax = sum(item.tax_cents for item in items)
        order = Order(
            buyer_id=buying.buyer.id,
            status="paid",
            currency=currency,
            subtotal_cents=subtotal,
            tax_cents=tax,
            total_cents=subtotal + tax,
            paid_at=PAID_AT,
            **billing,
        )
        order.items = items
        session.add(order)
        session.flush()
        for item, (_, net, taxes) in zip(items, lines, strict=True):
            for jurisdiction, tax_type, rate, cents, reverse, reason in taxes:
                session.add(
                    OrderTaxLine(
                        order_id=order.id,
                        order_item_id=item.id,
                        line_ref=f"item-{item.id}",
                        jurisdiction=jurisdiction,
                        country=jurisdiction[:2],
                        region=jurisdiction[3:] or None,
                        tax_type=tax_type,
                        rate_pcm=rate,
                        taxable_cents=net,
                        tax_cents=cents,
                        reverse_charge=reverse,
                        taxability_reason=reason,
                        currency=currency,
                    )
                )
        return order.id


def _text(document: Invoice, locale: str = "en") -> str:
    with force_locale(locale):
        return pdf_words(
            invoice_pdf(document, document.corrects.number if document.corrects else None)
        )


def test_a_french_consumer_pays_vat_per_line_and_a_refund_reverses_it(buying: Buying) -> None:
    vat = [("FR", "vat", 20_000, 750, False, "standard_rated")]
    order_id = paid_order(
        buying,
        "EUR",
        {"billing_country": "FR", "billing_postal_code": "75011"},
        [
            (buying.photo, 3_750, vat),
            (buying.other, 1_250, [(*vat[0][:3], 250, False, "standard_rated")]),
        ],
    )
    numbers = invoices.issue_invoices([order_id])
    invoice = db.session.get(Invoice, invoices.invoice_for(buying.admin, order_id).id)
    assert invoice is not None
    assert numbers == {order_id: invoice.number}
    assert (invoice.net_cents, invoice.tax_cents, invoice.total_cents) == (5_000, 1_000, 6_000)
    assert [(line.net_cents, line.tax_cents, line.rate_pcm) for line in invoice.lines] == [
        (3_750, 750, 20_000),
        (1_250, 250, 20_000),
    ]
    assert not invoice.reverse_charge
    english = _text(invoice)
    assert "VAT (FR) at 20% on €50.00: €10.00" in english
    assert "Total paid €60.00" in english
    french = _text(invoice, "fr")
    assert "TVA (FR) à 20 % sur 50,00 € : 10,00 €" in french  # plain spaces in a paragraph

    second_item = invoice.lines[1].order_item_id
    with unit_of_work() as session:
        refund = Refund(
            order_id=order_id,
            item_ids=[second_item],
            amount_cents=1_500,
            currency="EUR",
            status="succeeded",
        )
        session.add(refund)
        session.flush()
        note = invoices.issue_credit_note(session, refund)
        note_id = note.id
    note = db.session.get(Invoice, note_id)
    assert note is not None
    assert (note.net_cents, note.tax_cents, note.total_cents) == (-1_250, -250, -1_500)
    assert note.lines[0].taxes[0]["tax_cents"] == -250
    text = _text(note)
    assert f"Corrects invoice {invoice.number}" in text
    assert "VAT (FR) at 20% on -€12.50: -€2.50" in text


def test_a_german_business_is_reverse_charged_and_an_untaxed_place_prints_no_tax(
    buying: Buying,
) -> None:
    german = paid_order(
        buying,
        "EUR",
        {"billing_country": "DE", "billing_tax_id": "DE136695976", "billing_is_business": True},
        [(buying.photo, 4_500, [("DE", "vat", 0, 0, True, "reverse_charge")])],
    )
    elsewhere = paid_order(
        buying,
        "USD",
        {"billing_country": "US", "billing_region": "NY"},
        [(buying.other, 1_500, [("US-NY", "sales_tax", 0, 0, False, "not_collecting")])],
    )
    invoices.issue_invoices([german, elsewhere])
    reverse = invoices.invoice_for(buying.buyer, german)
    assert reverse.reverse_charge
    assert reverse.buyer_tax_id == "DE136695976"
    text = _text(reverse)
    assert (
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Article 196, Directive 2006/112/EC)" in text
    )
    assert "Tax id: DE136695976" in text
    assert "Germany" in text
    assert "Autoliquidation : TVA due par le preneur" in _text(reverse, "fr")
    untaxed = invoices.invoice_for(buying.buyer, elsewhere)
    assert untaxed.lines[0].taxes == []
    assert not untaxed.reverse_charge
    text = _text(untaxed)
    assert "Taxes" not in text
    assert "NY, United States" in text
