"""Invoice pages: an order's invoice and credit notes for its buyer (or an admin), and the
admins' list of documents issued in a period."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from marketplace.errors import InvalidInput
from marketplace.invoices import services
from marketplace.invoices.downloads import pdf_response
from marketplace.invoices.models import Invoice
from marketplace.invoices.words import country_name, rate_text, tax_name, title_of
from marketplace.web_support import role_required

bp = Blueprint("invoices", __name__)
admin_bp = Blueprint("invoices_admin", __name__, url_prefix="/admin")
bp.add_app_template_global(rate_text, "tax_rate_text")
bp.add_app_template_global(tax_name, "tax_name")
bp.add_app_template_global(country_name, "country_name")
bp.add_app_template_global(title_of, "invoice_title")
# The order page lists the order's invoice and credit notes.
bp.add_app_template_global(services.documents_of_order, "invoice_documents")


@bp.get("/orders/<int:order_id>/invoice")
@login_required
def invoice(order_id: int) -> str:
    document = services.invoice_for(current_user, order_id)
    return render_template(
        "invoices/document.html",
        document=document,
        documents=services.documents_of_order(order_id),
    )


@bp.get("/orders/<int:order_id>/invoice.pdf")
@login_required
def invoice_pdf(order_id: int) -> Response:
    return pdf_response(services.invoice_for(current_user, order_id))


@bp.get("/orders/<int:order_id>/credit-notes/<int:credit_note_id>")
@login_required
def credit_note(order_id: int, credit_note_id: int) -> str:
    document = services.credit_note_for(current_user, order_id, credit_note_id)
    return render_template(
        "invoices/document.html",
        document=document,
        documents=services.documents_of_order(order_id),
    )


@bp.get("/orders/<int:order_id>/credit-notes/<int:credit_note_id>.pdf")
@login_required
def credit_note_pdf(order_id: int, credit_note_id: int) -> Response:
    return pdf_response(services.credit_note_for(current_user, order_id, credit_note_id))


def _day(name: str, default: date) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(
            gettext("Dates are written YYYY-MM-DD."), fields={name: gettext("Not a date.")}
        ) from None


@admin_bp.get("/invoices")
@role_required("admin")
def issued() -> str | Response:
    """Invoices and credit notes issued from ``start`` to ``end`` (both included); CSV with
    ``format=csv``."""
    today = datetime.now(UTC).date()
    start = _day("start", today.replace(day=1))
    end = _day("end", today)
    if end < start:
        raise InvalidInput(
            gettext("The period ends before it starts."),
            fields={"end": gettext("Choose a day on or after the start.")},
        )
    documents = services.documents_between(
        datetime.combine(start, datetime.min.time(), UTC),
        datetime.combine(end + timedelta(days=1), datetime.min.time(), UTC),
    )
    if request.args.get("format") == "csv":
        return _csv(documents, start, end)
    return render_template("invoices/admin_list.html", documents=documents, start=start, end=end)


def _csv(documents: list[Invoice], start: date, end: date) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "number",
            "kind",
            "issued_at",
            "order_id",
            "corrects",
            "buyer",
            "billing_country",
            "buyer_tax_id",
            "currency",
            "net_cents",
            "tax_cents",
            "total_cents",
            "reverse_charge",
        ]
    )
    for doc in documents:
        writer.writerow(
            [
                doc.number,
                doc.kind,
                doc.issued_at.isoformat(),
                doc.order_id,
                doc.corrects.number if doc.corrects else "",
                doc.buyer_email,
                doc.billing_country or "",
                doc.buyer_tax_id or "",
                doc.currency,
                doc.net_cents,
                doc.tax_cents,
                doc.total_cents,
                "yes" if doc.reverse_charge else "no",
            ]
        )
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers.set(
        "Content-Disposition", "attachment", filename=f"invoices-{start}-{end}.csv"
    )
    return response
