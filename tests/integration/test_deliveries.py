"""Deliveries exactly as licensed: each size its own rendition, under one metadata policy.

The delivered bytes are read back with an independent reader (ExifTool, ``make exiftool``)
and Pillow: pixel size, what the metadata carries and drops, and, for the largest size, image
data byte-identical to the original's.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import renditions, services
from marketplace.licensing.models import Licence, Rendition
from marketplace.storage import get_storage
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.deliveries import exiftool_tags, image_data, licence_for
from tests.fixtures.factories import Factory
from tests.fixtures.media_files import make_jpeg
from tests.fixtures.web import api_token

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="ExifTool is missing: run `make exiftool`"
)
WIDTH, HEIGHT = 4200, 2800  # offered in S, M and L; L, the largest, is the original


def exiftool(data: bytes, tmp_path: Path) -> dict[str, Any]:
    """Every tag ExifTool finds, as ``group:tag`` (numbers as numbers)."""
    path = tmp_path / "delivered.jpg"
    path.write_bytes(data)
    return exiftool_tags(path)


@pytest.fixture
def original(tmp_path: Path) -> bytes:
    path = make_jpeg(
        tmp_path / "camera.jpg", WIDTH, HEIGHT, gps=True, artist="Ada Lens",
        copyright="© 2024 Ada Lens", xmp_creator="Ada Lens", iptc_title="Harbour",
        iptc_keywords=["harbour"], iptc_caption="Boats", quality=85,
    )  # fmt: skip
    return path.read_bytes()


@pytest.fixture
def photo(app: Flask, original: bytes) -> int:
    asset_id = Catalogue().add("Harbour at dawn", size=(WIDTH, HEIGHT))
    asset = db.session.get(Asset, asset_id)
    assert asset is not None
    get_storage().save_stream(asset.original_key, io.BytesIO(original), len(original))
    return asset_id


def download(client: FlaskClient, buyer: User, licence: Licence) -> bytes:
    headers = api_token(client, buyer.email)
    redirected = client.get(f"/api/v1/licences/{licence.id}/download", headers=headers)
    assert redirected.status_code == 302, redirected.get_data(as_text=True)
    parts = urlsplit(redirected.headers["Location"])
    response = client.get(parts.path)
    assert response.status_code == 200
    data = response.get_data()
    assert response.headers["Content-Length"] == str(len(data))
    response.close()
    return data


def assert_policy(tags: dict[str, Any], licence: Licence) -> None:
    names = " ".join(tags)
    for private in ("GPS", "Serial", "Owner", "Software", "MakerNote", "City", "History"):
        assert private not in names, [t for t in tags if private in t]
    assert "Owner: A. Person" not in json.dumps(tags)  # the original's JPEG comment
    assert tags["IFD0:Artist"] == "Ada Lens"
    assert tags["IFD0:Copyright"] == "© 2024 Ada Lens"
    assert tags["XMP-dc:Creator"] == "Ada Lens"
    assert tags["XMP-dc:Rights"] == "© 2024 Ada Lens"
    assert tags["XMP-photoshop:Credit"] == "Ada Lens"
    assert str(tags["XMP-plus:LicenseID"]) == str(licence.id)
    assert tags["XMP-xmpRights:WebStatement"] == services.verification_url(licence)
    assert tags["XMP-xmpRights:Marked"] in (True, 1, "True")
    assert f"licence number {licence.id}" in tags["XMP-xmpRights:UsageTerms"]
    assert tags["XMP-plus:LicenseeName"] == licence.holder.display_name


@pytest.mark.parametrize(
    ("size", "pixels"), [("S", (800, 533)), ("M", (2000, 1333)), ("L", (WIDTH, HEIGHT))]
)
def test_each_size_is_delivered_at_its_pixels_under_the_policy(
    client: FlaskClient, factory: Factory, photo: int, original: bytes, tmp_path: Path,
    size: str, pixels: tuple[int, int],
) -> None:  # fmt: skip
    buyer = factory.buyer("holder@example.org", "Hana Holder")
    licence = licence_for(buyer, photo, size)
    delivered = download(client, buyer, licence)
    with Image.open(io.BytesIO(delivered)) as im:
        assert im.size == pixels
        assert im.info.get("icc_profile")
    tags = exiftool(delivered, tmp_path)
    assert (tags["File:ImageWidth"], tags["File:ImageHeight"]) == pixels
    assert_policy(tags, licence)
    if size == "L":
        assert image_data(delivered) == image_data(original)
    else:  # a rendition: sRGB, 4:4:4, its own encoding
        assert tags["ICC_Profile:ProfileDescription"].startswith("sRGB")
        assert tags["File:YCbCrSubSampling"] == "1 1"
        assert "IFD0:Orientation" not in tags


def test_a_size_is_made_once_and_each_buyer_gets_their_own_licence_in_it(
    client: FlaskClient, factory: Factory, photo: int, tmp_path: Path
) -> None:
    first, second = factory.buyer(name="First"), factory.buyer(name="Second")
    first_licence, second_licence = licence_for(first, photo, "M"), licence_for(second, photo, "M")
    first_file = download(client, first, first_licence)
    second_file = download(client, second, second_licence)
    rows = db.session.execute(sa.select(Rendition).where(Rendition.asset_id == photo)).scalars()
    assert [(r.size, r.status) for r in rows] == [("M", "ready")]
    assert image_data(first_file) == image_data(second_file)
    assert str(exiftool(first_file, tmp_path)["XMP-plus:LicenseID"]) == str(first_licence.id)
    assert str(exiftool(second_file, tmp_path)["XMP-plus:LicenseID"]) == str(second_licence.id)


def test_the_first_download_waits_on_preparing_and_queues_the_work_once(
    app: Flask, client: FlaskClient, factory: Factory, photo: int, auth: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # The task goes to the (in-memory) broker, and no worker takes it.
    monkeypatch.setitem(app.config, "TASKS_INLINE", False)
    monkeypatch.setitem(app.extensions["celery"].conf, "task_always_eager", False)
    buyer = factory.buyer("waiting@example.org")
    licence = licence_for(buyer, photo, "S")
    headers = api_token(client, buyer.email)
    for _ in range(3):
        answer = client.get(f"/api/v1/licences/{licence.id}/download", headers=headers)
        assert answer.status_code == 202
        assert answer.get_json() == {"status": "preparing", "retry_after_s": 2}
        assert answer.headers["Retry-After"] == "2"
    assert renditions.request_rendition(photo, "S") is False  # under way: not queued again
    auth.login(buyer.email)
    page = client.get(f"/account/licences/{licence.id}/download")
    assert page.status_code == 202
    assert "Preparing your file…" in page.get_data(as_text=True)
    assert 'http-equiv="refresh"' in page.get_data(as_text=True)

    assert renditions.make_rendition(photo, "S") == "ready"  # what the worker runs
    ready = client.get(f"/api/v1/licences/{licence.id}/download", headers=headers)
    assert ready.status_code == 302
    assert client.get(f"/account/licences/{licence.id}/download").status_code == 302


def test_a_refunded_licence_is_gone_even_with_its_rendition_made(
    client: FlaskClient, factory: Factory, photo: int
) -> None:
    buyer = factory.buyer("refunded@example.org")
    licence = licence_for(buyer, photo, "S")
    download(client, buyer, licence)
    with unit_of_work() as session:
        services.revoke(session, licence.id, "refunded")
    headers = api_token(client, buyer.email)
    assert client.get(f"/api/v1/licences/{licence.id}/download", headers=headers).status_code == 410
    assert client.get(services.download_url(licence)).status_code == 410
