"""Dividends, the open books and the books' PDFs in French: a member's statement page and its
PDF (text read back), the open books with their charts, and the ledger's account names."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from flask import Flask, render_template
from flask_babel import force_locale, gettext
from markupsafe import escape

from marketplace.database import utcnow
from marketplace.i18n import formats
from marketplace.ledger import display
from marketplace.ledger.core import format_cents
from tests.fixtures.dividends import (
    RUNS,
    Coop,
    by_member,
    coop_fixture,  # noqa: F401 - a fixture, found here by pytest as ``coop``
    member_id,
)
from tests.fixtures.web import AuthActions
from tests.integration.open_books_scenario import make_books
from tests.integration.test_annual_report import close_vote
from tests.pdf_text import pdf_words

FRENCH = {"Accept-Language": "fr"}


def day_in_french(iso: str) -> str:
    return formats.long_date(date.fromisoformat(iso), "fr")


def _paid_run(coop: Coop) -> dict[str, object]:
    run = coop.draft()
    coop.approve(run["id"])
    coop.pay(run["id"])
    return run


def test_a_members_statement_page_and_pdf_in_french(coop: Coop, auth: AuthActions) -> None:
    run = _paid_run(coop)
    allocation = by_member(run)[member_id(coop.artist_a)]
    client = auth.client
    auth.login(coop.artist_a.email)

    page = client.get(f"/account/dividends/{run['id']}", headers=FRENCH)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<html lang="fr"' in text
    assert "Relevé de ristourne" in text
    assert "Votre part de cette répartition" in text
    assert "Comment votre part a été calculée" in text
    # Figures in French conventions: a decimal comma and the currency after the amount.
    assert "160,00\u00a0$US" in text
    assert "Avis écrit d’attribution" in text
    # Days in words: the period, and the payment deadline in the notice.
    assert f"Période du {day_in_french(run['period_start'])} au " in text
    assert "Dividend statement" not in text
    assert "Your share of this run" not in text

    listing = client.get("/account/dividends/", headers=FRENCH).get_data(as_text=True)
    assert "Relevés de ristourne" in listing

    pdf = client.get(f"/account/dividends/{run['id']}.pdf", headers=FRENCH)
    assert pdf.status_code == 200
    words = pdf_words(pdf.data)
    assert "Relevé de ristourne" in words
    assert f"membre {allocation['member_number']}" in words
    assert "Comment votre part a été calculée" in words
    assert "Ristourne" in words
    # fpdf2 draws a no-break space with the space's glyph: it reads back as a space.
    assert "160,00 $US" in words.replace("\u00a0", " ")
    assert "Dividend statement" not in words

    english = pdf_words(client.get(f"/account/dividends/{run['id']}.pdf").data)
    assert "Dividend statement" in english
    assert "$160.00" in english


def test_ledger_amounts_keep_the_english_house_style(app: Flask) -> None:
    with app.test_request_context(), force_locale("fr"):
        assert display.money(-123_456, "EUR") == "-1\u202f234,56\u00a0€"
        assert display.decimal(Decimal("12.5")) == "12,5"
    with app.test_request_context(), force_locale("en"):
        assert display.money(-123_456, "EUR") == "−€1,234.56"
        assert display.money(4500, "CHF") == format_cents(4500, "CHF")
        assert display.decimal(Decimal("12.5")) == "12.5"


def test_the_open_books_in_french(coop: Coop, app: Flask) -> None:
    _paid_run(coop)
    client = app.test_client()
    text = client.get("/open-books", headers=FRENCH).get_data(as_text=True)
    assert "Comptes ouverts" in text
    assert "Ventes et redevances par mois" in text  # a chart's title
    assert "Redevances aux artistes" in text  # a legend and a column
    assert "Ce que signifient les chiffres" in text
    # Month names are French in the tables and on the charts' axes.
    year = text.split("Comptes ouverts ", 1)[1][:4]
    assert f"janv. {year}" in text or f"déc. {year}" in text
    assert "What the figures mean" not in text
    english = client.get("/open-books").get_data(as_text=True)
    assert "What the figures mean" in english


def test_the_ledger_pages_name_accounts_in_french(coop: Coop, auth: AuthActions) -> None:
    _paid_run(coop)
    client = auth.client
    auth.login(coop.drafter.email)
    balance = client.get("/admin/ledger/", headers=FRENCH).get_data(as_text=True)
    assert "Balance" in balance
    assert "Produits des licences" in balance
    assert "Capitaux propres" in balance
    assert "Licence revenue" not in balance
    journal = client.get("/admin/ledger/journal", headers=FRENCH).get_data(as_text=True)
    assert "Attribution de ristourne" in journal
    runs = client.get("/admin/dividends/", headers=FRENCH).get_data(as_text=True)
    assert "Ouvrir une répartition" in runs


def test_the_annual_report_page_and_pdf_in_french(
    app: Flask, auth: AuthActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    books = make_books(monkeypatch)
    close_vote("Adopter la nouvelle politique", utcnow() - timedelta(minutes=5))
    client = auth.client
    auth.login(books.artist_a.email)
    page = client.get(f"/members/annual-report/{books.this_year}", headers=FRENCH)
    text = page.get_data(as_text=True)
    assert f"Rapport annuel {books.this_year}" in text
    assert f"Balance à la fin de {books.this_year}" in text
    assert "Produits des licences" in text
    assert "Équilibrée" in text
    assert "au moins à 20 % en espèces" in text
    assert "6 sur 10" in text
    assert "<li>oui: 4</li>" in text

    pdf = client.get(f"/members/annual-report/{books.this_year}.pdf", headers=FRENCH)
    assert pdf.status_code == 200
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["Cache-Control"] == "private, no-store"
    words = pdf_words(pdf.data).replace("\u00a0", " ")
    assert f"Rapport annuel {books.this_year}" in words
    assert "4000 Produits des licences" in words
    assert "Total — Équilibrée" in words
    assert "Politique de ristourne en vigueur" in words
    assert "Adopter la nouvelle politique" in words
    assert "Participation 6 sur 10" in words
    assert "oui: 4, non: 1, abstention: 1" in words
    assert "Adoptée" in words
    assert "$US" in words

    english = pdf_words(client.get(f"/members/annual-report/{books.this_year}.pdf").data)
    assert f"Annual report {books.this_year}" in english
    assert "4000 Licence revenue" in english
    auth.logout()
    auth.login(books.buyer.email)
    assert client.get(f"/members/annual-report/{books.this_year}.pdf").status_code == 403


@pytest.mark.parametrize(
    ("who", "path", "french"),
    [
        ("drafter", "/admin/dividends/", "Ristournes"),
        ("drafter", "/admin/dividends/{run}", "Politique appliquée"),
        ("drafter", "/admin/dividends/redemptions", "Remboursements renouvelables"),
        ("drafter", "/admin/ledger/", "Balance en USD"),
        ("drafter", "/admin/ledger/journal", "Filtrer le journal"),
        ("drafter", "/admin/payouts", "Versements de redevances"),
        ("drafter", "/admin/taxes/", "Récapitulatif fiscal"),
        ("drafter", "/admin/costs/", "Enregistrer une dépense"),
        ("artist_a", "/account/dividends/consent", "La clause de consentement"),
        ("artist_a", "/account/earnings", "Redevances par mois"),
        ("artist_a", "/account/tax/", "Profil fiscal"),
        ("artist_a", "/account/tax/summary", "Ce que la coopérative vous a versé"),
    ],
)
def test_every_page_of_the_books_reads_in_french(
    coop: Coop, auth: AuthActions, who: str, path: str, french: str
) -> None:
    run = _paid_run(coop)
    auth.login(getattr(coop, who).email)
    response = auth.client.get(path.format(run=run["id"]), headers=FRENCH)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert french in text
    assert "Co-op ledger" not in text
    assert "Your account" not in text


def test_the_payout_held_email_in_french(app: Flask) -> None:
    context = {
        "member": SimpleNamespace(display_name="Amélie"),
        "amount_cents": 123_456,
        "currency": "EUR",
        "earnings_url": "https://coop.example/account/earnings",
        "co_op_name": "Co-op Stock",
        "base_url": "https://coop.example",
    }
    with app.test_request_context(), force_locale("fr"):
        body = render_template("email/payout_held.txt", **context)
        subject = gettext("Connect a payout account to receive your royalties")
    assert body.startswith("Bonjour Amélie,")
    assert "Co-op Stock vous doit 1\u202f234,56\u00a0€ de redevances" in body
    assert "L’équipe de Co-op Stock" in body
    assert subject == "Connectez un compte de versement pour recevoir vos redevances"
    with app.test_request_context(), force_locale("en"):
        english = render_template("email/payout_held.txt", **context)
    assert english.startswith("Hello Amélie,")
    assert "Co-op Stock owes you €1,234.56 in royalties" in english


def test_why_a_run_has_no_pool_in_french(coop: Coop, auth: AuthActions) -> None:
    coop.record_cost(49_000, "Accountant's review")
    run = coop.draft(operating_costs_cents=50_000)
    assert run["pool_cents"] == 0
    loss = -run["surplus_cents"]
    auth.login(coop.drafter.email)
    path = f"/admin/dividends/{run['id']}"
    english = auth.client.get(path).get_data(as_text=True)
    assert escape(run["reason"]) in english  # the reason the draft stored, as it was
    french = auth.client.get(path, headers=FRENCH).get_data(as_text=True)
    with force_locale("fr"):
        amount = display.money(loss, "USD")
    assert f"La période a enregistré une perte de {amount}" in french
    assert "reportés à nouveau" in french
    assert run["reason"] not in french


def test_the_dividend_cores_refusals_in_french(coop: Coop) -> None:
    headers = {**coop.drafter_headers, **FRENCH}
    low = coop.client.post(RUNS, json=coop.body(cash_pct="15"), headers=headers)
    assert low.status_code == 422
    assert low.get_json()["error"]["message"] == (
        "La part en espèces doit être d’au moins 20 % de chaque attribution (le minimum de la "
        "Subchapter T américaine pour un avis écrit d’attribution qualifié) ; 15 % est trop bas."
    )
    high = coop.client.post(RUNS, json=coop.body(reserve_pct="120"), headers=headers)
    # The API names the field it read; the code and the field stay as they are.
    assert high.get_json()["error"]["message"] == (
        "reserve_pct doit être comprise entre 0 et 100, et non 120"
    )
    english = coop.client.post(
        RUNS, json=coop.body(reserve_pct="120"), headers=coop.drafter_headers
    ).get_json()
    assert english["error"]["message"] == "reserve_pct must be between 0 and 100, not 120"
    assert english["error"]["code"] == high.get_json()["error"]["code"]
