"""An invoice or credit note handed over as a PDF (pages and API alike)."""

from __future__ import annotations

from flask_babel import force_locale
from werkzeug.wrappers import Response

from marketplace.accounts.models import User
from marketplace.extensions import db
from marketplace.i18n.languages import DEFAULT_LANGUAGE
from marketplace.invoices.models import Invoice
from marketplace.invoices.pdf import invoice_pdf


def pdf_response(document: Invoice) -> Response:
    """The document in its buyer's language, whoever asks for it (an admin too): it is the
    buyer's document."""
    buyer = db.session.get(User, document.buyer_id)
    with force_locale((buyer.locale if buyer else None) or DEFAULT_LANGUAGE):
        pdf = invoice_pdf(document, document.corrects.number if document.corrects else None)
    response = Response(pdf, mimetype="application/pdf")
    response.headers.set("Content-Disposition", "inline", filename=f"{document.number}.pdf")
    response.headers["Cache-Control"] = "private, no-store"
    return response
