"""Buying, licences, lightboxes and the studio for a French reader: the pages, the receipt and
the licence certificate say it in French, with French numbers, and the certificate follows
its holder's language whoever downloads it."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from flask_babel import force_locale

from marketplace.accounts.models import User
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing.labels import terms_words
from marketplace.licensing.models import Licence
from marketplace.payments.receipts import compose_receipts
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.payments import payment_method
from tests.fixtures.pdf_text import pdf_text
from tests.fixtures.web import NO_TAX_PLACE, AuthActions, api_token, post_form


def _french(buying: Buying, email: str) -> FlaskClient:
    client = buying.app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr-FR,fr;q=0.9"
    AuthActions(client).login(email)
    return client


def _set_locale(user: User, locale: str | None) -> None:
    with unit_of_work():
        db.session.get(User, user.id).locale = locale  # type: ignore[union-attr]


def test_cart_checkout_and_order_pages_in_french(buying: Buying) -> None:
    client = _french(buying, buying.buyer.email)
    empty = client.get("/cart").get_data(as_text=True)
    assert "Votre panier est vide" in empty
    added = post_form(
        client,
        "/cart/add",
        {"asset_id": buying.photo, "licence": "standard", "size": "M"},
        from_page="/cart",
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "« Harbour at dawn » (licence standard, taille M) a été ajoutée à votre panier." in added
    for said in ("Votre panier", "Passer au paiement", "Récapitulatif", "Licence standard · "):
        assert said in added, said
    assert "Check out" not in added
    assert "Keep looking" not in added
    assert re.search(r"data-cart-total>\d+,\d\d\xa0(€|\$US)<", added), "French amounts"

    checkout = post_form(
        client, "/cart/checkout", NO_TAX_PLACE, from_page="/cart", follow_redirects=True
    )
    pay_page = checkout.get_data(as_text=True)
    assert re.search(r"Payer la commande nº \d+", pay_page)
    assert "Payer par carte" in pay_page
    assert "Pay by card" not in pay_page

    order = buying.bought((buying.other, "standard", "S"))
    detail = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    for said in (f"Commande nº {order['id']}", "Télécharger la taille S", "Certificat (PDF)"):
        assert said in detail, said
    assert "Payée" in detail
    assert "Download size" not in detail
    orders = client.get("/account/orders").get_data(as_text=True)
    assert "Vos commandes" in orders
    assert "newest first" not in orders


def test_the_receipt_is_in_the_buyers_language(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    _set_locale(buying.buyer, "fr")
    # As the mail worker composes it: an app context, no request.
    with buying.app.app_context():
        (receipt,) = compose_receipts([order["id"]])
    assert receipt["subject"] == f"Vos licences, commande nº {order['id']}"
    assert "Merci pour votre commande" in receipt["body"]
    assert "« Harbour at dawn » : licence standard, taille M, 45,00" in receipt["body"]
    _set_locale(buying.buyer, None)
    with buying.app.test_request_context():
        (english,) = compose_receipts([order["id"]])
    assert english["subject"] == f"Your licences, order #{order['id']}"


def test_lightbox_pages_in_french(buying: Buying) -> None:
    client = _french(buying, buying.buyer.email)
    index = client.get("/lightboxes").get_data(as_text=True)
    assert "Vos sélections" in index
    assert "Aucune sélection pour l’instant" in index
    created = post_form(
        client, "/lightboxes", {"name": "Printemps"}, from_page="/lightboxes", follow_redirects=True
    ).get_data(as_text=True)
    assert "« Printemps » est prête." in created
    for said in ("Cette sélection est vide", "Créer un lien de partage", "Renommer"):
        assert said in created, said
    assert "Create a share link" not in created


def test_studio_in_french(buying: Buying) -> None:
    buying.bought((buying.photo, "standard", "M"))
    member = buying.catalogue.member.user
    client = _french(buying, member.email)
    studio = client.get("/studio").get_data(as_text=True)
    for said in ("Votre atelier", "Redevances par mois", "Licences vendues", "Vos œuvres"):
        assert said in studio, said
    assert "Royalties by month" not in studio
    drafts = client.get("/studio/drafts").get_data(as_text=True)
    assert "Décrivez vos brouillons" in drafts


def test_the_certificate_is_in_its_holders_language(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    _set_locale(buying.buyer, "fr")
    licence_id = order["items"][0]["licence_id"]
    # An admin reading in English gets the holder's document, in the holder's language.
    admin = api_token(buying.client, buying.admin.email)
    pdf = buying.client.get(
        f"/api/v1/licences/{licence_id}/certificate",
        headers={**admin, "Accept-Language": "en"},
    )
    assert pdf.status_code == 200
    text = pdf_text(pdf.get_data())
    for said in (
        "Certificat de licence",
        "Licence standard, conditions version 1",
        "Titulaire de la licence",
        "Harbour at dawn (œuvre ",
        "Prix payé 45,00",
        "Statut à l’impression Valable",
        "Chacun peut vérifier que cette licence est authentique",
        # The founding terms' words, stored in English, said in the holder's language.
        "- Perpétuelle : la licence n’expire jamais",
    ):
        assert said in text, said
    assert re.search(r"Délivrée le \d{1,2} \w+ \d{4}", text)
    assert "Licence certificate" not in text

    _set_locale(buying.buyer, "en")
    english = pdf_text(
        buying.client.get(
            f"/api/v1/licences/{licence_id}/certificate",
            headers={**admin, "Accept-Language": "fr"},
        ).get_data()
    )
    assert "Licence certificate" in english
    assert "Price paid $45.00" in english


def test_verification_page_in_french(buying: Buying) -> None:
    order = buying.bought((buying.photo, "standard", "M"))
    licence = db.session.get(Licence, order["items"][0]["licence_id"])
    assert licence is not None
    visitor = buying.app.test_client()
    page = visitor.get(
        f"/licences/verify/{licence.verification_code}", headers={"Accept-Language": "fr"}
    ).get_data(as_text=True)
    assert "Authentique et valable." in page
    assert "Licence standard" in page
    licences = visitor.get("/licences", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Licences et prix" in licences
    assert "De quelle licence ai-je besoin ?" in licences
    assert "<li>Dans le monde entier</li>" in licences
    assert "1. Ce que vous obtenez." in licences


def test_the_payment_setup_alert_is_in_each_admins_language(
    buying: Buying, smtp_sink: SmtpSink
) -> None:
    _set_locale(buying.admin, "fr")
    buying.app.config["STRIPE_SECRET_KEY"] = "not-a-stripe-key"
    order = buying.order((buying.photo, "standard", "M"))
    refused = buying.client.post(
        f"/api/v1/orders/{order['id']}/payment",
        json={"payment_method": payment_method(buying.emulator.base_url)},
        headers=buying.headers,
    )
    assert refused.status_code == 503
    notice = smtp_sink.wait_for(buying.admin.email, "configuration des paiements")
    body = body_of(notice)
    assert "Stripe a refusé de prendre un paiement par carte" in body
    assert "Réglage probablement en cause : STRIPE_SECRET_KEY" in body


def test_founding_terms_are_translated_and_terms_an_admin_wrote_show_as_written(
    buying: Buying,
) -> None:
    with buying.app.app_context(), force_locale("fr"):
        assert terms_words("Worldwide") == "Dans le monde entier"
        assert terms_words("Worldwide\n") == "Dans le monde entier\n"
        assert terms_words("Worldwide, except at sea") == "Worldwide, except at sea"
    with buying.app.app_context(), force_locale("en"):
        assert terms_words("Worldwide") == "Worldwide"
