"""The catalogue and asset pages in French: a reader whose browser asks for French gets the
search page, an asset page, the upload page and the portfolio in French, with none of the
English sentences those pages mark for translation left over."""

from __future__ import annotations

import html
import io
import json
import re
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from marketplace.accounts.models import User
from marketplace.assets import cleanup
from marketplace.assets.models import Asset
from marketplace.catalogue import storefront
from marketplace.database import unit_of_work
from tests.fixtures import media_files
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.uploads import (
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
)
from tests.fixtures.web import AuthActions, api_token, csrf_token

FRENCH = {"Accept-Language": "fr"}
NBSP, NNBSP = "\u00a0", "\u202f"


def _text(page: str) -> str:
    """The page's words as a reader sees them: tags dropped, spaces collapsed."""
    return re.sub(r"[ \t\r\n]+", " ", re.sub(r"<[^>]+>", " ", page))


def _french_page(client: FlaskClient, path: str) -> str:
    response = client.get(path, headers=FRENCH)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def test_the_search_page_speaks_french(client: FlaskClient) -> None:
    Catalogue().add("Harbour at dawn", "harbour, boats", size=(4200, 2800))
    whole = _french_page(client, "/search?q=harbour")
    page = whole[whole.index('<div class="storefront"') :]  # the header is another area's
    text = _text(page)
    assert f"Photos et vidéos pour «{NBSP}Harbour{NBSP}»" in text
    assert "1 résultat" in text
    assert 'placeholder="Rechercher des photos et des vidéos, par ex. port à l’aube"' in page
    for french in (
        "Filtres (0)",
        "Trier",
        "Pertinence",
        "Toutes les couleurs",
        "Afficher les résultats",
    ):
        assert french in text, french
    for english in (
        "Search photos and videos",
        "Best match",
        "Show results",
        "Any colour",
        "With or without",
        "1 result",
    ):
        assert english not in page, english


def test_an_empty_french_search_says_so_in_one_french_sentence(client: FlaskClient) -> None:
    Catalogue().add("Harbour at dawn", "harbour")
    text = _text(_french_page(client, "/search?q=zzyzx&kind=photo&orientation=portrait&people=yes"))
    assert (
        f"Aucune photo au format portrait avec des personnes ne correspond à «{NBSP}zzyzx{NBSP}»"
        in text
    )
    assert "Retirez un filtre pour en voir davantage" in text
    assert "match “zzyzx”" not in text


def test_the_filters_words_follow_the_reader(app: Flask) -> None:
    args = {"q": "port", "colour": "d02020", "min_mp": "12"}
    with app.test_request_context(), force_locale("fr"):
        labels = [f.label for f in storefront.active_filters(args)]
        sentence = storefront.nothing_found(args)
    assert labels == ["Rouge", "12 Mpx ou plus"]
    assert sentence == (
        f"Aucune photo ni vidéo en rouge d’au moins 12 Mpx ne correspond à «{NBSP}port{NBSP}»"
    )
    with app.test_request_context(), force_locale("en"):
        assert storefront.nothing_found(args) == (
            "No photos or videos in red of 12 MP or more match “port”"
        )


def test_an_asset_page_speaks_french(client: FlaskClient) -> None:
    photo = Catalogue().add("Harbour at dawn", "harbour", size=(4200, 2800))
    page = _french_page(client, f"/assets/{photo}-harbour-at-dawn")
    text = _text(page)
    for french in (
        "Se connecter pour acheter",
        "Ce que vous pouvez en faire",
        "Mots-clés",
        "Détails",
        "4200 × 2800 px",
        "Autorisations",
        "Inutiles : aucune personne ni aucun bien reconnaissable".replace(" :", NBSP + ":"),
        "Enregistrer dans une visionneuse",
        "Étendue",
        "Dans le monde entier",
    ):
        assert french in text, french
    assert "14,0 × 9,3 po" in text, "print sizes in French decimals"
    assert "Petite" in text, "size names"
    assert "Moyenne" in text, "size names"
    for english in (
        "Sign in to buy",
        "What you can do with it",
        "Not needed: no recognisable people or property",
        "Save to lightbox",
        "The licences in full",
        "printed at 300 pixels per inch",
        "Perpetual: the licence never expires",
    ):
        assert english not in page, english


