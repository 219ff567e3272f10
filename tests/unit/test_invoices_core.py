"""The invoices' pure core: numbers, totals, the tax summary and credit notes' lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.invoices import core
from marketplace.invoices.core import DocumentLine, LineTax


def line(item_id: int, net: int, *taxes: LineTax) -> DocumentLine:
    return DocumentLine(item_id, 100 + item_id, f"Work {item_id}", "standard", "M", net, taxes)


FR_VAT = LineTax("FR", "vat", 20_000, 4_500, 900)
GST = LineTax("CA", "gst", 5_000, 4_500, 225)
QST = LineTax("CA-QC", "qst", 9_975, 4_500, 449)
DE_REVERSE = LineTax("DE", "vat", 0, 4_500, 0, reverse_charge=True)


def test_numbers_are_prefixed_and_padded_per_kind() -> None:
    assert core.document_number(core.INVOICE, 1) == "INV-000001"
    assert core.document_number(core.INVOICE, 123) == "INV-000123"
    assert core.document_number(core.CREDIT_NOTE, 42) == "CN-000042"
    assert core.document_number(core.INVOICE, 1_234_567) == "INV-1234567"
    with pytest.raises(ValueError, match="start at 1"):
        core.document_number(core.INVOICE, 0)
    with pytest.raises(ValueError, match="unknown"):
        core.document_number("receipt", 1)


def test_missing_numbers_finds_every_gap() -> None:
    assert core.missing_numbers([]) == []
    assert core.missing_numbers([1, 2, 3]) == []
    assert core.missing_numbers([3, 1]) == [2]
    assert core.missing_numbers([2, 5]) == [1, 3, 4]


def test_a_line_adds_its_taxes_and_their_rates() -> None:
    quebec = line(1, 4_500, GST, QST)
    assert quebec.tax_cents == 674
    assert quebec.rate_pcm == 14_975
    assert quebec.total_cents == 5_174
    assert core.rate_ratio(quebec.rate_pcm) == Decimal("0.14975")
    untaxed = line(2, 1_500)
    assert (untaxed.tax_cents, untaxed.rate_pcm, untaxed.total_cents) == (0, 0, 1_500)


def test_totals_and_the_reverse_charge_mention() -> None:
    lines = [line(1, 4_500, FR_VAT), line(2, 1_500)]
    assert core.totals(lines) == core.Totals(6_000, 900, 6_900)
    assert not core.reverse_charged(lines)
    assert core.reverse_charged([line(3, 4_500, DE_REVERSE)])


def test_the_tax_summary_groups_per_jurisdiction_type_and_rate() -> None:
    lines = [line(1, 4_500, GST, QST), line(2, 4_500, GST, QST), line(3, 4_500, FR_VAT)]
    assert core.tax_summary(lines) == [
        core.TaxSummaryRow("CA", "gst", 5_000, False, 9_000, 450),
        core.TaxSummaryRow("CA-QC", "qst", 9_975, False, 9_000, 898),
        core.TaxSummaryRow("FR", "vat", 20_000, False, 4_500, 900),
    ]


def test_a_credit_note_negates_exactly_the_refunded_lines() -> None:
    invoiced = [line(1, 4_500, FR_VAT), line(2, 1_500, LineTax("FR", "vat", 20_000, 1_500, 300))]
    credited = core.credit_lines(invoiced, [2])
    assert [c.order_item_id for c in credited] == [2]
    assert credited[0].net_cents == -1_500
    assert credited[0].tax_cents == -300
    assert credited[0].rate_pcm == 20_000
    assert core.totals(credited) == core.Totals(-1_500, -300, -1_800)
    with pytest.raises(ValueError, match=r"\[7\]"):
        core.credit_lines(invoiced, [2, 7])


taxes = st.builds(
    LineTax,
    st.sampled_from(["FR", "DE", "CA", "CA-QC", "US-WA"]),
    st.sampled_from(["vat", "gst", "qst", "sales_tax"]),
    st.integers(0, 27_000),
    st.integers(0, 10**9),
    st.integers(0, 10**8),
    st.booleans(),
)
lines_strategy = st.lists(
    st.builds(
        lambda i, net, t: line(i, net, *t),
        st.integers(1, 10**6),
        st.integers(1, 10**9),
        st.lists(taxes, max_size=3).map(tuple),
    ),
    max_size=8,
    unique_by=lambda x: x.order_item_id,
)


@given(lines_strategy, st.data())
def test_invoice_and_its_credit_notes_add_up_to_what_stayed_charged(
    lines: list[DocumentLine], data: st.DataObject
) -> None:
    ids = [x.order_item_id for x in lines]
    refunded = data.draw(st.lists(st.sampled_from(ids), unique=True) if ids else st.just([]))
    invoice = core.totals(lines)
    note = core.totals(core.credit_lines(lines, refunded))
    kept = core.totals(x for x in lines if x.order_item_id not in refunded)
    assert invoice.total_cents == invoice.net_cents + invoice.tax_cents
    assert invoice.net_cents + note.net_cents == kept.net_cents
    assert invoice.tax_cents + note.tax_cents == kept.tax_cents
    assert invoice.total_cents + note.total_cents == kept.total_cents
    summary = core.tax_summary(lines)
    assert sum(row.tax_cents for row in summary) == invoice.tax_cents
