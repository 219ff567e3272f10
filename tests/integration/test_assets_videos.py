"""Members' videos: the pipeline makes a poster and a browser preview served with range requests;
a corrupt container is refused at upload, a stream damaged halfway fails in the worker."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.fixtures.uploads import (
    admin_fixture,  # noqa: F401 - a fixture, found here by pytest as ``admin``
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    stored_files,
    submit,
    upload,
)
from tests.fixtures.video_files import make_h264_mp4


def test_a_video_gets_a_poster_and_a_browser_preview(
    client: FlaskClient, member: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> None:
    clip = make_h264_mp4(tmp_path / "waves.mp4", seconds=2, width=640, height=360)
    created = upload(client, member, clip)
    assert created.status_code == 202
    asset_id = created.get_json()["id"]
    asset = client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()
    assert asset["kind"] == "video"
    assert asset["status"] == "draft", asset
    assert asset["duration_s"] == pytest.approx(2, abs=0.2)
    submit(client, member, asset_id)
    client.post(
        f"/api/v1/admin/assets/{asset_id}/review", headers=admin, json={"decision": "approve"}
    )
    with client.get(asset["preview_url"]) as preview:
        assert preview.status_code == 200
        assert preview.mimetype == "video/mp4"
    with client.get(asset["preview_url"], headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206, "browsers seek in videos with range requests"
        assert len(part.data) == 100


def test_a_corrupt_video_container_is_refused_at_upload(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    from tests.fixtures.video_files import make_garbage_with_mp4_header

    response = upload(client, member, make_garbage_with_mp4_header(tmp_path / "broken.mp4"))
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith("broken.mp4: ")
    assert stored_files(app) == []


def test_a_video_damaged_mid_stream_fails_in_the_worker(
    client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    from tests.fixtures.video_files import make_corrupt_mp4

    response = upload(client, member, make_corrupt_mp4(tmp_path / "halfway.mp4"))
    assert response.status_code == 202
    asset = client.get(f"/api/v1/assets/{response.get_json()['id']}", headers=member).get_json()
    assert asset["status"] == "failed"
    assert "damaged" in asset["failure_reason"]
