"""An API client fetches the previews of work that is not public by the signed addresses in its
answers, with no cookie and no token; tampered, moved and expired addresses are refused; published
work keeps its plain, public, cacheable addresses."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from werkzeug.test import TestResponse

from marketplace.assets import media_links
from marketplace.assets.models import Asset
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.media.photos import PREVIEW_EDGE, THUMBNAIL_EDGE
from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.uploads import (
    admin_fixture,  # noqa: F401 - a fixture, found here by pytest as ``admin``
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    submit,
    upload,
)
from tests.fixtures.web import api_token


def _uploaded(
    client: FlaskClient, member: dict[str, str], tmp_path: Path, name: str, grey: int = 128
) -> dict:
    # A flat grey photo larger than the preview: any pattern in the preview is the watermark.
    photo = media_files.make_jpeg(
        tmp_path / f"{name}.jpg", 2400, 1800, gps=True, fill=(grey, grey, grey)
    )
    created = upload(client, member, photo, title=name, keywords="grey, test")
    assert created.status_code == 202
    asset = client.get(f"/api/v1/assets/{created.get_json()['id']}", headers=member).get_json()
    assert asset["status"] == "draft"
    return asset


def _with_query(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return urlunsplit(parts._replace(query=urlencode(query)))


def _unsigned(url: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k not in ("expires", "signature")}
    return urlunsplit(parts._replace(query=urlencode(query)))


def _get(client: FlaskClient, url: str) -> TestResponse:
    """The answer, read whole and closed (a streamed file would otherwise stay open)."""
    with client.get(url) as response:
        response.get_data()
    return response


def _image(response: TestResponse) -> Image.Image:
    image = Image.open(io.BytesIO(response.data))
    image.load()
    return image


def test_api_client_fetches_its_pending_upload_previews_without_cookies(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    asset = _uploaded(client, member, tmp_path, "pending")
    plain = app.test_client(use_cookies=False)

    preview = _get(plain, asset["preview_url"])
    assert preview.status_code == 200, preview.get_data(as_text=True)
    assert preview.mimetype == "image/jpeg"
    remaining = int(preview.headers["Cache-Control"].removeprefix("private, max-age="))
    assert 0 < remaining <= app.config["MEDIA_URL_TTL_SECONDS"]
    assert "X-Page-Cache" not in preview.headers
    image = _image(preview)
    assert max(image.size) <= PREVIEW_EDGE < 2400, "the preview, not the original"
    assert not image.getexif().get_ifd(0x8825), "no GPS in the preview"
    low, high = zip(*image.convert("RGB").getextrema(), strict=True)
    assert max(high) - min(low) > 20, "the flat grey original carries the watermark here"

    thumbnail = _get(plain, asset["thumbnail_url"])
    assert thumbnail.status_code == 200
    assert max(_image(thumbnail).size) <= THUMBNAIL_EDGE

    # The address alone is the permission: without its signature it is the old, private address.
    assert _get(plain, _unsigned(asset["preview_url"])).status_code == 404
    assert client.get(f"/api/v1/assets/{asset['id']}").status_code == 401


def test_signed_addresses_open_only_what_they_were_signed_for(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    first = _uploaded(client, member, tmp_path, "first")
    second = _uploaded(client, member, tmp_path, "second", grey=100)
    stranger = app.test_client(use_cookies=False)
    api_token(stranger, Factory().buyer().email)  # another user, with nothing but the address

    moved = first["preview_url"].replace(f"/assets/{first['id']}/", f"/assets/{second['id']}/")
    as_thumbnail = first["preview_url"].replace("/media/preview", "/media/thumbnail")
    later = str(int(parse_qs(urlsplit(first["preview_url"]).query)["expires"][0]) + 3600)
    stretched = _with_query(first["preview_url"], expires=later)
    forged = _with_query(first["preview_url"], signature="A" * 43)
    for url in (moved, as_thumbnail, stretched, forged):
        refused = _get(stranger, url)
        assert refused.status_code == 403, url
        assert "not valid" in refused.get_data(as_text=True)
        assert refused.data[:3] != b"\xff\xd8\xff"

    # No hint whether an asset exists: a signature for a missing one is refused the same way.
    missing = first["preview_url"].replace(f"/assets/{first['id']}/", "/assets/999999/")
    assert _get(stranger, missing).status_code == 403


def test_an_expired_address_is_refused(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    asset = _uploaded(client, member, tmp_path, "old")
    stored = db.session.get(Asset, asset["id"])
    assert stored is not None
    assert stored.preview_key is not None
    key = stored.preview_key
    signed_long_ago = media_links.sign(
        asset["id"], "preview", key, now=utcnow() - timedelta(hours=1)
    )
    expired = _with_query(asset["preview_url"], **signed_long_ago)
    refused = _get(app.test_client(use_cookies=False), expired)
    assert refused.status_code == 403
    assert "expired" in refused.get_data(as_text=True)
    assert "15 minutes" in refused.get_data(as_text=True)


def test_lists_and_the_queue_are_signed_published_work_plain_and_withdrawn_signed_again(
    app: Flask,
    client: FlaskClient,
    member: dict[str, str],
    admin: dict[str, str],
    tmp_path: Path,
) -> None:
    asset = _uploaded(client, member, tmp_path, "listed")
    submit(client, member, asset["id"])
    plain = app.test_client(use_cookies=False)
    mine = client.get("/api/v1/me/assets", headers=member).get_json()["results"]
    queue = client.get("/api/v1/admin/assets", headers=admin).get_json()["results"]
    for listed in (mine[0], next(a for a in queue if a["id"] == asset["id"])):
        for field in ("preview_url", "thumbnail_url"):
            assert "signature=" in listed[field]
            assert _get(plain, listed[field]).status_code == 200

    approved = client.post(
        f"/api/v1/admin/assets/{asset['id']}/review", headers=admin, json={"decision": "approve"}
    )
    assert approved.status_code == 200
    public = client.get(f"/api/v1/assets/{asset['id']}", headers=member).get_json()
    for field in ("preview_url", "thumbnail_url"):
        assert "signature" not in public[field]
        assert "expires" not in public[field]
        assert public[field] == _unsigned(asset[field])
        served = _get(plain, public[field])
        assert served.status_code == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get(f"/api/v1/assets/{asset['id']}", headers=member).get_json()
    assert again["preview_url"] == public["preview_url"], "stable, so caches keep it"

    # Withdrawn from sale, it is private again: signed for its member, closed to everyone else.
    withdrawn = client.delete(f"/api/v1/assets/{asset['id']}", headers=member).get_json()
    assert withdrawn["withdrawn"] is True
    assert "signature=" in withdrawn["preview_url"]
    assert _get(plain, withdrawn["preview_url"]).status_code == 200
    assert _get(plain, public["preview_url"]).status_code == 404
