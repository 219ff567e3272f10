"""What the upload refuses or flags before anything is kept: bad and hostile files, small photos,
bodies over the limits (refused while they stream in), names that lie, exact and near
duplicates, files the worker cannot process; large uploads are received once, byte-identical."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from marketplace.storage import get_storage
from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.uploads import (
    admin_fixture,  # noqa: F401 - a fixture, found here by pytest as ``admin``
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    stored_files,
    submit,
    upload,
    upload_large,
)
from tests.fixtures.web import api_token

BAD_AT_UPLOAD = [
    ("zero-byte", media_files.make_zero_byte, "empty"),
    ("svg", media_files.make_svg, ""),
    ("html", media_files.make_html, ""),
    ("zip", media_files.make_zip, ""),
    ("pdf", media_files.make_pdf, ""),
    ("polyglot-zip", media_files.make_polyglot_jpeg_zip, ""),
    ("polyglot-html", media_files.make_polyglot_jpeg_html, ""),
    ("bomb-png", media_files.make_bomb_png, ""),
    ("bomb-jpeg", media_files.make_bomb_jpeg, ""),
]


@pytest.mark.parametrize(
    ("label", "make", "words"), BAD_AT_UPLOAD, ids=[b[0] for b in BAD_AT_UPLOAD]
)
def test_bad_files_are_refused_at_upload_and_leave_nothing(
    app: Flask,
    client: FlaskClient,
    member: dict[str, str],
    tmp_path: Path,
    label: str,
    make,
    words: str,  # type: ignore[no-untyped-def]
) -> None:
    path = make(tmp_path / f"{label}.jpg")
    response = upload(client, member, path)
    assert 400 <= response.status_code < 500, response.get_json()
    message = response.get_json()["error"]["message"]
    assert message.startswith(f"{label}.jpg"), message
    assert words in message.lower()
    assert stored_files(app) == []
    assert client.get("/api/v1/me/assets", headers=member).get_json()["total"] == 0


def test_a_photo_under_the_minimum_resolution_is_refused(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    app.config["PHOTO_MIN_PIXELS"] = 2_000_000
    response = upload(client, member, media_files.make_jpeg(tmp_path / "small.jpg", 1200, 900))
    assert response.status_code == 422
    assert "2" in response.get_json()["error"]["message"]
    assert stored_files(app) == []


def test_an_upload_over_the_size_limit_is_refused_while_streaming(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    app.config["MAX_UPLOAD_BYTES"] = 64 * 1024
    photo = media_files.make_jpeg(tmp_path / "big.jpg", 2400, 1800, quality=95)
    assert photo.stat().st_size > 64 * 1024
    response = upload(client, member, photo)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "too_large"
    assert stored_files(app) == []
    assert not any(p.name.startswith(".upload-") for p in get_storage().root.rglob("*"))  # type: ignore[attr-defined]


def test_the_name_never_decides_the_type_or_the_place(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    png_named_jpg = media_files.make_mismatched(tmp_path / "really-a-png.jpg")
    accepted = upload(client, member, png_named_jpg, name="../../etc/passwd.jpg")
    assert accepted.status_code == 202
    asset = client.get(f"/api/v1/assets/{accepted.get_json()['id']}", headers=member).get_json()
    assert asset["original"]["filename"] == "passwd.jpg"
    assert (
        asset["original"]["content_type"] != "image/jpeg"
        or png_named_jpg.read_bytes()[:3] == b"\xff\xd8\xff"
    )
    assert not Path("/etc/passwd.jpg").exists()
    unicode_name = upload(
        client,
        member,
        media_files.make_jpeg(tmp_path / "x.jpg", 1200, 900, fill=(10, 20, 30)),
        name="Café au lait — été 2026.jpg",
    )
    assert unicode_name.status_code == 202
    asset = client.get(f"/api/v1/assets/{unicode_name.get_json()['id']}", headers=member).get_json()
    assert asset["original"]["filename"] == "Café au lait — été 2026.jpg"
    assert asset["title"] == "Café au lait — été 2026"
    keys = [p.name for p in stored_files(app)]
    assert all(len(k) == 32 and k.isalnum() for k in keys), keys


def test_a_file_that_fails_in_the_worker_ends_failed_and_the_next_one_works(
    client: FlaskClient, member: dict[str, str], tmp_path: Path, smtp_sink: object
) -> None:
    broken = upload(client, member, media_files.make_truncated_jpeg(tmp_path / "cut.jpg"))
    assert broken.status_code == 202
    asset = client.get(f"/api/v1/assets/{broken.get_json()['id']}", headers=member).get_json()
    assert asset["status"] == "failed"
    assert asset["failure_reason"]
    smtp_sink.wait_for("artist@example.org", "could not process")  # type: ignore[attr-defined]
    fine = upload(client, member, media_files.make_jpeg(tmp_path / "fine.jpg", 1200, 900))
    assert (
        client.get(f"/api/v1/assets/{fine.get_json()['id']}", headers=member).get_json()["status"]
        == "draft"
    )


def test_exact_duplicates_are_refused_and_near_duplicates_flagged(
    client: FlaskClient,
    factory: Factory,
    member: dict[str, str],
    admin: dict[str, str],
    tmp_path: Path,
) -> None:
    # Flat colour blocks make a degenerate perceptual hash: use a photo-like picture.
    photo = media_files.make_jpeg(
        tmp_path / "same.jpg", image=media_files.realistic_image(1400, 1000)
    )
    assert upload(client, member, photo).status_code == 202
    again = upload(client, member, photo, name="renamed.jpg")
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "duplicate_upload"

    factory.member("copycat@example.org")
    other = api_token(client, "copycat@example.org")
    recompressed = tmp_path / "recompressed.jpg"
    Image.open(photo).resize((1300, 929)).save(recompressed, "JPEG", quality=70)
    copy = upload(client, other, recompressed)
    assert copy.status_code == 202
    submit(client, other, copy.get_json()["id"])
    queue = client.get("/api/v1/admin/assets", headers=admin).get_json()
    flagged = next(a for a in queue["results"] if a["id"] == copy.get_json()["id"])
    assert flagged["duplicate_flags"], "a near-duplicate is flagged to the curator"


def test_large_uploads_are_received_hashed_and_adopted_without_a_second_copy(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    import hashlib

    big = media_files.make_jpeg(
        tmp_path / "big.jpg", image=media_files.realistic_image(2400, 1600), quality=95
    )
    assert big.stat().st_size > 1024 * 1024, "large enough to be received into an IncomingFile"
    created = upload_large(client, member, big)
    assert created.status_code == 202
    asset = client.get(f"/api/v1/assets/{created.get_json()['id']}", headers=member).get_json()
    assert asset["original"]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert asset["original"]["size_bytes"] == big.stat().st_size
    [original] = stored_files(app)
    assert original.read_bytes() == big.read_bytes(), "kept byte-identical"

    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"<html>" + b"x" * (2 * 1024 * 1024))
    assert upload_large(client, member, junk).status_code == 422
    incoming = get_storage().incoming_folder()
    assert [p.name for p in incoming.iterdir()] == [], "nothing received is left behind"
    assert stored_files(app) == [original]


def test_a_request_over_the_limit_is_refused_while_it_streams_in(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 512 * 1024
    big = media_files.make_jpeg(
        tmp_path / "huge.jpg", image=media_files.realistic_image(2400, 1600), quality=95
    )
    refused = upload_large(client, member, big)
    assert refused.status_code == 413
    assert refused.get_json()["error"]["code"] == "payload_too_large"
    assert stored_files(app) == []
    incoming = get_storage().incoming_folder()
    assert not incoming.exists() or list(incoming.iterdir()) == []
