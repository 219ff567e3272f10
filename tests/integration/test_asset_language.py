"""Each work records the language its text is written in: by default its artist's language,
set on upload and edited through the API and the portfolio page."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient

from marketplace.database import unit_of_work
from marketplace.extensions import db
from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.uploads import upload
from tests.fixtures.web import AuthActions, api_token, post_form


def _member(
    client: FlaskClient, factory: Factory, email: str, locale: str | None
) -> dict[str, str]:
    user = factory.member(email)
    with unit_of_work():
        db.session.merge(user).locale = locale
    return api_token(client, email)


def test_work_is_in_its_artists_language_unless_told(
    client: FlaskClient, factory: Factory, tmp_path: Path
) -> None:
    french = _member(client, factory, "amelie@example.org", "fr")
    english = _member(client, factory, "ann@example.org", None)
    photo = media_files.make_jpeg(tmp_path / "port.jpg", 1200, 900)
    other = media_files.make_jpeg(tmp_path / "other.jpg", 900, 1200)
    in_french = upload(client, french, photo, title="Bateaux au port").get_json()["id"]
    in_english = upload(client, english, photo, title="Boats").get_json()["id"]
    in_spanish = upload(client, english, other, language="es").get_json()["id"]
    languages = [
        client.get(f"/api/v1/assets/{i}", headers=h).get_json()["language"]
        for i, h in ((in_french, french), (in_english, english), (in_spanish, english))
    ]
    assert languages == ["fr", "en", "es"]
    refused = upload(client, english, other, language="klingon")
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"] == {"language": "Invalid."}


def test_the_language_is_edited_through_the_api_and_the_page(
    client: FlaskClient, factory: Factory, tmp_path: Path
) -> None:
    member = _member(client, factory, "artist@example.org", None)
    photo = media_files.make_jpeg(tmp_path / "a.jpg", 1200, 900)
    asset_id = upload(client, member, photo, title="Plage").get_json()["id"]
    edited = client.patch(f"/api/v1/assets/{asset_id}", headers=member, json={"language": "fr"})
    assert (edited.status_code, edited.get_json()["language"]) == (200, "fr")
    wrong = client.patch(f"/api/v1/assets/{asset_id}", headers=member, json={"language": 7})
    assert wrong.status_code == 422
    AuthActions(client).login("artist@example.org")
    page = client.get(f"/portfolio/{asset_id}").get_data(as_text=True)
    assert '<option selected value="fr">Français</option>' in page
    saved = post_form(
        client,
        f"/portfolio/{asset_id}",
        {"title": "Playa", "description": "", "keywords": "playa", "language": "es"},
    )
    assert saved.status_code == 302
    assert client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()["language"] == "es"
