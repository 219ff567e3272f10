"""Invoices in the JSON API: an order's invoice and credit notes as PDFs (buyer or admin)."""

from __future__ import annotations

from werkzeug.wrappers import Response

from marketplace.api_support import api_blueprint, api_user, token_required
from marketplace.invoices import services
from marketplace.invoices.downloads import pdf_response

bp = api_blueprint("invoices_api", __name__)


@bp.get("/orders/<int:order_id>/invoice")
@token_required()
def invoice(order_id: int) -> Response:
    return pdf_response(services.invoice_for(api_user(), order_id))


@bp.get("/orders/<int:order_id>/credit-notes/<int:credit_note_id>")
@token_required()
def credit_note(order_id: int, credit_note_id: int) -> Response:
    return pdf_response(services.credit_note_for(api_user(), order_id, credit_note_id))
