"""An invoice or a credit note as a one-page A4 PDF, in the language active when it is drawn.

Drawn with fpdf2 and the DejaVu Sans font every PDF of the co-op embeds
(``marketplace.pdf_fonts``), so "€", French number spacing and any buyer's name print as written.
"""

from __future__ import annotations

from typing import cast

from flask_babel import gettext, pgettext
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from marketplace.i18n.formats import long_date, money
from marketplace.invoices.core import tax_summary
from marketplace.invoices.models import Invoice
from marketplace.invoices.words import (
    country_name,
    rate_text,
    reverse_charge_mention,
    tax_name,
    title_of,
)
from marketplace.licensing.labels import licence_label
from marketplace.pdf_fonts import FAMILY, unicode_pdf

MARGIN_MM = 18
TEAL = (13, 110, 110)
GREY = (90, 90, 90)
# Description, net, rate, tax, total: 174 mm between the margins.
WIDTHS = (68, 26, 22, 26, 32)


def _text(
    pdf: FPDF,
    text: str,
    size: float,
    *,
    bold: bool = False,
    colour: tuple[int, int, int] = (0, 0, 0),
) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", size)
    pdf.set_text_color(*colour)
    pdf.multi_cell(0, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _party(pdf: FPDF, x: float, y: float, heading: str, rows: list[str]) -> float:
    """A block of lines at (x, y), 85 mm wide; returns where it ends."""
    pdf.set_xy(x, y)
    pdf.set_font(FAMILY, "B", 9)
    pdf.set_text_color(*GREY)
    pdf.cell(85, 5, heading, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    for index, row in enumerate(rows):
        pdf.set_x(x)
        pdf.set_font(FAMILY, "B" if index == 0 else "", 10)
        pdf.multi_cell(85, 5, row, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
    return pdf.get_y()


def _buyer_rows(invoice: Invoice) -> list[str]:
    rows = [invoice.buyer_name, invoice.buyer_email]
    place = ", ".join(
        part
        for part in (
            invoice.billing_postal_code or "",
            invoice.billing_region or "",
            country_name(invoice.billing_country),
        )
        if part
    )
    if place:
        rows.append(place)
    if invoice.buyer_tax_id:
        rows.append(gettext("Tax id: %(number)s", number=invoice.buyer_tax_id))
    return rows


def _seller_rows(invoice: Invoice) -> list[str]:
    rows = [invoice.seller_name, *invoice.seller_address.splitlines()]
    if invoice.seller_tax_id:
        rows.append(gettext("Tax id: %(number)s", number=invoice.seller_tax_id))
    return rows


def _row(pdf: FPDF, cells: list[str], *, bold: bool = False, fill: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", 9)
    pdf.set_fill_color(235, 243, 243)
    height = 6
    wrapped = cast(
        list[str], pdf.multi_cell(WIDTHS[0], height, cells[0], dry_run=True, output="LINES")
    )
    row_height = height * max(len(wrapped), 1)
    if pdf.will_page_break(row_height):
        pdf.add_page()
    x, y = pdf.get_x(), pdf.get_y()
    pdf.multi_cell(
        WIDTHS[0], height, cells[0], fill=fill, align="L", new_x=XPos.RIGHT, new_y=YPos.TOP
    )
    for width, cell in zip(WIDTHS[1:], cells[1:], strict=True):
        pdf.cell(width, row_height, cell, align="R", fill=fill)
    pdf.set_xy(x, y + row_height)


def invoice_pdf(invoice: Invoice, credited_number: str | None = None) -> bytes:
    """The document as PDF bytes; a credit note names the invoice it corrects."""
    pdf = unicode_pdf(format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM)
    title = title_of(invoice.kind)
    pdf.set_title(f"{title} {invoice.number}")
    pdf.set_author(invoice.seller_name)
    pdf.add_page()

    def amount(cents: int) -> str:
        return money(cents, invoice.currency)

    _text(pdf, invoice.seller_name, 12, bold=True, colour=TEAL)
    pdf.ln(3)
    _text(pdf, f"{title} {invoice.number}", 20, bold=True)
    facts = [gettext("Date of issue: %(date)s", date=long_date(invoice.issued_at))]
    if invoice.paid_at is not None and not invoice.is_credit_note:
        facts.append(gettext("Date of payment: %(date)s", date=long_date(invoice.paid_at)))
    facts.append(gettext("Order #%(number)s", number=invoice.order_id))
    _text(pdf, " · ".join(facts), 10, colour=GREY)
    if credited_number:
        _text(pdf, gettext("Corrects invoice %(number)s", number=credited_number), 10, bold=True)
    pdf.ln(5)
    top = pdf.get_y()
    seller_end = _party(pdf, MARGIN_MM, top, gettext("Seller"), _seller_rows(invoice))
    buyer_end = _party(pdf, MARGIN_MM + 89, top, gettext("Buyer"), _buyer_rows(invoice))
    pdf.set_xy(MARGIN_MM, max(seller_end, buyer_end) + 6)

    headings = [
        gettext("Description"),
        gettext("Net"),
        gettext("Tax rate"),
        pgettext("invoice", "Tax"),
        gettext("Total"),
    ]
    _row(pdf, headings, bold=True, fill=True)
    for line in invoice.document_lines():
        description = gettext(
            "“%(title)s”, %(licence)s licence, size %(size)s",
            title=line.title,
            licence=licence_label(line.licence).lower(),
            size=line.size,
        )
        _row(
            pdf,
            [
                description,
                amount(line.net_cents),
                rate_text(line.rate_pcm),
                amount(line.tax_cents),
                amount(line.total_cents),
            ],
        )
    pdf.ln(3)
    label_width = sum(WIDTHS[:-1])
    for label, cents, bold in (
        (gettext("Total net"), invoice.net_cents, False),
        (gettext("Total tax"), invoice.tax_cents, False),
        (
            gettext("Total refunded") if invoice.is_credit_note else gettext("Total paid"),
            invoice.total_cents,
            True,
        ),
    ):
        pdf.set_font(FAMILY, "B" if bold else "", 10)
        pdf.cell(label_width, 6, label, align="R")
        pdf.cell(WIDTHS[-1], 6, amount(cents), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    summary = tax_summary(invoice.document_lines())
    if summary:
        pdf.ln(4)
        _text(pdf, pgettext("invoice", "Taxes"), 11, bold=True)
        for row in summary:
            _text(
                pdf,
                gettext(
                    "%(tax)s at %(rate)s on %(taxable)s: %(amount)s",
                    tax=tax_name(row.tax_type, row.jurisdiction),
                    rate=rate_text(row.rate_pcm),
                    taxable=amount(row.taxable_cents),
                    amount=amount(row.tax_cents),
                ),
                9,
            )
    if invoice.reverse_charge:
        pdf.ln(4)
        _text(pdf, reverse_charge_mention(), 10, bold=True)
    pdf.ln(6)
    _text(
        pdf,
        gettext("Amounts in %(currency)s.", currency=invoice.currency)
        + " "
        + gettext(
            "This document was issued electronically by %(co_op)s.", co_op=invoice.seller_name
        ),
        8,
        colour=GREY,
    )
    return bytes(pdf.output())
