"""The media pipeline on the real worker, with PostgreSQL, Redis and S3 (moto over HTTP)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.fixtures import media_files
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.services import ServicesEnv
from tests.fixtures.uploads import submit
from tests.fixtures.video_files import make_h264_mp4
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services


def upload(client: FlaskClient, headers: dict[str, str], path: Path) -> Any:
    with path.open("rb") as stream:
        return client.post(
            "/api/v1/assets",
            headers=headers,
            data={"file": (stream, path.name), "title": path.stem},
            content_type="multipart/form-data",
        )


def wait_for_status(
    client: FlaskClient, headers: dict[str, str], asset_id: int, timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asset = client.get(f"/api/v1/assets/{asset_id}", headers=headers).get_json()
        if asset["status"] != "processing":
            return asset
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} still processing after {timeout}s")


def objects(env: ServicesEnv) -> list[str]:
    client = env.s3.client()
    listed = client.list_objects_v2(Bucket=env.s3.bucket, Prefix=env.s3_prefix)
    client.close()
    return [o["Key"] for o in listed.get("Contents", [])]


def test_photo_and_video_through_the_worker_on_s3(
    services_app: Flask, services_env: ServicesEnv, tmp_path: Path
) -> None:
    client = services_app.test_client()
    member_email, admin_email = unique_email("s3artist"), unique_email("s3admin")
    Factory().member(member_email)
    Factory().admin(admin_email)
    member, admin = api_token(client, member_email), api_token(client, admin_email)

    photo = media_files.make_jpeg(
        tmp_path / "pier.jpg", 1600, 1200, exif_orientation=8, gps=True, copyright="© Pier Artist"
    )
    created = upload(client, member, photo)
    assert created.status_code == 202
    assert created.get_json()["status"] == "processing"
    asset = wait_for_status(client, member, created.get_json()["id"])
    assert asset["status"] == "draft", asset
    assert (asset["width"], asset["height"]) == (1600, 1200)

    stored = objects(services_env)
    assert any("/originals/" in key for key in stored)
    # Other services tests store their uploads under the same prefix: count this asset's.
    assert sum(f"/derived/assets/{asset['id']}/" in key for key in stored) == 2

    assert submit(client, member, asset["id"])["status"] == "pending_review"
    reviewed = client.post(
        f"/api/v1/admin/assets/{asset['id']}/review", headers=admin, json={"decision": "approve"}
    )
    assert reviewed.status_code == 200
    with client.get(reviewed.get_json()["preview_url"]) as preview:
        assert preview.status_code == 200
        image = Image.open(io.BytesIO(preview.data))
    assert image.width > image.height, "upright"
    assert not image.getexif().get_ifd(0x8825), "no GPS"

    clip = make_h264_mp4(tmp_path / "tide.mp4", seconds=2, width=640, height=360)
    video = upload(client, member, clip)
    assert video.status_code == 202
    processed = wait_for_status(client, member, video.get_json()["id"])
    assert processed["status"] == "draft", processed
    assert processed["kind"] == "video"


def test_a_file_that_fails_in_the_worker_does_not_wedge_it(
    services_app: Flask, tmp_path: Path
) -> None:
    client = services_app.test_client()
    email = unique_email("s3broken")
    Factory().member(email)
    member = api_token(client, email)
    broken = upload(client, member, media_files.make_truncated_jpeg(tmp_path / "cut.jpg"))
    assert broken.status_code == 202
    assert wait_for_status(client, member, broken.get_json()["id"])["status"] == "failed"
    fine = upload(client, member, media_files.make_jpeg(tmp_path / "ok.jpg", 1200, 900))
    assert wait_for_status(client, member, fine.get_json()["id"])["status"] == "draft"
