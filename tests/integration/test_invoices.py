"""Invoices and credit notes on the fast tier: a paid order gets one invoice, numbered in an
unbroken series, readable by its buyer or an admin only; a refund gets a credit note that
negates the refunded lines; the PDFs say so in the buyer's language."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.database import NamedSequence, unit_of_work
from marketplace.extensions import db
from marketplace.invoices import services as invoices
from marketplace.invoices.models import Invoice, InvoiceLine
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
    charge_of,
)
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.payments import deliver, dispute_event
from tests.fixtures.web import AuthActions, api_token
from tests.pdf_text import pdf_words


def _documents() -> list[Invoice]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Invoice).order_by(Invoice.id)).scalars())


def _set_locale(user: User, locale: str | None) -> None:
    with unit_of_work():
        db.session.get(User, user.id).locale = locale  # type: ignore[union-attr]


def test_a_paid_order_gets_one_invoice_and_the_receipt_names_it(
    buying: Buying, smtp_sink: SmtpSink
) -> None:
    first = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    second = buying.bought((buying.photo, "extended", "L"))
    documents = _documents()
    assert [(d.order_id, d.number) for d in documents] == [
        (first["id"], "INV-000001"),
        (second["id"], "INV-000002"),
    ]
    invoice = documents[0]
    assert invoice.total_cents == first["total_cents"]
    assert invoice.net_cents + invoice.tax_cents == invoice.total_cents
    assert [line.net_cents for line in invoice.lines] == [
        item["price_cents"] for item in first["items"]
    ]
    assert invoice.buyer_email == buying.buyer.email
    # Issuing again (a retried receipt task) changes nothing.
    with buying.app.app_context():
        assert invoices.issue_invoices([first["id"], second["id"]]) == {
            first["id"]: "INV-000001",
            second["id"]: "INV-000002",
        }
    assert len(_documents()) == 2
    receipt = next(
        body_of(m) for m in smtp_sink.messages if f"order #{first['id']}" in m["Subject"]
    )
    assert "Your invoice INV-000001 (PDF):" in receipt
    assert f"/orders/{first['id']}/invoice" in receipt


def test_a_batch_is_numbered_in_order_id_order_and_skips_the_unpaid_and_the_issued(
    buying: Buying,
) -> None:
    """The receipts task issues its batch in one transaction: numbers follow the orders' ids
    whatever order the ids came in; an unpaid order gets none, an invoiced one keeps its own."""
    first = buying.bought((buying.photo, "standard", "M"))
    second = buying.bought((buying.other, "standard", "S"))
    third = buying.bought((buying.photo, "extended", "L"))
    pending = buying.order((buying.other, "extended", "M"))
    with buying.app.app_context(), unit_of_work() as session:
        # As if the receipts of the first two had not run: their invoices and numbers unissued.
        keys = [f"order:{first['id']}", f"order:{second['id']}"]
        ids = sa.select(Invoice.id).where(Invoice.source_key.in_(keys))
        session.execute(sa.delete(InvoiceLine).where(InvoiceLine.invoice_id.in_(ids)))
        session.execute(sa.delete(Invoice).where(Invoice.id.in_(ids)))
        session.execute(
            sa.update(NamedSequence).where(NamedSequence.name == "invoice_number").values(value=0)
        )
    with buying.app.app_context():
        numbers = invoices.issue_invoices([pending["id"], third["id"], second["id"], first["id"]])
    assert numbers == {
        first["id"]: "INV-000001",
        second["id"]: "INV-000002",
        third["id"]: "INV-000003",  # issued with its own receipt: kept, not renumbered
    }
    assert [(d.order_id, d.number) for d in _documents()] == [
        (third["id"], "INV-000003"),
        (first["id"], "INV-000001"),
        (second["id"], "INV-000002"),
    ]


def test_an_unpaid_order_has_no_invoice_and_a_rolled_back_number_is_given_back(
    buying: Buying,
) -> None:
    pending = buying.order((buying.photo, "standard", "M"))
    api = buying.client.get(f"/api/v1/orders/{pending['id']}/invoice", headers=buying.headers)
    assert api.status_code == 404
    assert buying.client.get(f"/orders/{pending['id']}/invoice").status_code in (302, 401)
    with buying.app.app_context():
        try:
            with unit_of_work() as session:
                assert invoices.take_number(session, "invoice") == 1
                raise RuntimeError("the issuing transaction fails")
        except RuntimeError:
            pass
    paid = buying.bought((buying.other, "standard", "S"))
    assert [(d.number, d.order_id) for d in _documents()] == [("INV-000001", paid["id"])]


def test_only_the_buyer_or_an_admin_reads_the_invoice(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    url = f"/api/v1/orders/{order['id']}/invoice"
    mine = buying.client.get(url, headers=buying.headers)
    assert mine.status_code == 200
    assert mine.mimetype == "application/pdf"
    assert "INV-000001.pdf" in mine.headers["Content-Disposition"]
    assert buying.client.get(url, headers=buying.admin_headers).status_code == 200
    stranger = Factory().buyer(email="stranger@example.com")
    theirs = buying.client.get(url, headers=api_token(buying.client, stranger.email))
    assert theirs.status_code == 404
    assert buying.client.get(url).status_code == 401
    page_client = buying.app.test_client()
    AuthActions(page_client).login(stranger.email)
    assert page_client.get(f"/orders/{order['id']}/invoice.pdf").status_code == 404
    assert page_client.get(f"/orders/{order['id']}/invoice").status_code == 404


def test_the_invoice_pdf_and_page_say_what_was_sold(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    pdf = buying.client.get(f"/api/v1/orders/{order['id']}/invoice", headers=buying.headers)
    text = pdf_words(pdf.data)
    for said in (
        "Invoice INV-000001",
        f"Order #{order['id']}",
        "Seller",
        "100 Harbour Street",
        "Portland, OR 97204",
        "Tax id: EU372000041",
        "Buyer",
        buying.buyer.email,
        "“Harbour at dawn”, standard licence, size M",
        "“Lighthouse”, standard licence, size S",
        "Total net",
        "Total tax",
        "Total paid",
        "Date of issue:",
    ):
        assert said in text, said
    assert "Reverse charge" not in text
    client = buying.app.test_client()
    AuthActions(client).login(buying.buyer.email)
    page = client.get(f"/orders/{order['id']}/invoice").get_data(as_text=True)
    assert "Invoice INV-000001" in page
    assert f"/orders/{order['id']}/invoice.pdf" in page
    detail = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "Invoice (PDF)" in detail
    assert client.get(f"/orders/{order['id']}/invoice.pdf").data.startswith(b"%PDF")


def test_the_invoice_is_in_the_buyers_language(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    _set_locale(buying.buyer, "fr")
    # An admin reading in English gets the buyer's document, in French.
    pdf = buying.client.get(f"/api/v1/orders/{order['id']}/invoice", headers=buying.admin_headers)
    text = pdf_words(pdf.data)
    for said in ("Facture INV-000001", "Vendeur", "Acheteur", "Total payé", "Date d’émission"):
        assert said in text, said
    assert "« Harbour at dawn », licence standard, taille M" in text
    assert "Total paid" not in text


def test_a_refund_gets_a_credit_note_negating_its_lines(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    first_item, second_item = order["items"]
    for items in ([first_item["id"]], []):
        response = buying.client.post(
            f"/api/v1/admin/orders/{order['id']}/refund",
            json={"items": items} if items else {},
            headers=buying.admin_headers,
        )
        assert response.status_code == 202, response.get_json()
    invoice, first_note, second_note = _documents()
    assert [first_note.number, second_note.number] == ["CN-000001", "CN-000002"]
    assert first_note.corrects_id == second_note.corrects_id == invoice.id
    assert [line.order_item_id for line in first_note.lines] == [first_item["id"]]
    assert first_note.total_cents == -first_item["price_cents"]
    assert second_note.total_cents == -second_item["price_cents"]
    assert invoice.total_cents + first_note.total_cents + second_note.total_cents == 0
    response = buying.client.get(
        f"/api/v1/orders/{order['id']}/credit-notes/{first_note.id}", headers=buying.headers
    )
    assert response.status_code == 200
    text = pdf_words(response.data)
    assert "Credit note CN-000001" in text
    assert "Corrects invoice INV-000001" in text
    assert "Total refunded" in text
    assert "-$" in text or "−$" in text
    # Not a credit note of another order, nor an invoice taken for a credit note.
    assert (
        buying.client.get(
            f"/api/v1/orders/{order['id']}/credit-notes/{invoice.id}", headers=buying.headers
        ).status_code
        == 404
    )
    client = buying.app.test_client()
    AuthActions(client).login(buying.buyer.email)
    detail = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "Credit note CN-000001 (PDF)" in detail
    assert "Credit note CN-000002 (PDF)" in detail


def test_admins_list_the_documents_of_a_period_and_download_them_as_csv(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    refund = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"items": [order["items"][0]["id"]]},
        headers=buying.admin_headers,
    )
    assert refund.status_code == 202
    client = buying.app.test_client()
    AuthActions(client).login(buying.admin.email)
    today = _documents()[0].issued_at.date().isoformat()
    page = client.get(f"/admin/invoices?start={today}&end={today}").get_data(as_text=True)
    assert "INV-000001" in page
    assert "CN-000001" in page
    csv_text = client.get(f"/admin/invoices?start={today}&end={today}&format=csv").get_data(
        as_text=True
    )
    rows = [line.split(",") for line in csv_text.strip().splitlines()]
    assert rows[0][:3] == ["number", "kind", "issued_at"]
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["INV-000001"][8] == "USD"
    assert int(by_number["INV-000001"][11]) == order["total_cents"]
    assert by_number["CN-000001"][4] == "INV-000001"
    assert int(by_number["INV-000001"][11]) + int(by_number["CN-000001"][11]) == sum(
        item["price_cents"] for item in order["items"][1:]
    )
    earlier = client.get("/admin/invoices?start=2020-01-01&end=2020-01-31").get_data(as_text=True)
    assert "INV-000001" not in earlier
    assert client.get("/admin/invoices?start=yesterday").status_code == 422
    assert client.get(f"/admin/invoices?start={today}&end=2020-01-01").status_code == 422
    buyer = buying.app.test_client()
    AuthActions(buyer).login(buying.buyer.email)
    assert buyer.get("/admin/invoices").status_code in (403, 404)


def test_a_lost_dispute_gets_a_credit_note_of_the_items_still_licensed(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    first_item, second_item = order["items"]
    response = buying.client.post(
        f"/api/v1/admin/orders/{order['id']}/refund",
        json={"items": [first_item["id"]]},
        headers=buying.admin_headers,
    )
    assert response.status_code == 202
    charge = charge_of(order["id"])
    rest = second_item["price_cents"]
    deliver(
        buying.client,
        dispute_event("charge.dispute.created", "dp_x", charge, rest, "needs_response"),
    )
    closed = dispute_event("charge.dispute.closed", "dp_x", charge, rest, "lost")
    deliver(buying.client, closed)
    deliver(buying.client, closed)
    invoice, refund_note, dispute_note = _documents()
    assert refund_note.refund_id is not None
    assert dispute_note.refund_id is None
    assert dispute_note.source_key == "dispute:dp_x"
    assert dispute_note.corrects_id == invoice.id
    assert [line.order_item_id for line in dispute_note.lines] == [second_item["id"]]
    assert invoice.total_cents + refund_note.total_cents + dispute_note.total_cents == 0
