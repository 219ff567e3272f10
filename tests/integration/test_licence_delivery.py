"""After the sale: downloads through signed, expiring addresses, certificates, verification."""

from __future__ import annotations

import io
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.licensing import services
from marketplace.licensing.models import Licence
from marketplace.storage import get_storage
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.deliveries import image_data
from tests.fixtures.factories import Factory
from tests.fixtures.media_files import exif_bytes
from tests.fixtures.web import AuthActions, api_token


def _original() -> bytes:
    """A 3000 × 2000 JPEG with a camera's EXIF: M is the largest size it is sold in."""
    buffer = io.BytesIO()
    Image.effect_noise((3000, 2000), 64).convert("RGB").save(
        buffer, "JPEG", quality=90, exif=exif_bytes(gps=True)
    )
    return buffer.getvalue()


ORIGINAL = _original()  # over a megabyte: several chunks, and not a whole number of them


@pytest.fixture
def buyer(factory: Factory) -> User:
    return factory.buyer("holder@example.org", "Hana Holder")


@pytest.fixture
def licence(app: Flask, buyer: User) -> Licence:
    """A valid standard M licence of a photo whose original is in storage."""
    asset_id = Catalogue().add("Harbour at dawn")
    asset = db.session.get(Asset, asset_id)
    assert asset is not None
    get_storage().save_stream(asset.original_key, io.BytesIO(ORIGINAL), len(ORIGINAL))
    with unit_of_work() as session:
        asset.original_size_bytes = len(ORIGINAL)
        quote = services.quote(session, asset, "standard", "M", "USD")
        issued = services.issue(
            session,
            holder_id=buyer.id,
            asset_id=asset_id,
            terms_id=quote.terms_id,
            size="M",
            price_cents=quote.price_cents,
            currency="USD",
            order_id=3,
            order_item_id=30,
        )
    return issued


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _downloads(licence: Licence) -> int:
    return db.session.execute(
        sa.select(Licence.download_count).where(Licence.id == licence.id)
    ).scalar_one()


def _set_status(licence: Licence, status: str) -> None:
    with unit_of_work() as session:
        if status == "refunded":
            services.revoke(session, licence.id, "refunded")
        elif status == "disputed":
            services.mark_disputed(session, licence.id)


def test_holder_downloads_the_original_through_the_api(
    client: FlaskClient, licence: Licence, buyer: User
) -> None:
    headers = api_token(client, buyer.email)
    redirected = client.get(f"/api/v1/licences/{licence.id}/download", headers=headers)
    assert redirected.status_code == 302
    signed = redirected.headers["Location"]
    assert "/licences/download/" in signed
    response = client.get(_path(signed))  # no cookie, no token: the address is the permission
    assert response.status_code == 200
    assert response.is_streamed or response.direct_passthrough
    delivered = response.get_data()
    assert image_data(delivered) == image_data(ORIGINAL)
    assert b"GPS" not in delivered[: len(delivered) - len(image_data(ORIGINAL))]
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Content-Length"] == str(len(delivered))
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f"coop-stock-{licence.asset_id}-m.jpg" in disposition
    response.close()
    assert _downloads(licence) == 1
    client.get(_path(signed)).close()
    assert _downloads(licence) == 2


def test_a_resumed_download_counts_once(client: FlaskClient, licence: Licence) -> None:
    signed = _path(services.download_url(licence))
    start = client.get(signed, headers={"Range": "bytes=0-99"})
    assert start.status_code == 206
    head = start.get_data()
    start.close()
    rest = client.get(signed, headers={"Range": "bytes=100-"})
    assert rest.status_code == 206
    whole = head + rest.get_data()
    rest.close()
    assert _downloads(licence) == 1
    assert len(head) == 100
    assert image_data(whole) == image_data(ORIGINAL)


def test_others_get_404(client: FlaskClient, licence: Licence, factory: Factory) -> None:
    other = api_token(client, factory.buyer().email)
    assert client.get(f"/api/v1/licences/{licence.id}/download", headers=other).status_code == 404
    assert client.get("/api/v1/licences/999999/download", headers=other).status_code == 404
    assert client.get(f"/api/v1/licences/{licence.id}/download").status_code == 401
    admin = api_token(client, factory.admin().email)
    assert client.get(f"/api/v1/licences/{licence.id}/download", headers=admin).status_code == 404


def test_expired_and_forged_addresses_are_refused(client: FlaskClient, licence: Licence) -> None:
    expired = services.download_url(licence, now=utcnow() - timedelta(minutes=16))
    response = client.get(_path(expired))
    assert response.status_code == 410
    assert "expired" in response.get_data(as_text=True)
    token = urlsplit(services.download_url(licence)).path.rsplit("/", 1)[-1]
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/licences/download/{forged}").status_code == 404
    assert _downloads(licence) == 0


def test_links_expire_after_the_configured_minutes(app: Flask, licence: Licence) -> None:
    app.config["LICENCE_DOWNLOAD_MINUTES"] = 5
    token = urlsplit(services.download_url(licence)).path.rsplit("/", 1)[-1]
    assert services.read_download_token(token, now=utcnow() + timedelta(minutes=4)).licence_id
    with pytest.raises(services.Gone):
        services.read_download_token(token, now=utcnow() + timedelta(minutes=6))


