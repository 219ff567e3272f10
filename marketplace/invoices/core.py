"""What an invoice or a credit note says, in integer cents: pure, no Flask or SQLAlchemy.

An invoice copies each line of a paid order: the price net of tax and each tax on it. A
credit note gives back some lines of an invoice, every amount negated, so that an invoice and
its credit notes add up to what the buyer was finally charged, tax included, to the cent.

Numbers come from two series that are never reset: ``INV-000001``, ``INV-000002``… and
``CN-000001``… Article 226(2) of the VAT Directive asks for "a sequential number, based on one
or more series, which uniquely identifies the invoice"; a single series per kind satisfies every
member state without a rule for the year boundary (whose midnight, which time zone) and with one
counter to lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
KINDS = (INVOICE, CREDIT_NOTE)
PREFIXES = {INVOICE: "INV", CREDIT_NOTE: "CN"}
# The counters' names in ``named_sequences`` (rows made by migration 0037).
SEQUENCES = {INVOICE: "invoice_number", CREDIT_NOTE: "credit_note_number"}
NUMBER_DIGITS = 6
# Rates are thousandths of a percent, as in ``marketplace.taxes.rules`` (20 % is 20,000).
RATE_SCALE = 100_000


def document_number(kind: str, sequence: int) -> str:
    """The printed number of the ``sequence``-th document of ``kind``: ``INV-000123``."""
    if kind not in PREFIXES:
        raise ValueError(f"unknown document kind {kind!r}")
    if sequence < 1:
        raise ValueError("document numbers start at 1")
    return f"{PREFIXES[kind]}-{sequence:0{NUMBER_DIGITS}d}"


def missing_numbers(sequences: Iterable[int]) -> list[int]:
    """The numbers absent from 1..max(sequences): empty when the series is unbroken."""
    taken = set(sequences)
    return [n for n in range(1, max(taken, default=0) + 1) if n not in taken]


@dataclass(frozen=True)
class LineTax:
    """One tax on one line: ``jurisdiction`` "FR", "CA-QC"; ``tax_type`` "vat", "qst"…"""

    jurisdiction: str
    tax_type: str
    rate_pcm: int
    taxable_cents: int
    tax_cents: int
    reverse_charge: bool = False

    def negated(self) -> LineTax:
        return replace(self, taxable_cents=-self.taxable_cents, tax_cents=-self.tax_cents)


@dataclass(frozen=True)
class DocumentLine:
    """One licence on an invoice (positive) or a credit note (negative)."""

    order_item_id: int
    asset_id: int
    title: str
    licence: str
    size: str
    net_cents: int
    taxes: tuple[LineTax, ...] = ()

    @property
    def tax_cents(self) -> int:
        return sum(tax.tax_cents for tax in self.taxes)

    @property
    def rate_pcm(self) -> int:
        """The line's taxes' rates added up (GST 5 % + QST 9.975 % is 14.975 %)."""
        return sum(tax.rate_pcm for tax in self.taxes)

    @property
    def total_cents(self) -> int:
        return self.net_cents + self.tax_cents

    def negated(self) -> DocumentLine:
        return replace(
            self, net_cents=-self.net_cents, taxes=tuple(tax.negated() for tax in self.taxes)
        )


@dataclass(frozen=True)
class Totals:
    net_cents: int
    tax_cents: int
    total_cents: int


def totals(lines: Iterable[DocumentLine]) -> Totals:
    """The document's totals: net and tax each add up the lines; total is net plus tax."""
    lines = list(lines)
    net = sum(line.net_cents for line in lines)
    tax = sum(line.tax_cents for line in lines)
    return Totals(net, tax, net + tax)


def reverse_charged(lines: Iterable[DocumentLine]) -> bool:
    """Whether the buyer accounts for the VAT of some line (the mention must be printed)."""
    return any(tax.reverse_charge for line in lines for tax in line.taxes)


def credit_lines(invoiced: Iterable[DocumentLine], item_ids: Iterable[int]) -> list[DocumentLine]:
    """The credit note's lines for the refunded items: their invoice lines, every amount
    negated, in the invoice's order. Raises ``ValueError`` for an item the invoice lacks."""
    wanted = set(item_ids)
    chosen = [line.negated() for line in invoiced if line.order_item_id in wanted]
    missing = wanted - {line.order_item_id for line in chosen}
    if missing:
        raise ValueError(f"items {sorted(missing)} are not on the invoice")
    return chosen


@dataclass(frozen=True)
class TaxSummaryRow:
    jurisdiction: str
    tax_type: str
    rate_pcm: int
    reverse_charge: bool
    taxable_cents: int
    tax_cents: int


def tax_summary(lines: Iterable[DocumentLine]) -> list[TaxSummaryRow]:
    """The taxes of the document per jurisdiction, type and rate, in first-seen order."""
    rows: dict[tuple[str, str, int, bool], list[int]] = {}
    for line in lines:
        for tax in line.taxes:
            key = (tax.jurisdiction, tax.tax_type, tax.rate_pcm, tax.reverse_charge)
            sums = rows.setdefault(key, [0, 0])
            sums[0] += tax.taxable_cents
            sums[1] += tax.tax_cents
    return [TaxSummaryRow(*key, taxable, tax) for key, (taxable, tax) in rows.items()]


def rate_ratio(rate_pcm: int) -> Decimal:
    """A rate in thousandths of a percent as an exact ratio: 9,975 -> 0.09975."""
    return Decimal(rate_pcm) / RATE_SCALE