def test_the_upload_page_speaks_french(
    app: Flask, client: FlaskClient, member: dict[str, str]
) -> None:
    app.config.update(
        PHOTO_MIN_PIXELS=6_000_000, MAX_UPLOAD_BYTES=2 * 1024**3, VIDEO_MAX_SECONDS=600
    )
    AuthActions(client).login("artist@example.org")
    page = _french_page(client, "/upload")
    text = _text(page)
    assert "Ce que nous acceptons" in text
    assert f"d’au moins 6 mégapixels (par exemple 3{NNBSP}000 × 2{NNBSP}000 pixels)" in text
    assert "MP4, MOV, MKV, WebM ou AVI, jusqu’à 10 minutes." in text
    assert "Déposez vos photos et vidéos ici" in text
    assert "En attente d’envoi" in text
    # The upload script's sentences, handed to it in the reader's language.
    words = json.loads(html.unescape(re.search(r"data-words='([^']*)'", page).group(1)))
    assert words["Waiting to upload"] == "En attente d’envoi"
    assert words["{count} of {total} uploaded"] == "déposés\u00a0: {count} sur {total}"
    assert all(words.values()), "every sentence of the script has its French"
    without_words = re.sub(r"data-words='[^']*'", "", page)  # its keys are the English
    for english in (
        "What we accept",
        "Drop photos and videos here",
        "Waiting to upload",
        "Files upload two at a time",
        "This session’s uploads",
    ):
        assert english not in without_words, english


def test_the_portfolio_and_an_asset_s_edit_page_speak_french(client: FlaskClient) -> None:
    catalogue = Catalogue()
    draft = catalogue.add("Boats at rest", "boats", status="draft")
    AuthActions(client).login(catalogue.member.user.email)
    portfolio = _text(_french_page(client, "/portfolio"))
    assert "Votre portfolio" in portfolio
    assert "1 œuvre" in portfolio
    assert "Brouillon" in portfolio
    edit = _french_page(client, f"/portfolio/{draft}")
    text = _text(edit)
    assert "Un brouillon." in text
    assert "Enregistrer les détails" in text
    assert "Joindre une autorisation" in text
    assert f"Avant l’examen{NBSP}:" in text
    assert "Ajoutez au moins 3 mots-clés (elle en a 1)." in text
    for english in ("A draft.", "Save details", "Attach a release", "Before review:"):
        assert english not in edit, english


def test_a_french_member_reads_the_curators_no_in_french(
    client: FlaskClient, smtp_sink: SmtpSink
) -> None:
    catalogue = Catalogue()
    asset_id = catalogue.add("Boats at rest", "boats, harbour, rest", status="pending_review")
    with unit_of_work() as session:
        session.get(User, catalogue.member.user_id).locale = "fr"  # type: ignore[union-attr]
    admin = api_token(client, Factory().admin().email)  # the curator reads English
    decided = client.post(
        f"/api/v1/admin/assets/{asset_id}/review",
        headers=admin,
        json={"decision": "reject", "reason": "Floue."},
    )
    assert decided.status_code == 200, decided.get_json()
    email = smtp_sink.wait_for(catalogue.member.user.email, "n’est pas acceptée")
    assert email["Subject"] == f"«{NBSP}Boats at rest{NBSP}» n’est pas acceptée"
    body = body_of(email)
    assert "Cette fois, les curateurs ont décidé de ne pas l’accepter dans le catalogue." in body
    assert "Floue." in body
    assert "This time the curators" not in body


def test_the_media_checks_sentences_reach_a_french_member_in_french(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    app.config.update(PHOTO_MIN_PIXELS=6_000_000)
    AuthActions(client).login("artist@example.org")
    script = {
        **FRENCH,
        "X-Requested-With": "XMLHttpRequest",
        "Accept": "application/json",
        "X-CSRFToken": csrf_token(client, "/upload"),
    }
    refused = client.post("/upload", headers=script, data={"file": (io.BytesIO(b""), "vide.jpg")})
    assert refused.status_code == 422
    assert refused.get_json()["error"]["message"] == f"vide.jpg{NBSP}: Le fichier est vide."
    small = media_files.make_jpeg(tmp_path / "petite.jpg", 1200, 900)
    with small.open("rb") as stream:
        too_small = client.post("/upload", headers=script, data={"file": (stream, "petite.jpg")})
    assert too_small.get_json()["error"]["message"] == (
        f"petite.jpg{NBSP}: Cette photo fait 1200 × 900 pixels (1.1 mégapixels){NBSP}; "
        "le minimum est de 6 mégapixels."
    )

    catalogue = Catalogue()
    stuck = catalogue.add("Boats at rest", "boats", status="failed")
    with unit_of_work() as session:
        session.get(Asset, stuck).failure_reason = cleanup.STUCK_REASON  # type: ignore[union-attr]
    AuthActions(client).logout()
    AuthActions(client).login(catalogue.member.user.email)
    text = _text(_french_page(client, f"/portfolio/{stuck}"))
    assert "Le traitement de ce fichier ne s’est jamais terminé" in text
    assert "Processing this file never finished" not in text
