"""A refused card's reason reaches the buyer in their language; other texts stay as written."""

from __future__ import annotations

from flask import Flask

from marketplace.payments.decline_words import STRIPE_SENTENCES, in_reader_language


def test_stripe_sentences_are_translated_for_a_french_reader(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert in_reader_language("Your card was declined.") == "Votre carte a été refusée."
        assert in_reader_language("Your card has expired.") == "Votre carte a expiré."
        for sentence in STRIPE_SENTENCES:
            assert in_reader_language(sentence) != sentence, sentence


def test_english_and_unknown_texts_are_left_as_they_are(app: Flask) -> None:
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert in_reader_language("Your card was declined.") == "Your card was declined."
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        assert in_reader_language("Bank said no (code 51).") == "Bank said no (code 51)."
        assert in_reader_language(None) == ""


def test_the_pay_page_filter_translates(app: Flask) -> None:
    template = app.jinja_env.from_string(
        "{{ _('The last attempt did not go through: %(error)s', error=message|card_words) }}"
    )
    with app.test_request_context("/", headers={"Accept-Language": "fr"}):
        text = template.render(message="Your card has insufficient funds.")
    assert "Le solde de votre carte est insuffisant." in text