def test_refunded_licence_is_gone(client: FlaskClient, licence: Licence, buyer: User) -> None:
    signed = _path(services.download_url(licence))
    _set_status(licence, "refunded")
    headers = api_token(client, buyer.email)
    api = client.get(f"/api/v1/licences/{licence.id}/download", headers=headers)
    assert api.status_code == 410
    assert api.get_json()["error"]["code"] == "licence_refunded"
    assert client.get(signed).status_code == 410
    assert _downloads(licence) == 0


def test_disputed_licence_is_refused_until_the_dispute_is_won(
    client: FlaskClient, licence: Licence, buyer: User
) -> None:
    signed = _path(services.download_url(licence))
    _set_status(licence, "disputed")
    headers = api_token(client, buyer.email)
    assert client.get(f"/api/v1/licences/{licence.id}/download", headers=headers).status_code == 410
    page = client.get(signed)
    assert page.status_code == 403
    assert "dispute" in page.get_data(as_text=True)
    with unit_of_work() as session:
        services.restore(session, licence.id)
    restored = client.get(signed)
    assert restored.status_code == 200
    restored.close()
    assert _downloads(licence) == 1


def test_certificate_is_a_pdf_with_the_verification_address(
    client: FlaskClient, licence: Licence, buyer: User, factory: Factory
) -> None:
    headers = api_token(client, buyer.email)
    response = client.get(f"/api/v1/licences/{licence.id}/certificate", headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    pdf = response.get_data()
    assert pdf.startswith(b"%PDF")
    verify_url = f"http://localhost/licences/verify/{licence.verification_code}"
    assert verify_url.encode() in pdf
    assert services.verification_url(licence) == verify_url
    other = api_token(client, factory.buyer().email)
    assert (
        client.get(f"/api/v1/licences/{licence.id}/certificate", headers=other).status_code == 404
    )
    admin = api_token(client, factory.admin().email)
    assert (
        client.get(f"/api/v1/licences/{licence.id}/certificate", headers=admin).status_code == 200
    )


def test_certificate_without_a_font_file_uses_latin_letters(
    app: Flask, client: FlaskClient, licence: Licence, buyer: User
) -> None:
    app.config["LICENCE_CERTIFICATE_FONT"] = "/nonexistent/font.ttf"
    with unit_of_work():
        licence.asset.title = "Hafen im Morgengrauen — 港"
    headers = api_token(client, buyer.email)
    response = client.get(f"/api/v1/licences/{licence.id}/certificate", headers=headers)
    assert response.status_code == 200
    assert response.get_data().startswith(b"%PDF")


@pytest.mark.parametrize(
    ("status", "words", "http_status"),
    [
        ("valid", "Genuine and valid", 200),
        ("refunded", "no longer valid", 200),
        ("disputed", "suspended", 200),
    ],
)
def test_verification_page_says_what_state_a_licence_is_in(
    client: FlaskClient, licence: Licence, status: str, words: str, http_status: int
) -> None:
    _set_status(licence, status)
    response = client.get(f"/licences/verify/{licence.verification_code}")
    assert response.status_code == http_status
    page = response.get_data(as_text=True)
    assert words in page
    for shown in ("Hana Holder", "Harbour at dawn", "Standard licence", "terms version 1"):
        assert shown in page


def test_unknown_verification_code_is_404(client: FlaskClient) -> None:
    response = client.get("/licences/verify/0123456789abcdef0123456789abcdef")
    assert response.status_code == 404
    assert "<html" in response.get_data(as_text=True)


def test_account_page_lists_licences_with_links(
    client: FlaskClient, auth: AuthActions, licence: Licence, buyer: User, factory: Factory
) -> None:
    assert client.get("/account/licences").status_code == 302
    auth.login(buyer.email)
    page = client.get("/account/licences").get_data(as_text=True)
    assert "Harbour at dawn" in page
    assert f"/account/licences/{licence.id}/download" in page
    assert f"/account/licences/{licence.id}/certificate" in page
    fresh = client.get(f"/account/licences/{licence.id}/download")
    assert fresh.status_code == 302
    assert "/licences/download/" in fresh.headers["Location"]
    downloaded = client.get(_path(fresh.headers["Location"]))
    assert image_data(downloaded.get_data()) == image_data(ORIGINAL)
    downloaded.close()
    certificate = client.get(f"/account/licences/{licence.id}/certificate")
    assert certificate.get_data().startswith(b"%PDF")
    _set_status(licence, "refunded")
    assert client.get(f"/account/licences/{licence.id}/download").status_code == 410
    auth.logout()
    auth.login(factory.buyer().email)
    assert client.get(f"/account/licences/{licence.id}/download").status_code == 404
    assert client.get(f"/account/licences/{licence.id}/certificate").status_code == 404
    assert "No licences yet" in client.get("/account/licences").get_data(as_text=True)
