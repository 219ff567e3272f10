"""Choosing a language: visitors by cookie (the switcher) or Accept-Language, accounts on the
account; the page cache never gives a page in one language to a reader of another."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, has_request_context
from flask.testing import FlaskClient
from flask_babel import lazy_gettext
from werkzeug.test import TestResponse

from marketplace.accounts.models import User
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.page_cache import HEADER
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.web import AuthActions, api_token, csrf_token

FRENCH = {"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}
HTML_LANG = re.compile(r'<html lang="([a-z]+)"')


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink) -> Iterator[Flask]:
    """The usual test app with the in-process page cache on, as production has it."""
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, PAGE_CACHE="memory") as app:
        yield app


def language_of(response: TestResponse) -> str:
    found = HTML_LANG.search(response.get_data(as_text=True))
    assert found, "no <html lang>"
    return found.group(1)


def switch(client: FlaskClient, language: str, back_to: str = "/about") -> TestResponse:
    return client.post(
        "/language",
        data={
            "csrf_token": csrf_token(client, "/about"),
            "language": language,
            "next": back_to,
        },
    )


def test_a_visitor_reads_the_language_of_their_browser(client: FlaskClient) -> None:
    assert language_of(client.get("/about")) == "en"
    assert language_of(client.get("/about", headers=FRENCH)) == "fr"
    assert language_of(client.get("/about", headers={"Accept-Language": "de, es;q=0.8"})) == "es"
    assert language_of(client.get("/about", headers={"Accept-Language": "de"})) == "en"


def test_the_switcher_keeps_a_visitors_choice_and_comes_back_to_the_page(
    client: FlaskClient,
) -> None:
    response = switch(client, "fr", back_to="/search?q=boats")
    assert response.status_code == 302
    assert response.headers["Location"] == "/search?q=boats"
    assert "language=fr" in response.headers["Set-Cookie"]
    # The cookie wins over the browser's languages.
    assert language_of(client.get("/about", headers={"Accept-Language": "en"})) == "fr"


def test_the_switcher_refuses_unknown_languages_and_other_sites(client: FlaskClient) -> None:
    response = switch(client, "xx")
    assert response.status_code == 302
    assert "Set-Cookie" not in response.headers or "language=" not in response.headers["Set-Cookie"]
    assert language_of(client.get("/about")) == "en"
    assert switch(client, "fr", back_to="https://evil.example/").headers["Location"] == "/"
    assert switch(client, "fr", back_to="//evil.example/").headers["Location"] == "/"


def test_the_switcher_needs_its_csrf_token(client: FlaskClient) -> None:
    response = client.post("/language", data={"language": "fr", "next": "/"})
    assert response.status_code == 400


def test_the_header_has_the_switcher_on_every_page(client: FlaskClient) -> None:
    about = client.get("/about").get_data(as_text=True)
    assert 'method="post" action="/language"' in about
    assert 'value="fr" lang="fr"' in about
    assert "Français" in about
    # A page cached for every visitor carries no token: its switcher asks /language for one.
    home = client.get("/").get_data(as_text=True)
    assert 'method="get" action="/language"' in home
    chooser = client.get("/language?language=fr&next=/").get_data(as_text=True)
    assert 'name="csrf-token"' in chooser
    assert "data-autosubmit" in chooser


def test_an_account_keeps_its_language_wherever_it_signs_in(
    app: Flask, client: FlaskClient
) -> None:
    Factory().buyer("lea@example.org", "Léa")
    auth = AuthActions(client)
    auth.login("lea@example.org")
    switch(client, "fr")
    user = db.session.execute(db.select(User).filter_by(email="lea@example.org")).scalar_one()
    db.session.refresh(user)
    assert user.locale == "fr"

    elsewhere = app.test_client()
    AuthActions(elsewhere).login("lea@example.org")
    assert language_of(elsewhere.get("/about", headers={"Accept-Language": "en"})) == "fr"


def test_the_account_page_sets_and_clears_the_language(client: FlaskClient) -> None:
    Factory().buyer("sam@example.org", "Sam")
    AuthActions(client).login("sam@example.org")
    token = csrf_token(client, "/account")
    page = client.post(
        "/account/language", data={"csrf_token": token, "language": "fr"}, follow_redirects=True
    )
    assert language_of(page) == "fr"
    assert re.search(r'<option[^>]*\bselected\b[^>]*value="fr"', page.get_data(as_text=True))
    page = client.post(
        "/account/language", data={"csrf_token": token, "language": ""}, follow_redirects=True
    )
    assert language_of(page) == "en"
    bad = client.post("/account/language", data={"csrf_token": token, "language": "xx"})
    assert bad.status_code == 422


def test_the_api_sets_the_language_of_anyone(client: FlaskClient) -> None:
    buyer = Factory().buyer()
    headers = api_token(client, buyer.email)
    answer = client.patch("/api/v1/me/profile", headers=headers, json={"locale": "fr"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["locale"] == "fr"
    assert client.get("/api/v1/me", headers=headers).get_json()["locale"] == "fr"
    # A buyer has no public profile: anything but the language is still refused.
    refused = client.patch(
        "/api/v1/me/profile", headers=headers, json={"locale": "en", "bio": "Hello"}
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/me", headers=headers).get_json()["locale"] == "fr"
    wrong = client.patch("/api/v1/me/profile", headers=headers, json={"locale": "xx"})
    assert wrong.status_code == 422
    assert wrong.get_json()["error"]["code"] == "unknown_language"
    cleared = client.patch("/api/v1/me/profile", headers=headers, json={"locale": None})
    assert cleared.status_code == 200
    assert "locale" not in cleared.get_json(), "none chosen: the browser decides"


def test_a_member_sets_language_and_profile_together(client: FlaskClient) -> None:
    member = Factory().member("mo@example.org")
    headers = api_token(client, member.email)
    answer = client.patch(
        "/api/v1/me/profile", headers=headers, json={"locale": "es", "location": "Sevilla"}
    )
    assert answer.status_code == 200
    assert answer.get_json()["location"] == "Sevilla"
    assert answer.get_json()["locale"] == "es"


def test_a_french_visitor_never_gets_the_english_cached_page(
    app: Flask, client: FlaskClient
) -> None:
    catalogue = Catalogue()
    asset_id = catalogue.add("Harbour at dawn", "sea, boats")
    for path in ("/", "/search?q=harbour", f"/assets/{asset_id}-harbour-at-dawn"):
        english = client.get(path)
        assert (english.headers[HEADER], language_of(english)) == ("miss", "en"), path
        french = app.test_client().get(path, headers=FRENCH)
        assert (french.headers[HEADER], language_of(french)) == ("miss", "fr"), path
        assert french.headers["Content-Language"] == "fr"
        assert "Accept-Language" in french.headers["Vary"]
        again = app.test_client().get(path, headers=FRENCH)
        assert (again.headers[HEADER], language_of(again)) == ("hit", "fr"), path
        english_again = app.test_client().get(path)
        assert (english_again.headers[HEADER], language_of(english_again)) == ("hit", "en")
        # The cookie chooses as well as the header.
        chosen = app.test_client()
        chosen.set_cookie("language", "fr")
        assert language_of(chosen.get(path)) == "fr", path


def test_signed_in_readers_get_the_cached_page_of_their_accounts_language(
    app: Flask, client: FlaskClient
) -> None:
    Catalogue().add("Harbour at dawn", "sea, boats")
    for email, locale in (("fr@example.org", "fr"), ("en@example.org", None)):
        user = Factory().buyer(email)
        user.locale = locale
        db.session.commit()
    french, english = app.test_client(), app.test_client()
    AuthActions(french).login("fr@example.org")
    AuthActions(english).login("en@example.org")
    french.get("/about")  # the welcome message
    english.get("/about")
    seen = []
    for reader in (french, english, french, english):
        page = reader.get("/search?q=harbour", headers={"Accept-Language": "en"})
        seen.append((page.headers[HEADER], language_of(page)))
    assert seen == [("miss", "fr"), ("miss", "en"), ("hit", "fr"), ("hit", "en")]


def test_a_currency_cookie_keys_the_cached_page_too(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    assert first.get("/").headers[HEADER] == "miss"
    second.set_cookie("currency", "EUR")
    assert second.get("/").headers[HEADER] == "miss"
    assert app.test_client().get("/").headers[HEADER] == "hit"


def test_pages_forms_and_errors_speak_french(client: FlaskClient) -> None:
    about = client.get("/about", headers=FRENCH).get_data(as_text=True)
    assert "Comment fonctionne la coopérative" in about
    assert "Rejoindre la coopérative" in about
    assert "Join the co-op" not in about
    # WTForms' own messages come in French too.
    page = client.post(
        "/signup",
        data={"csrf_token": csrf_token(client, "/signup"), "email": "", "password": ""},
        headers=FRENCH,
    )
    assert page.status_code == 422
    assert "Ce champ est requis." in page.get_data(as_text=True)
    missing = client.get("/no-such-page", headers=FRENCH)
    assert missing.status_code == 404
    assert "Page introuvable" in missing.get_data(as_text=True)
    assert "Erreur 404" in missing.get_data(as_text=True)


def test_api_messages_follow_the_reader_and_codes_stay(client: FlaskClient) -> None:
    refused = client.post(
        "/api/v1/tokens", json={"email": "nobody@example.org", "password": "x"}, headers=FRENCH
    )
    assert refused.get_json()["error"] == {
        "code": "bad_credentials",
        "message": "Cette adresse e-mail et ce mot de passe ne correspondent à aucun compte.",
    }
    english = client.post("/api/v1/tokens", json={"email": "nobody@example.org", "password": "x"})
    assert english.get_json()["error"]["message"] == (
        "That email and password do not match an account."
    )
    # The token owner's language wins over the headers once we know who is calling.
    buyer = Factory().buyer()
    buyer.locale = "fr"
    db.session.commit()
    headers = api_token(client, buyer.email)
    wrong = client.patch("/api/v1/me/profile", headers=headers, json={"locale": "xx"})
    assert wrong.get_json()["error"]["code"] == "unknown_language"
    assert wrong.get_json()["error"]["message"].startswith("Choisissez l’une des langues")
    unknown = client.get("/api/v1/no-such-thing", headers=FRENCH)
    assert unknown.get_json()["error"]["code"] == "not_found"
    assert unknown.get_json()["error"]["message"].startswith("Nous n’avons pas trouvé")


def test_emails_are_written_in_the_recipients_language(
    client: FlaskClient, smtp_sink: SmtpSink
) -> None:
    french = Factory().buyer("marie@example.org", "Marie")
    french.locale = "fr"
    db.session.commit()
    Factory().buyer("john@example.org", "John")
    # Marie's account says French, whatever the request says; John's says nothing, so the
    # request that caused the email (his own, in English) decides.
    client.post(
        "/api/v1/password-resets",
        json={"email": "marie@example.org"},
        headers={"Accept-Language": "en"},
    )
    client.post("/api/v1/password-resets", json={"email": "john@example.org"})
    to_marie = smtp_sink.wait_for("marie@example.org", "Réinitialisez votre mot de passe")
    assert "Bonjour Marie," in body_of(to_marie)
    assert "L’équipe de" in body_of(to_marie)
    to_john = smtp_sink.wait_for("john@example.org", "Reset your password")
    assert "Hello John," in body_of(to_john)


def test_an_account_starts_in_the_language_it_signed_up_in(client: FlaskClient) -> None:
    answer = client.post(
        "/api/v1/users",
        json={
            "email": "ines@example.org",
            "password": "correct horse battery",
            "display_name": "I",
        },
        headers=FRENCH,
    )
    assert answer.status_code == 201
    assert answer.get_json()["locale"] == "fr"


def test_spanish_has_begun_with_the_header_and_the_error_pages(client: FlaskClient) -> None:
    spanish = {"Accept-Language": "es-ES,es;q=0.9"}
    about = client.get("/about", headers=spanish).get_data(as_text=True)
    assert "Saltar al contenido principal" in about
    assert "Explorar" in about
    missing = client.get("/no-such-page", headers=spanish).get_data(as_text=True)
    assert "Página no encontrada" in missing


def test_an_email_queued_outside_any_request_is_in_the_recipients_language(
    app: Flask, smtp_sink: SmtpSink
) -> None:
    """As a worker sends it: an app context, no request, no Accept-Language to fall back on."""
    user = Factory().buyer("zoe@example.org", "Zoé")
    user.locale = "fr"
    db.session.commit()
    assert not has_request_context()
    with unit_of_work() as session:
        queue_email(
            session,
            user.email,
            lazy_gettext("Your password was changed"),
            "password_changed",
            user=user,
        )
    message = smtp_sink.wait_for("zoe@example.org", "Votre mot de passe a été changé")
    assert "Bonjour Zoé," in body_of(message)


def test_the_sign_in_prompt_of_a_private_page_is_in_the_readers_language(
    client: FlaskClient,
) -> None:
    sent_away = client.get("/account", headers=FRENCH)
    assert sent_away.status_code == 302
    login = client.get(sent_away.headers["Location"], headers=FRENCH).get_data(as_text=True)
    assert "Veuillez vous connecter pour voir cette page." in login
    assert "Bon retour parmi nous" in login
