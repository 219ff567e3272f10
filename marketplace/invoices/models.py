"""Invoices and credit notes as issued: every figure and name copied at issue, never changed.

An issued document is a legal record: it keeps the seller's and buyer's details and each line
as they were on the day it was issued, so its PDF reads the same years later whatever became of
the account, the co-op's address or the work's title.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.database import UTCDateTime, utcnow
from marketplace.extensions import db
from marketplace.invoices.core import CREDIT_NOTE, INVOICE, KINDS, DocumentLine, LineTax


class Invoice(db.Model):  # type: ignore[name-defined]
    """An invoice (``kind`` "invoice", one per paid order) or a credit note ("credit_note",
    one per refund that succeeded or dispute lost, ``corrects_id`` naming the invoice it
    corrects; ``refund_id`` empty for a dispute)."""

    __tablename__ = "invoices"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    sequence: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    number: Mapped[str] = mapped_column(sa.String(32), nullable=False, unique=True)
    # "order:<id>" for an invoice, "refund:<id>" for a credit note: one document each.
    source_key: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id"), nullable=False, index=True)
    refund_id: Mapped[int | None] = mapped_column(sa.ForeignKey("refunds.id"))
    corrects_id: Mapped[int | None] = mapped_column(sa.ForeignKey("invoices.id"))
    issued_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=utcnow, index=True
    )
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    net_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    tax_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    reverse_charge: Mapped[bool] = mapped_column(sa.Boolean, nullable=False, default=False)
    seller_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    seller_address: Mapped[str] = mapped_column(sa.Text, nullable=False, default="")
    seller_tax_id: Mapped[str] = mapped_column(sa.String(64), nullable=False, default="")
    buyer_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"), nullable=False, index=True)
    buyer_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    buyer_email: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    billing_country: Mapped[str | None] = mapped_column(sa.String(2))
    billing_region: Mapped[str | None] = mapped_column(sa.String(8))
    billing_postal_code: Mapped[str | None] = mapped_column(sa.String(16))
    buyer_tax_id: Mapped[str | None] = mapped_column(sa.String(32))

    lines: Mapped[list[InvoiceLine]] = relationship(
        "InvoiceLine", order_by="InvoiceLine.position", cascade="all, delete-orphan"
    )
    corrects: Mapped[Invoice | None] = relationship("Invoice", remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint(f"kind IN {KINDS}", name="kind_known"),
        sa.CheckConstraint("total_cents = net_cents + tax_cents", name="total_adds_up"),
        sa.CheckConstraint(
            f"(kind = '{INVOICE}' AND total_cents >= 0 AND corrects_id IS NULL)"
            f" OR (kind = '{CREDIT_NOTE}' AND total_cents <= 0 AND corrects_id IS NOT NULL)",
            name="sign_of_kind",
        ),
        # Each series is unbroken and never shares a number (services.take_number).
        sa.UniqueConstraint("kind", "sequence", name="uq_invoices_kind_sequence"),
    )

    @property
    def is_credit_note(self) -> bool:
        return self.kind == CREDIT_NOTE

    def document_lines(self) -> list[DocumentLine]:
        return [line.as_document_line() for line in self.lines]


class InvoiceLine(db.Model):  # type: ignore[name-defined]
    """One licence on a document, net of tax, with each tax on it (``taxes``, a JSON list)."""

    __tablename__ = "invoice_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(
        sa.ForeignKey("invoices.id"), nullable=False, index=True
    )
    position: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    order_item_id: Mapped[int] = mapped_column(sa.ForeignKey("order_items.id"), nullable=False)
    asset_id: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    title: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    licence: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    size: Mapped[str] = mapped_column(sa.String(8), nullable=False)
    net_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    tax_cents: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    rate_pcm: Mapped[int] = mapped_column(sa.Integer, nullable=False)
    taxes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, nullable=False, default=list)

    __table_args__ = (
        sa.UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_position"),
    )

    @classmethod
    def of(cls, position: int, line: DocumentLine) -> InvoiceLine:
        return cls(
            position=position,
            order_item_id=line.order_item_id,
            asset_id=line.asset_id,
            title=line.title,
            licence=line.licence,
            size=line.size,
            net_cents=line.net_cents,
            tax_cents=line.tax_cents,
            rate_pcm=line.rate_pcm,
            taxes=[
                {
                    "jurisdiction": tax.jurisdiction,
                    "tax_type": tax.tax_type,
                    "rate_pcm": tax.rate_pcm,
                    "taxable_cents": tax.taxable_cents,
                    "tax_cents": tax.tax_cents,
                    "reverse_charge": tax.reverse_charge,
                }
                for tax in line.taxes
            ],
        )

    def as_document_line(self) -> DocumentLine:
        return DocumentLine(
            order_item_id=self.order_item_id,
            asset_id=self.asset_id,
            title=self.title,
            licence=self.licence,
            size=self.size,
            net_cents=self.net_cents,
            taxes=tuple(
                LineTax(
                    jurisdiction=str(tax["jurisdiction"]),
                    tax_type=str(tax["tax_type"]),
                    rate_pcm=int(tax["rate_pcm"]),
                    taxable_cents=int(tax["taxable_cents"]),
                    tax_cents=int(tax["tax_cents"]),
                    reverse_charge=bool(tax.get("reverse_charge")),
                )
                for tax in self.taxes
            ),
        )
