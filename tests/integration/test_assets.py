"""Members upload photos and videos; the pipeline makes safe previews; curators decide."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from marketplace.storage import get_storage
from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.video_files import make_h264_mp4
from tests.fixtures.web import api_token


@pytest.fixture
def member(client: FlaskClient, factory: Factory) -> dict[str, str]:
    factory.member("artist@example.org")
    return api_token(client, "artist@example.org")


@pytest.fixture
def admin(client: FlaskClient, factory: Factory) -> dict[str, str]:
    factory.admin("curator@example.org")
    return api_token(client, "curator@example.org")


def upload(
    client: FlaskClient, headers: dict[str, str], path: Path, name: str | None = None, **fields: str
):  # type: ignore[no-untyped-def]
    with path.open("rb") as stream:
        return client.post(
            "/api/v1/assets",
            headers=headers,
            data={"file": (stream, name or path.name), **fields},
            content_type="multipart/form-data",
        )


def upload_large(client: FlaskClient, headers: dict[str, str], path: Path):  # type: ignore[no-untyped-def]
    """Like ``upload``, with the body built in memory: werkzeug's test client would otherwise
    spool a large body to a temporary file that it never closes."""
    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    with path.open("rb") as stream:
        boundary, body = encode_multipart({"file": FileStorage(stream, path.name)})
    return client.post(
        "/api/v1/assets",
        headers=headers,
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_files(app: Flask) -> list[Path]:
    root = get_storage().root  # type: ignore[attr-defined]
    return [p for p in root.rglob("*") if p.is_file() and "originals" in p.parts]


def test_photo_upload_to_publication(
    app: Flask, client: FlaskClient, member: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> None:
    photo = media_files.make_jpeg(
        tmp_path / "harbour.jpg", 1600, 1200, exif_orientation=6, gps=True
    )
    response = upload(client, member, photo, title="Harbour at dawn", keywords="Sea, boats, sea")
    assert response.status_code == 202
    body = response.get_json()
    # Tasks run in process in this tier, so processing may already be over.
    assert body["status"] in ("processing", "pending_review")

    asset = client.get(f"/api/v1/assets/{body['id']}", headers=member).get_json()
    assert asset["status"] == "pending_review"
    # Stored rotated with orientation 6: upright it is 1600 × 1200.
    assert (asset["width"], asset["height"]) == (1600, 1200)
    assert asset["orientation"] == "landscape"
    assert asset["keywords"] == ["sea", "boats"]
    assert asset["original"]["content_type"] == "image/jpeg"

    from tests.fixtures.web import AuthActions

    AuthActions(client).login("artist@example.org")
    with client.get(asset["preview_url"]) as preview:
        assert preview.status_code == 200
        assert preview.headers["Cache-Control"].startswith("private")
        image = Image.open(io.BytesIO(preview.data))
    assert image.width > image.height, "the preview is upright"
    exif = image.getexif()
    assert not exif.get_ifd(0x8825), "no GPS in the preview"

    AuthActions(client).logout()
    stranger = api_token(client, Factory().buyer().email)
    assert client.get(f"/api/v1/assets/{body['id']}", headers=stranger).status_code == 404
    assert client.get(asset["preview_url"]).status_code == 404, (
        "unpublished: not for anonymous eyes"
    )
    reviewed = client.post(
        f"/api/v1/admin/assets/{body['id']}/review", headers=admin, json={"decision": "approve"}
    )
    assert reviewed.status_code == 200
    public = client.get(f"/api/v1/assets/{body['id']}", headers=stranger).get_json()
    assert public["status"] == "published"
    assert {p["size"] for p in public["prices"]} == {"S"}
    assert "original" not in public
    with client.get(public["thumbnail_url"]) as cached:
        assert cached.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    with client.get(
        public["thumbnail_url"], headers={"If-None-Match": cached.headers["ETag"]}
    ) as again:
        assert again.status_code == 304


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
        == "pending_review"
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
    queue = client.get("/api/v1/admin/assets", headers=admin).get_json()
    flagged = next(a for a in queue["results"] if a["id"] == copy.get_json()["id"])
    assert flagged["duplicate_flags"], "a near-duplicate is flagged to the curator"


def test_people_without_a_release_are_editorial_only_until_one_is_attached(
    client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    created = upload(
        client, member, media_files.make_jpeg(tmp_path / "crowd.jpg", 1200, 900), has_people="true"
    )
    asset_id = created.get_json()["id"]
    assert (
        client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()["editorial_only"]
        is True
    )
    release = media_files.make_pdf(tmp_path / "release.pdf")
    with release.open("rb") as stream:
        attached = client.post(
            f"/api/v1/assets/{asset_id}/releases",
            headers=member,
            data={"kind": "model", "file": (stream, "release.pdf")},
            content_type="multipart/form-data",
        )
    assert attached.status_code == 201
    assert attached.get_json()["editorial_only"] is False
    with (tmp_path / "crowd.jpg").open("rb") as not_a_release:
        refused = client.post(
            f"/api/v1/assets/{asset_id}/releases",
            headers=member,
            data={"kind": "selfie", "file": (not_a_release, "r.jpg")},
            content_type="multipart/form-data",
        )
    assert refused.status_code == 422


def test_member_edits_and_withdraws_and_others_cannot(
    client: FlaskClient, factory: Factory, member: dict[str, str], tmp_path: Path
) -> None:
    asset_id = upload(
        client, member, media_files.make_jpeg(tmp_path / "a.jpg", 1200, 900)
    ).get_json()["id"]
    edited = client.patch(
        f"/api/v1/assets/{asset_id}",
        headers=member,
        json={"title": "Dune", "keywords": ["Sand", "sky"]},
    )
    assert edited.status_code == 200
    assert edited.get_json()["keywords"] == ["sand", "sky"]
    assert (
        client.patch(f"/api/v1/assets/{asset_id}", headers=member, json={"title": ""}).status_code
        == 422
    )
    assert (
        client.patch(
            f"/api/v1/assets/{asset_id}", headers=member, json={"has_people": "yes"}
        ).status_code
        == 422
    )
    factory.member("other@example.org")
    other = api_token(client, "other@example.org")
    assert (
        client.patch(
            f"/api/v1/assets/{asset_id}", headers=other, json={"title": "Mine"}
        ).status_code
        == 404
    )
    withdrawn = client.delete(f"/api/v1/assets/{asset_id}", headers=member)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["withdrawn"] is True


def test_buyers_cannot_upload(client: FlaskClient, factory: Factory, tmp_path: Path) -> None:
    buyer = api_token(client, factory.buyer().email)
    photo = media_files.make_jpeg(tmp_path / "b.jpg", 1200, 900)
    assert upload(client, buyer, photo).status_code == 403
    assert upload(client, {}, photo).status_code == 401


def test_a_video_gets_a_poster_and_a_browser_preview(
    client: FlaskClient, member: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> None:
    clip = make_h264_mp4(tmp_path / "waves.mp4", seconds=2, width=640, height=360)
    created = upload(client, member, clip)
    assert created.status_code == 202
    asset_id = created.get_json()["id"]
    asset = client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()
    assert asset["kind"] == "video"
    assert asset["status"] == "pending_review", asset
    assert asset["duration_s"] == pytest.approx(2, abs=0.2)
    client.post(
        f"/api/v1/admin/assets/{asset_id}/review", headers=admin, json={"decision": "approve"}
    )
    with client.get(asset["preview_url"]) as preview:
        assert preview.status_code == 200
        assert preview.mimetype == "video/mp4"
    with client.get(asset["preview_url"], headers={"Range": "bytes=0-99"}) as part:
        assert part.status_code == 206, "browsers seek in videos with range requests"
        assert len(part.data) == 100


def test_reject_needs_a_reason_and_the_member_reads_it(
    client: FlaskClient,
    member: dict[str, str],
    admin: dict[str, str],
    tmp_path: Path,
    smtp_sink: object,
) -> None:
    asset_id = upload(
        client, member, media_files.make_jpeg(tmp_path / "r.jpg", 1200, 900)
    ).get_json()["id"]
    url = f"/api/v1/admin/assets/{asset_id}/review"
    assert client.post(url, headers=admin, json={"decision": "reject"}).status_code == 422
    assert client.post(url, headers=member, json={"decision": "approve"}).status_code == 403
    rejected = client.post(
        url, headers=admin, json={"decision": "reject", "reason": "Out of focus."}
    )
    assert rejected.get_json()["rejection_reason"] == "Out of focus."
    assert client.post(url, headers=admin, json={"decision": "approve"}).status_code == 409
    smtp_sink.wait_for("artist@example.org", "not accepted")  # type: ignore[attr-defined]


def test_upload_page_script_gets_json_errors(
    client: FlaskClient, factory: Factory, tmp_path: Path
) -> None:
    from tests.fixtures.web import AuthActions, csrf_token

    factory.member("pager@example.org")
    AuthActions(client).login("pager@example.org")
    script = {"X-Requested-With": "XMLHttpRequest", "Accept": "application/json"}
    photo = media_files.make_jpeg(tmp_path / "page.jpg", 1200, 900)
    with photo.open("rb") as stream:
        no_token = client.post("/upload", headers=script, data={"file": (stream, "page.jpg")})
    assert no_token.status_code == 400
    assert no_token.get_json()["error"]["message"]
    token = csrf_token(client, "/upload")
    with photo.open("rb") as stream:
        sent = client.post(
            "/upload", headers={**script, "X-CSRFToken": token}, data={"file": (stream, "page.jpg")}
        )
    assert sent.status_code == 202
    asset_id = sent.get_json()["id"]
    statuses = client.get(f"/upload/status?ids={asset_id},999", headers=script).get_json()[
        "results"
    ]
    assert [(s["id"], s["status"]) for s in statuses] == [(asset_id, "pending_review")]
    assert client.get(f"/portfolio/{asset_id}").status_code == 200
    assert "page" in client.get("/portfolio").get_data(as_text=True)


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


def test_previews_from_s3_by_presigned_link(
    tmp_path: Path, migrated_sqlite: Path, smtp_sink: object, moto_s3: object
) -> None:
    import shutil
    import urllib.request

    from marketplace import create_app
    from marketplace.extensions import db
    from tests.fixtures.config import app_config
    from tests.fixtures.web import IsolatedClient

    database = tmp_path / "s3.sqlite"
    shutil.copy(migrated_sqlite, database)
    app = create_app(
        app_config(
            tmp_path / "instance",
            f"sqlite:///{database}",
            smtp_sink,  # type: ignore[arg-type]
            MEDIA_SERVE_MODE="presigned",
            **moto_s3.app_config(),  # type: ignore[attr-defined]
        )
    )
    app.test_client_class = IsolatedClient
    with app.app_context():
        client = app.test_client()
        factory = Factory()
        factory.member("cloud@example.org")
        factory.admin("cloudadmin@example.org")
        member, admin = (
            api_token(client, "cloud@example.org"),
            api_token(client, "cloudadmin@example.org"),
        )
        asset_id = upload(
            client, member, media_files.make_jpeg(tmp_path / "c.jpg", 1200, 900)
        ).get_json()["id"]
        client.post(
            f"/api/v1/admin/assets/{asset_id}/review", headers=admin, json={"decision": "approve"}
        )
        thumbnail_url = client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()[
            "thumbnail_url"
        ]
        redirect = client.get(thumbnail_url)
        assert redirect.status_code == 302
        link = redirect.headers["Location"]
        assert link.startswith(moto_s3.endpoint_url)  # type: ignore[attr-defined]
        assert "Signature" in link or "X-Amz-Signature" in link
        with urllib.request.urlopen(link) as response:  # noqa: S310 - the local moto server
            assert response.read()[:3] == b"\xff\xd8\xff"
        db.session.remove()


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
