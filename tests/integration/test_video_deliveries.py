"""Videos delivered by resolution: HD transcoded to 720 lines, the largest size the original's
streams packet for packet, and neither carries the original's GPS location."""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import av
import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing import services
from marketplace.licensing.models import Licence
from marketplace.storage import get_storage
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.video_files import EIFFEL_TOWER, make_h264_mp4
from tests.fixtures.web import api_token

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="ExifTool is missing: run `make exiftool`"
)
_items = itertools.count(500)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Half a second of 4K with sound and the Eiffel Tower's position in its metadata."""
    return make_h264_mp4(
        tmp_path / "clip.mp4", seconds=0.5, width=3840, height=2160, fps=24,
        gps_location=EIFFEL_TOWER, with_audio=True,
    )  # fmt: skip


@pytest.fixture
def video(app: Flask, clip: Path) -> int:
    asset_id = Catalogue().add("Tower at dusk", kind="video", size=(3840, 2160))
    data = clip.read_bytes()
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.original_mime = "video/mp4"
        get_storage().save_stream(asset.original_key, io.BytesIO(data), len(data))
    return asset_id


def _licence(buyer: User, asset_id: int, size: str) -> Licence:
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        quote = services.quote(session, asset, "standard", size, "USD")
        item = next(_items)
        issued = services.issue(
            session, holder_id=buyer.id, asset_id=asset_id, terms_id=quote.terms_id, size=size,
            price_cents=quote.price_cents, currency="USD", order_id=item, order_item_id=item,
        )  # fmt: skip
    return issued


def _packets(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        return [
            hashlib.sha256(bytes(packet)).hexdigest()
            for packet in container.demux(container.streams.video[0])
            if packet.size
        ]


def _tags(path: Path) -> dict[str, Any]:
    out = subprocess.run(  # noqa: S603 - a fixed tool on our own file
        ["exiftool", "-j", "-a", "-G1", "-n", str(path)],  # noqa: S607 - Debian's exiftool
        capture_output=True,
        check=True,
    ).stdout
    tags: dict[str, Any] = json.loads(out)[0]
    return tags


@pytest.mark.parametrize("size", ["HD", "4K"])
def test_each_size_of_a_video_is_delivered_without_its_location(
    client: FlaskClient, factory: Factory, video: int, clip: Path, tmp_path: Path, size: str
) -> None:
    buyer = factory.buyer("viewer@example.org")
    licence = _licence(buyer, video, size)
    headers = api_token(client, buyer.email)
    redirected = client.get(f"/api/v1/licences/{licence.id}/download", headers=headers)
    assert redirected.status_code == 302
    response = client.get(urlsplit(redirected.headers["Location"]).path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "video/mp4"
    assert f"coop-stock-{video}-{size.lower()}.mp4" in response.headers["Content-Disposition"]
    delivered = tmp_path / "delivered.mp4"
    delivered.write_bytes(response.get_data())
    response.close()

    # The original does say where it was filmed; the delivered file does not.
    assert [name for name in _tags(clip) if "GPS" in name]
    tags = _tags(delivered)
    assert "48.858" not in json.dumps(tags)
    assert not [name for name in tags if "GPS" in name or "Location" in name]
    with av.open(str(delivered)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == ((1280, 720) if size == "HD" else (3840, 2160))
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert "location" not in container.metadata
    if size == "4K":  # the largest size: the original's picture, packet for packet
        assert _packets(delivered) == _packets(clip)
    db.session.expire_all()
