"""``flask storage verify`` re-reads every stored file and finds the missing and corrupt ones."""

from __future__ import annotations

from pathlib import Path
from typing import IO

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.membership.models import ApplicationSample
from marketplace.storage import StorageError, get_storage
from marketplace.storage.verify import verify_stored_files
from tests.fixtures import media_files
from tests.fixtures.config import app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink
from tests.fixtures.s3 import MotoS3
from tests.fixtures.uploads import (
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    upload,
)
from tests.fixtures.web import api_token


def _uploaded(client: FlaskClient, member: dict[str, str], path: Path) -> Asset:
    response = upload(client, member, path)
    assert response.status_code == 202, response.get_data(as_text=True)
    asset = db.session.get(Asset, response.get_json()["id"])
    assert asset is not None
    return asset


def test_intact_files_pass_and_the_command_says_how_many(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, member: dict[str, str], tmp_path: Path
) -> None:
    _uploaded(client, member, media_files.make_jpeg(tmp_path / "harbour.jpg"))
    _uploaded(client, member, media_files.make_png(tmp_path / "dunes.png"))
    samples = db.session.scalar(sa.select(sa.func.count()).select_from(ApplicationSample))
    assert samples == 1, "the member's application sample is a stored original too"

    result = runner.invoke(args=["storage", "verify"])

    assert result.exit_code == 0, result.output
    assert "Checked 3 stored files" in result.output
    assert "3 intact, 0 missing, 0 corrupt, 0 unreadable." in result.output


def test_a_missing_and_a_corrupt_original_are_named_and_the_command_fails(
    app: Flask, client: FlaskClient, runner: FlaskCliRunner, member: dict[str, str], tmp_path: Path
) -> None:
    lost = _uploaded(client, member, media_files.make_jpeg(tmp_path / "lost.jpg"))
    rotten = _uploaded(client, member, media_files.make_jpeg(tmp_path / "rotten.jpg", 1700))
    kept = _uploaded(client, member, media_files.make_jpeg(tmp_path / "kept.jpg", 1800))
    storage = get_storage()
    storage.delete(lost.original_key)
    # One flipped byte in the middle, same size: only the checksum can tell.
    path = storage.local_path(rotten.original_key)
    assert path is not None
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    result = runner.invoke(args=["storage", "verify"])

    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert f"MISSING    original {lost.id}  {lost.original_key}  not in storage" in lines
    corrupt = [line for line in lines if line.startswith("CORRUPT")]
    assert len(corrupt) == 1
    assert f"original {rotten.id}  {rotten.original_key}  SHA-256 " in corrupt[0]
    assert f"recorded {rotten.original_sha256[:16]}" in corrupt[0]
    assert kept.original_key not in result.output
    assert "2 intact, 1 missing, 1 corrupt, 0 unreadable." in lines[-1]


def test_an_original_removed_on_purpose_is_not_reported(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    asset = _uploaded(client, member, media_files.make_jpeg(tmp_path / "gone.jpg"))
    get_storage().delete(asset.original_key)
    assert not verify_stored_files().ok
    with unit_of_work() as session:
        row = session.get(Asset, asset.id)
        assert row is not None
        row.original_removed_at = utcnow()

    report = verify_stored_files()

    assert report.ok, [p.line() for p in report.problems]
    assert report.checked == 1, "only the application sample is left to check"


class _FailingReads:
    """The app's storage, except that reading one key fails as a dropped connection does."""

    def __init__(self, failing_key: str) -> None:
        self.inner, self.failing_key = get_storage(), failing_key

    def open(self, key: str) -> IO[bytes]:
        if key == self.failing_key:
            raise StorageError("connection reset while reading")
        return self.inner.open(key)


def test_a_read_error_is_reported_as_unreadable_not_as_a_crash(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    asset = _uploaded(client, member, media_files.make_jpeg(tmp_path / "flaky.jpg"))
    storage = _FailingReads(asset.original_key)

    report = verify_stored_files(storage)  # type: ignore[arg-type]

    assert [(p.file.row_id, p.problem) for p in report.problems] == [(asset.id, "unreadable")]
    assert "connection reset while reading" in report.problems[0].line()
    assert report.checked == 2


def test_on_s3_a_deleted_and_an_overwritten_object_are_found(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink, moto_s3: MotoS3
) -> None:
    settings = moto_s3.app_config()
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, **settings) as app:
        client = app.test_client()
        Factory().member("s3artist@example.org")
        member = api_token(client, "s3artist@example.org")
        lost = _uploaded(client, member, media_files.make_jpeg(tmp_path / "lost.jpg"))
        rotten = _uploaded(client, member, media_files.make_jpeg(tmp_path / "rotten.jpg", 1700))
        _uploaded(client, member, media_files.make_jpeg(tmp_path / "kept.jpg", 1800))
        assert verify_stored_files().ok, "every object as stored"
        bucket, prefix = moto_s3.client(), settings["S3_PREFIX"]
        bucket.delete_object(Bucket=moto_s3.bucket, Key=f"{prefix}/{lost.original_key}")
        bucket.put_object(
            Bucket=moto_s3.bucket, Key=f"{prefix}/{rotten.original_key}", Body=b"not the photo"
        )

        result = app.test_cli_runner().invoke(args=["storage", "verify"])

        assert result.exit_code == 1, result.output
        missing = f"MISSING    original {lost.id}  {lost.original_key}  not in storage"
        assert missing in result.output
        assert f"13 bytes, recorded {rotten.original_size_bytes}" in result.output
        assert "2 intact, 1 missing, 1 corrupt, 0 unreadable." in result.output
