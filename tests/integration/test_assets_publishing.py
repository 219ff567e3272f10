"""Members' photos from upload to publication: curators approve or reject with a reason, members
edit, withdraw and attach model releases, buyers cannot upload, the upload page's script gets
JSON, and previews are served from S3 by presigned link."""

from __future__ import annotations

import io
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.uploads import (
    admin_fixture,  # noqa: F401 - a fixture, found here by pytest as ``admin``
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    submit,
    upload,
)
from tests.fixtures.web import api_token


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
    assert body["status"] in ("processing", "draft")

    asset = client.get(f"/api/v1/assets/{body['id']}", headers=member).get_json()
    assert asset["status"] == "draft", "processed work waits for its member to send it"
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
    # The API's address is signed (it opens without a session until it expires); the plain one:
    assert client.get(asset["preview_url"].split("?")[0]).status_code == 404, (
        "unpublished: not for anonymous eyes"
    )
    assert submit(client, member, body["id"])["status"] == "pending_review"
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
    submit(client, member, asset_id)
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
    assert [(s["id"], s["status"]) for s in statuses] == [(asset_id, "draft")]
    assert client.get(f"/portfolio/{asset_id}").status_code == 200
    assert "page" in client.get("/portfolio").get_data(as_text=True)


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
        submit(client, member, asset_id)
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
