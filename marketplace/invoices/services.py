"""Issuing invoices and credit notes, and finding them for the people allowed to read them.

Numbers are taken from a counter row locked until the issuing transaction ends
(``database.next_in_sequence``: ``SELECT … FOR UPDATE`` on PostgreSQL), so a rollback gives its
number back and two workers never take the same one. Each document is issued once: an invoice
per order (``source_key`` "order:<id>"), a credit note per refund ("refund:<id>") or lost
dispute ("dispute:<Stripe id>"); the order row is locked before looking, so two workers issuing
the same order's invoice wait for each other and the second finds the first's.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import (
    lock_row,
    lock_rows,
    next_in_sequence,
    take_numbers,
    unit_of_work,
    utcnow,
)
from marketplace.errors import NotFound
from marketplace.extensions import db
from marketplace.invoices import core
from marketplace.invoices.models import Invoice, InvoiceLine
from marketplace.orders.models import Order, OrderTaxLine
from marketplace.payments.models import Refund

# Orders whose payment went through (a refunded or disputed order was paid once too).
INVOICED_STATUSES = ("paid", "partially_refunded", "refunded", "disputed")

# A place where the co-op does not collect gets a zero tax line: not a tax, not printed.
NOT_COLLECTING = "not_collecting"


def take_number(session: Session, kind: str) -> int:
    """The next number of ``kind``'s series, inside the caller's transaction (see module)."""
    return next_in_sequence(session, core.SEQUENCES[kind])


def order_lines(session: Session, order: Order) -> list[core.DocumentLine]:
    """The order's items as invoice lines: the price net of tax and each of its taxes."""
    return lines_of_orders(session, [order])[order.id]


def lines_of_orders(
    session: Session, orders: Iterable[Order]
) -> dict[int, list[core.DocumentLine]]:
    """Each order's items as invoice lines (two queries for all the orders)."""
    orders = list(orders)
    taxes: dict[int, list[core.LineTax]] = {}
    for row in session.execute(
        sa.select(OrderTaxLine)
        .where(
            OrderTaxLine.order_id.in_([order.id for order in orders]),
            OrderTaxLine.order_item_id.is_not(None),
            OrderTaxLine.taxability_reason != NOT_COLLECTING,
        )
        .order_by(OrderTaxLine.id)
    ).scalars():
        taxes.setdefault(row.order_item_id or 0, []).append(
            core.LineTax(
                jurisdiction=row.jurisdiction,
                tax_type=row.tax_type,
                rate_pcm=row.rate_pcm,
                taxable_cents=row.taxable_cents,
                tax_cents=row.tax_cents,
                reverse_charge=bool(row.reverse_charge),
            )
        )
    asset_ids = {item.asset_id for order in orders for item in order.items}
    titles = dict(
        session.execute(sa.select(Asset.id, Asset.title).where(Asset.id.in_(asset_ids))).all()
    )
    return {
        order.id: [
            core.DocumentLine(
                order_item_id=item.id,
                asset_id=item.asset_id,
                title=titles.get(item.asset_id) or "",
                licence=item.licence,
                size=item.size,
                net_cents=item.price_cents,
                taxes=tuple(taxes.get(item.id, ())),
            )
            for item in order.items
        ]
        for order in orders
    }


def _existing(session: Session, source_key: str) -> Invoice | None:
    return session.execute(
        sa.select(Invoice).where(Invoice.source_key == source_key)
    ).scalar_one_or_none()


def _seller() -> dict[str, str]:
    config = current_app.config
    return {
        "seller_name": config.get("CO_OP_LEGAL_NAME") or config["CO_OP_NAME"],
        "seller_address": config.get("CO_OP_ADDRESS") or "",
        "seller_tax_id": config.get("CO_OP_TAX_ID") or "",
    }


def _add_lines(invoice: Invoice, lines: list[core.DocumentLine]) -> None:
    figures = core.totals(lines)
    invoice.net_cents, invoice.tax_cents = figures.net_cents, figures.tax_cents
    invoice.total_cents = figures.total_cents
    invoice.reverse_charge = core.reverse_charged(lines)
    invoice.lines = [InvoiceLine.of(position, line) for position, line in enumerate(lines, 1)]


def _invoice(order: Order, buyer: User | None, sequence: int) -> Invoice:
    return Invoice(
        kind=core.INVOICE,
        sequence=sequence,
        number=core.document_number(core.INVOICE, sequence),
        source_key=f"order:{order.id}",
        order_id=order.id,
        issued_at=utcnow(),
        paid_at=order.paid_at,
        currency=order.currency,
        buyer_id=order.buyer_id,
        buyer_name=buyer.display_name if buyer else "",
        buyer_email=buyer.email if buyer else "",
        billing_country=order.billing_country,
        billing_region=order.billing_region,
        billing_postal_code=order.billing_postal_code,
        buyer_tax_id=order.billing_tax_id,
        **_seller(),
    )


def issue_invoice(session: Session, order_id: int) -> Invoice | None:
    """The order's invoice, issued now if it has none yet; None while the order is unpaid.

    Adds and flushes only: the caller's transaction commits it (with its number)."""
    key = f"order:{order_id}"
    if (found := _existing(session, key)) is not None:
        return found
    order = lock_row(session, Order, order_id)
    if order is None or order.status not in INVOICED_STATUSES:
        return None
    if (found := _existing(session, key)) is not None:
        return found
    buyer = session.get(User, order.buyer_id)
    invoice = _invoice(order, buyer, take_number(session, core.INVOICE))
    _add_lines(invoice, order_lines(session, order))
    session.add(invoice)
    session.flush()
    return invoice


