"""Videos delivered by resolution: HD transcoded to 720 lines, the largest size the original's
streams packet for packet, and neither carries the original's GPS location."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import av
import pytest
from flask import Flask
from flask.testing import FlaskClient

from marketplace.extensions import db
from tests.fixtures.deliveries import exiftool_tags, licence_for, stored_video
from tests.fixtures.factories import Factory
from tests.fixtures.video_files import EIFFEL_TOWER, make_h264_mp4
from tests.fixtures.web import api_token

pytestmark = pytest.mark.skipif(
    shutil.which("exiftool") is None, reason="ExifTool is missing: run `make exiftool`"
)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    """Half a second of 4K with sound and the Eiffel Tower's position in its metadata."""
    return make_h264_mp4(
        tmp_path / "clip.mp4", seconds=0.5, width=3840, height=2160, fps=24,
        gps_location=EIFFEL_TOWER, with_audio=True,
    )  # fmt: skip


@pytest.fixture
def video(app: Flask, clip: Path) -> int:
    return stored_video(clip, "Tower at dusk", (3840, 2160))


def _packets(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        return [
            hashlib.sha256(bytes(packet)).hexdigest()
            for packet in container.demux(container.streams.video[0])
            if packet.size
        ]


@pytest.mark.parametrize("size", ["HD", "4K"])
def test_each_size_of_a_video_is_delivered_without_its_location(
    client: FlaskClient, factory: Factory, video: int, clip: Path, tmp_path: Path, size: str
) -> None:
    buyer = factory.buyer("viewer@example.org")
    licence = licence_for(buyer, video, size)
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
    assert [name for name in exiftool_tags(clip) if "GPS" in name]
    tags = exiftool_tags(delivered)
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
