"""The invoice PDF's words: each line's net, rate and tax, the tax summary, the reverse-charge
mention where it applies, a credit note's reference and negative amounts, in English and French."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Flask
from flask_babel import force_locale

from marketplace.invoices import core
from marketplace.invoices.core import DocumentLine, LineTax
from marketplace.invoices.models import Invoice, InvoiceLine
from marketplace.invoices.pdf import invoice_pdf
from tests.pdf_text import pdf_words

ISSUED = datetime(2026, 12, 6, 9, 30, tzinfo=UTC)


def document(lines: list[DocumentLine], **details: object) -> Invoice:
    kind = str(details.pop("kind", core.INVOICE))
    figures = core.totals(lines)
    invoice = Invoice(
        kind=kind,
        sequence=7,
        number=core.document_number(kind, 7),
        order_id=41,
        issued_at=ISSUED,
        paid_at=ISSUED,
        currency=str(details.pop("currency", "EUR")),
        net_cents=figures.net_cents,
        tax_cents=figures.tax_cents,
        total_cents=figures.total_cents,
        reverse_charge=core.reverse_charged(lines),
        seller_name="Co-op Stock",
        seller_address="12 rue des Artistes\n75011 Paris\nFrance",
        seller_tax_id="FR40303265045",
        buyer_id=1,
        buyer_name="Élodie Martin",
        buyer_email="elodie@example.com",
        **details,
    )
    invoice.lines = [InvoiceLine.of(n, line) for n, line in enumerate(lines, 1)]
    return invoice


def line(item_id: int, title: str, net: int, *taxes: LineTax) -> DocumentLine:
    return DocumentLine(item_id, item_id, title, "standard", "M", net, taxes)


def test_a_french_consumers_invoice_in_french(app: Flask) -> None:
    invoice = document(
        [line(1, "Bateaux au port", 3_750, LineTax("FR", "vat", 20_000, 3_750, 750))],
        billing_country="FR",
    )
    with app.app_context(), force_locale("fr"):
        text = pdf_words(invoice_pdf(invoice))
    for said in (
        "Facture INV-000007",
        "Date d’émission : 6 décembre 2026",
        "Vendeur",
        "Numéro fiscal : FR40303265045",
        "Acheteur",
        "Élodie Martin",
        "France",
        "« Bateaux au port », licence standard, taille M",
        "37,50\u00a0€",
        "20\u00a0%",
        "7,50\u00a0€",
        "Total HT",
        "Total des taxes",
        "Total payé 45,00\u00a0€",
    ):
        assert said in text, said
    # A paragraph (fpdf2's multi_cell) writes Babel's no-break spaces as plain ones.
    assert "TVA (FR) à 20 % sur 37,50 € : 7,50 €" in text
    assert "Autoliquidation" not in text


def test_a_german_business_gets_the_reverse_charge_mention(app: Flask) -> None:
    invoice = document(
        [line(1, "Harbour at dawn", 4_500, LineTax("DE", "vat", 0, 4_500, 0, True))],
        billing_country="DE",
        buyer_tax_id="DE136695976",
    )
    with app.app_context(), force_locale("en"):
        english = pdf_words(invoice_pdf(invoice))
    with app.app_context(), force_locale("fr"):
        french = pdf_words(invoice_pdf(invoice))
    assert (
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Article 196, Directive 2006/112/EC)" in english
    )
    assert "Tax id: DE136695976" in english
    assert "Germany" in english
    assert "Autoliquidation : TVA due par le preneur (article 196 de la directive" in french
    assert "Allemagne" in french


def test_a_quebec_line_shows_both_taxes_and_their_exact_rates(app: Flask) -> None:
    taxes = (LineTax("CA", "gst", 5_000, 4_500, 225), LineTax("CA-QC", "qst", 9_975, 4_500, 449))
    invoice = document(
        [line(1, "Lighthouse", 4_500, *taxes)],
        currency="CAD",
        billing_country="CA",
        billing_region="QC",
    )
    with app.app_context(), force_locale("en"):
        text = pdf_words(invoice_pdf(invoice))
    for said in (
        "14.975%",
        "GST (CA) at 5% on CA$45.00: CA$2.25",
        "QST (CA-QC) at 9.975% on CA$45.00: CA$4.49",
        "Total paid CA$51.74",
        "QC, Canada",
    ):
        assert said in text, said


def test_a_credit_note_names_its_invoice_with_negative_amounts(app: Flask) -> None:
    invoiced = [line(1, "Harbour at dawn", 4_500), line(2, "Lighthouse", 1_500)]
    note = document(core.credit_lines(invoiced, [2]), kind=core.CREDIT_NOTE, currency="USD")
    with app.app_context(), force_locale("en"):
        text = pdf_words(invoice_pdf(note, "INV-000003"))
    assert "Credit note CN-000007" in text
    assert "Corrects invoice INV-000003" in text
    assert "Total refunded -$15.00" in text
    assert "Harbour at dawn" not in text
