"""Failed and abandoned uploads leave nothing in storage once their time is up (local disk)."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from marketplace.assets.cleanup import (
    ORPHAN_DELETE_LIMIT,
    fail_stuck_uploads,
    remove_failed_originals,
    sweep_orphan_uploads,
)
from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.storage import get_storage
from tests.fixtures import media_files
from tests.fixtures.mail import SmtpSink
from tests.fixtures.uploads import (
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    upload,
)


def _asset(asset_id: int) -> Asset:
    db.session.expire_all()
    asset = db.session.get(Asset, asset_id)
    assert asset is not None
    return asset


def test_a_failed_uploads_original_is_removed_after_the_retention(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    broken = upload(client, member, media_files.make_truncated_jpeg(tmp_path / "cut.jpg"))
    asset = _asset(broken.get_json()["id"])
    assert asset.status == "failed"
    storage, key = get_storage(), asset.original_key
    # A partial derived file, as a worker that died between two saves leaves behind.
    storage.save_file(f"derived/assets/{asset.id}/0123-thumb.jpg", tmp_path / "cut.jpg", "")
    assert storage.exists(key), "kept, so that an admin can look at it"

    retention = timedelta(days=app.config["FAILED_UPLOAD_RETENTION_DAYS"])
    assert remove_failed_originals(utcnow() + retention - timedelta(hours=1)) == 0
    assert storage.exists(key)

    later = utcnow() + retention + timedelta(minutes=1)
    assert remove_failed_originals(later) == 1
    assert not storage.exists(key)
    assert list(storage.list_keys(f"derived/assets/{asset.id}/")) == []
    asset = _asset(asset.id)
    assert asset.original_removed_at == later
    assert asset.status == "failed"
    assert asset.failure_reason, "the member can still read why"
    assert remove_failed_originals(later + timedelta(days=1)) == 0, "done once"


def test_an_upload_whose_processing_never_finished_fails_and_then_goes(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path, smtp_sink: SmtpSink
) -> None:
    created = upload(client, member, media_files.make_jpeg(tmp_path / "ok.jpg", 1200, 900))
    asset_id = created.get_json()["id"]
    with unit_of_work():  # as if the worker had died and the task were lost
        _asset(asset_id).status = "processing"
    stuck_after = timedelta(hours=app.config["STUCK_UPLOAD_HOURS"])
    assert fail_stuck_uploads(utcnow() + stuck_after - timedelta(minutes=5)) == 0
    assert fail_stuck_uploads(utcnow() + stuck_after + timedelta(minutes=5)) == 1
    asset = _asset(asset_id)
    assert asset.status == "failed"
    assert "never finished" in asset.failure_reason
    smtp_sink.wait_for("artist@example.org", "could not process")
    assert fail_stuck_uploads(utcnow() + 2 * stuck_after) == 0
    retention = timedelta(days=app.config["FAILED_UPLOAD_RETENTION_DAYS"])
    assert remove_failed_originals(utcnow() + retention + timedelta(minutes=1)) == 1
    assert not get_storage().exists(asset.original_key)


def _stored_long_ago(key: str, source: Path, hours: float) -> None:
    get_storage().save_file(key, source, "image/jpeg")
    path = get_storage().local_path(key)
    assert path is not None
    then = (utcnow() - timedelta(hours=hours)).timestamp()
    os.utime(path, (then, then))


def test_originals_no_asset_names_are_swept_after_the_grace_period(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    photo = media_files.make_jpeg(tmp_path / "ok.jpg", 1200, 900)
    kept = _asset(upload(client, member, photo).get_json()["id"]).original_key
    grace = app.config["ORPHAN_UPLOAD_GRACE_HOURS"]
    # What a request killed between storing the upload and committing its row leaves.
    _stored_long_ago("originals/1/" + "a" * 32, photo, grace + 1)
    _stored_long_ago("originals/1/" + "b" * 32, photo, grace - 1)  # may still be recorded
    os.utime(get_storage().local_path(kept), (0, 0))  # type: ignore[arg-type]

    assert sweep_orphan_uploads() == 1
    assert not get_storage().exists("originals/1/" + "a" * 32)
    assert get_storage().exists("originals/1/" + "b" * 32)
    assert get_storage().exists(kept)
    assert sweep_orphan_uploads() == 0


def test_one_sweep_removes_only_so_many(app: Flask, tmp_path: Path) -> None:
    photo = media_files.make_jpeg(tmp_path / "ok.jpg", 1200, 900)
    for number in range(ORPHAN_DELETE_LIMIT + 5):
        _stored_long_ago(f"originals/2/{number:032d}", photo, 48)
    assert sweep_orphan_uploads() == ORPHAN_DELETE_LIMIT
    assert sweep_orphan_uploads() == 5