def issue_credit_note(session: Session, refund: Refund) -> Invoice:
    """The refund's credit note (issued now if it has none): the refunded items' invoice
    lines negated, tax included. Issues the order's invoice first if it has none yet."""
    return _credit_note(session, refund.order_id, refund.item_ids, f"refund:{refund.id}", refund.id)


def issue_chargeback_credit_note(
    session: Session, order_id: int, dispute_id: str, item_ids: list[int]
) -> Invoice | None:
    """A lost dispute's credit note: the bank took back the items' price and tax, as a refund
    would, so the invoice is corrected as for a refund. None when no item was still active."""
    if not item_ids:
        return None
    return _credit_note(session, order_id, item_ids, f"dispute:{dispute_id}", None)


def _credit_note(
    session: Session, order_id: int, item_ids: list[int], key: str, refund_id: int | None
) -> Invoice:
    if (found := _existing(session, key)) is not None:
        return found
    invoice = issue_invoice(session, order_id)
    if invoice is None:
        raise RuntimeError(f"Credit note {key} belongs to an order that was never paid.")
    lines = core.credit_lines(invoice.document_lines(), item_ids)
    sequence = take_number(session, core.CREDIT_NOTE)
    note = Invoice(
        kind=core.CREDIT_NOTE,
        sequence=sequence,
        number=core.document_number(core.CREDIT_NOTE, sequence),
        source_key=key,
        order_id=invoice.order_id,
        refund_id=refund_id,
        corrects_id=invoice.id,
        issued_at=utcnow(),
        paid_at=invoice.paid_at,
        currency=invoice.currency,
        buyer_id=invoice.buyer_id,
        buyer_name=invoice.buyer_name,
        buyer_email=invoice.buyer_email,
        billing_country=invoice.billing_country,
        billing_region=invoice.billing_region,
        billing_postal_code=invoice.billing_postal_code,
        buyer_tax_id=invoice.buyer_tax_id,
        seller_name=invoice.seller_name,
        seller_address=invoice.seller_address,
        seller_tax_id=invoice.seller_tax_id,
    )
    _add_lines(note, lines)
    session.add(note)
    session.flush()
    return note


def issue_invoices(order_ids: Iterable[int]) -> dict[int, str]:
    """Issue the invoices the paid orders among ``order_ids`` lack; the invoice number of each
    paid order.

    One transaction for the batch (the receipts task's orders, paid together): the orders are
    locked in id order, the batch's numbers taken from the counter at once, in that order, and
    the documents written together. Issued one by one, each invoice cost its own transaction and
    some ten statements: 10 ms of a worker's CPU per payment, twice the payment's own.
    """
    wanted = sorted(set(order_ids))
    if not wanted:
        return {}
    with unit_of_work() as session:
        orders = lock_rows(session, Order, wanted, load=(selectinload(Order.items),))
        numbers: dict[int, str] = dict(
            session.execute(
                sa.select(Invoice.order_id, Invoice.number).where(
                    Invoice.kind == core.INVOICE,
                    Invoice.source_key.in_([f"order:{order_id}" for order_id in wanted]),
                )
            ).all()
        )
        missing = [o for o in orders if o.status in INVOICED_STATUSES and o.id not in numbers]
        if not missing:
            return numbers
        buyers = {
            user.id: user
            for user in session.execute(
                sa.select(User).where(User.id.in_({order.buyer_id for order in missing}))
            ).scalars()
        }
        lines = lines_of_orders(session, missing)
        sequences = take_numbers(session, core.SEQUENCES[core.INVOICE], len(missing))
        for order, sequence in zip(missing, sequences, strict=True):
            invoice = _invoice(order, buyers.get(order.buyer_id), sequence)
            _add_lines(invoice, lines[order.id])
            session.add(invoice)
            numbers[order.id] = invoice.number
        session.flush()
    return numbers


def _readable_order(user: User, order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None or (order.buyer_id != user.id and not user.is_admin):
        raise NotFound(gettext("No such order."))
    return order


def invoice_for(user: User, order_id: int) -> Invoice:
    """The order's invoice for its buyer or an admin (issued now if the order is paid and the
    receipt's task has not issued it yet); anyone else, or an unpaid order: 404."""
    _readable_order(user, order_id)
    with unit_of_work() as session:
        invoice = issue_invoice(session, order_id)
        if invoice is None:
            raise NotFound(gettext("This order has no invoice: it is not paid."))
        invoice_id = invoice.id
    return _loaded(invoice_id)


def credit_note_for(user: User, order_id: int, credit_note_id: int) -> Invoice:
    """One of the order's credit notes, for its buyer or an admin; otherwise 404."""
    _readable_order(user, order_id)
    note = db.session.get(Invoice, credit_note_id)
    if note is None or note.order_id != order_id or note.kind != core.CREDIT_NOTE:
        raise NotFound(gettext("No such credit note."))
    return _loaded(note.id)


def _loaded(invoice_id: int) -> Invoice:
    return db.session.execute(
        sa.select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.corrects))
    ).scalar_one()


def documents_of_order(order_id: int) -> list[Invoice]:
    """The order's invoice and credit notes, in the order they were issued."""
    return list(
        db.session.execute(
            sa.select(Invoice).where(Invoice.order_id == order_id).order_by(Invoice.id)
        ).scalars()
    )


def documents_between(start: datetime, end: datetime) -> list[Invoice]:
    """Every invoice and credit note issued in [start, end), by kind then number."""
    return list(
        db.session.execute(
            sa.select(Invoice)
            .where(Invoice.issued_at >= start, Invoice.issued_at < end)
            .order_by(Invoice.kind.desc(), Invoice.sequence)
        ).scalars()
    )
