"""The sales tax report: per jurisdiction and currency, the taxable sales, the tax collected,
what refunds gave back, and what the ledger's tax account says of the same period.

Sales count when paid, refunds when refunded (the moments their ledger entries are posted,
in the same transactions), so the report's net tax is the movement of each jurisdiction's
``2300-<jurisdiction>`` account over the period, to the cent; ``ledger_cents`` shows it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.ledger.entries import SALES_TAX_PAYABLE
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.orders.models import Order, OrderItem, OrderTaxLine


@dataclass
class TaxReportRow:
    jurisdiction: str
    currency: str
    taxable_cents: int = 0
    tax_cents: int = 0
    refunded_taxable_cents: int = 0
    refunded_tax_cents: int = 0
    ledger_cents: int = 0

    @property
    def net_tax_cents(self) -> int:
        return self.tax_cents - self.refunded_tax_cents

    def as_json(self) -> dict[str, object]:
        return {
            "jurisdiction": self.jurisdiction,
            "currency": self.currency,
            "taxable_cents": self.taxable_cents,
            "tax_cents": self.tax_cents,
            "refunded_taxable_cents": self.refunded_taxable_cents,
            "refunded_tax_cents": self.refunded_tax_cents,
            "net_tax_cents": self.net_tax_cents,
            "ledger_cents": self.ledger_cents,
        }


def tax_report(session: Session, start: datetime, end: datetime) -> list[TaxReportRow]:
    """The report of [``start``, ``end``), sorted by jurisdiction and currency."""
    rows: dict[tuple[str, str], TaxReportRow] = {}

    def row(jurisdiction: str, currency: str) -> TaxReportRow:
        return rows.setdefault((jurisdiction, currency), TaxReportRow(jurisdiction, currency))

    line = OrderTaxLine
    sold = session.execute(
        sa.select(
            line.jurisdiction,
            line.currency,
            sa.func.sum(line.taxable_cents),
            sa.func.sum(line.tax_cents),
        )
        .join(Order, Order.id == line.order_id)
        .where(Order.paid_at >= start, Order.paid_at < end)
        .group_by(line.jurisdiction, line.currency)
    )
    for jurisdiction, currency, taxable, tax in sold:
        found = row(jurisdiction, currency)
        found.taxable_cents, found.tax_cents = int(taxable), int(tax)
    refunded = session.execute(
        sa.select(
            line.jurisdiction,
            line.currency,
            sa.func.sum(line.taxable_cents),
            sa.func.sum(line.tax_cents),
        )
        .join(OrderItem, OrderItem.id == line.order_item_id)
        .where(OrderItem.refunded_at >= start, OrderItem.refunded_at < end)
        .group_by(line.jurisdiction, line.currency)
    )
    for jurisdiction, currency, taxable, tax in refunded:
        found = row(jurisdiction, currency)
        found.refunded_taxable_cents, found.refunded_tax_cents = int(taxable), int(tax)
    signed = sa.case(
        (JournalLine.side == "credit", JournalLine.amount_cents), else_=-JournalLine.amount_cents
    )
    booked = session.execute(
        sa.select(LedgerAccount.code, JournalLine.currency, sa.func.sum(signed))
        .join(JournalLine, JournalLine.account_id == LedgerAccount.id)
        .join(JournalEntry, JournalEntry.id == JournalLine.entry_id)
        .where(
            LedgerAccount.code.like(f"{SALES_TAX_PAYABLE}-%"),
            JournalEntry.posted_at >= start,
            JournalEntry.posted_at < end,
        )
        .group_by(LedgerAccount.code, JournalLine.currency)
    )
    for code, currency, cents in booked:
        row(code.removeprefix(f"{SALES_TAX_PAYABLE}-"), currency).ledger_cents = int(cents)
    return [rows[key] for key in sorted(rows)]


CSV_COLUMNS = (
    "jurisdiction",
    "currency",
    "taxable_cents",
    "tax_cents",
    "refunded_taxable_cents",
    "refunded_tax_cents",
    "net_tax_cents",
    "ledger_cents",
)


def tax_report_csv(rows: list[TaxReportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for found in rows:
        values = found.as_json()
        writer.writerow([values[column] for column in CSV_COLUMNS])
    return out.getvalue()
