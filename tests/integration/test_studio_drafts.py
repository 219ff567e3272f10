"""Drafts: processed uploads wait for their member, who describes many at once (with what the
file's own IPTC/XMP says) and sends them for review; curators see only what was sent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.assets.models import Asset
from marketplace.extensions import db
from tests.fixtures import media_files
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.uploads import (
    admin_fixture,  # noqa: F401 - a fixture, found here by pytest as ``admin``
    member_fixture,  # noqa: F401 - a fixture, found here by pytest as ``member``
    upload,
)
from tests.fixtures.web import AuthActions, api_token, csrf_token


def _queue_ids(client: FlaskClient, admin: dict[str, str]) -> set[int]:
    queue = client.get("/api/v1/admin/assets", headers=admin).get_json()["results"]
    return {a["id"] for a in queue}


def test_a_draft_is_sent_only_when_complete_and_only_then_reaches_the_curators(
    client: FlaskClient, member: dict[str, str], admin: dict[str, str], tmp_path: Path
) -> None:
    photo = media_files.make_jpeg(tmp_path / "IMG_0042.jpg", 1200, 900)
    asset_id = upload(client, member, photo, keywords="harbour").get_json()["id"]
    asset = client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()
    assert asset["status"] == "draft"
    assert asset["title"] == "IMG 0042"
    assert set(asset["missing_for_review"]) == {"title", "keywords"}
    assert asset_id not in _queue_ids(client, admin), "curators never see drafts"

    refused = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member)
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "incomplete_draft"
    assert set(error["fields"]) == {"title", "keywords"}
    assert "title of its own" in error["message"]
    assert "at least 3 keywords (it has 1)" in error["message"]

    client.patch(f"/api/v1/assets/{asset_id}", headers=member, json={"title": "Harbour at dawn"})
    still = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member).get_json()["error"]
    assert set(still["fields"]) == {"keywords"}

    stranger = api_token(client, Factory().member().email)
    assert client.post(f"/api/v1/assets/{asset_id}/submit", headers=stranger).status_code == 404
    client.patch(
        f"/api/v1/assets/{asset_id}", headers=member, json={"keywords": "harbour, boats, dawn"}
    )
    sent = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member)
    assert sent.status_code == 200, sent.get_json()
    assert sent.get_json()["status"] == "pending_review"
    assert sent.get_json()["missing_for_review"] == {}
    assert asset_id in _queue_ids(client, admin)
    again = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member)
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "not_a_draft"

    rejected = client.post(
        f"/api/v1/admin/assets/{asset_id}/review",
        headers=admin,
        json={"decision": "reject", "reason": "The horizon is tilted."},
    )
    assert rejected.get_json()["status"] == "rejected"
    resent = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member)
    assert resent.get_json()["status"] == "pending_review", "mended work can be sent again"


def _draft_cards(page: str) -> dict[str, str]:
    """Each draft card's HTML by asset id."""
    cards = re.findall(
        r'<li class="draft-card[^"]*" id="draft-\d+" data-draft="(\d+)">(.*?)</li>', page, re.S
    )
    return dict(cards)


def test_bulk_describe_applies_keywords_to_many_offers_the_files_own_words_and_submits(
    app: Flask, client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    iptc = media_files.make_jpeg(
        tmp_path / "DSC_1.jpg",
        1200,
        900,
        iptc_title="Fishing boats at first light",
        iptc_keywords=["Boats", "Harbour"],
        xmp_description="Three boats leave the harbour at dawn.",
        fill=(30, 60, 90),
    )
    plain = media_files.make_jpeg(tmp_path / "DSC_2.jpg", 1200, 900, fill=(90, 60, 30))
    bare = media_files.make_jpeg(tmp_path / "DSC_3.jpg", 1200, 900, fill=(60, 90, 30))
    ids = [upload(client, member, p).get_json()["id"] for p in (iptc, plain, bare)]
    stored = db.session.get(Asset, ids[0])
    assert stored is not None
    assert stored.suggested["title"] == "Fishing boats at first light"

    auth = AuthActions(client)
    auth.login("artist@example.org")
    page = client.get("/studio/drafts").get_data(as_text=True)
    cards = _draft_cards(page)
    assert set(cards) == {str(i) for i in ids}
    assert (
        "From the file: “<span data-suggested>Fishing boats at first light</span>”"
        in cards[str(ids[0])]
    )
    assert "boats, harbour" in cards[str(ids[0])]
    assert "From the file" not in cards[str(ids[1])]

    token = csrf_token(client, "/studio/drafts")
    fields = {
        f"{name}-{i}": value
        for i, title in zip(ids, ["DSC 1", "DSC 2", "DSC 3"], strict=True)
        for name, value in (("title", title), ("keywords", ""), ("description", ""))
    }
    # The member takes the file's title for the first, types one for the second, leaves the
    # third, then adds three keywords to all of them at once.
    fields[f"title-{ids[0]}"] = "Fishing boats at first light"
    fields[f"title-{ids[1]}"] = "Nets drying on the quay"
    applied = client.post(
        "/studio/drafts",
        data={
            "csrf_token": token,
            "action": "apply",
            "asset_ids": [str(i) for i in ids],
            "bulk_keywords": "Coast, fishing, morning",
            "bulk_people": "no",
            **fields,
        },
        follow_redirects=True,
    )
    assert "Applied to 3 works." in applied.get_data(as_text=True)
    for asset_id in ids:
        asset = db.session.get(Asset, asset_id)
        assert asset is not None
        db.session.refresh(asset)
        assert asset.keywords == ["coast", "fishing", "morning"]
    first = db.session.get(Asset, ids[0])
    assert first is not None
    assert first.title == "Fishing boats at first light"

    sent = client.post(
        "/studio/drafts",
        data={
            "csrf_token": token,
            "action": "submit",
            "asset_ids": [str(i) for i in ids],
            **{k: v for k, v in fields.items() if not k.startswith("keywords")},
            **{f"keywords-{i}": "coast, fishing, morning" for i in ids},
        },
        follow_redirects=True,
    )
    text = sent.get_data(as_text=True)
    assert "Sent 2 works to the curators for review." in text
    assert "“DSC 3” was not sent: Give it a title of its own (not its file name)." in text
    statuses = dict(
        db.session.execute(sa.select(Asset.id, Asset.status).where(Asset.id.in_(ids))).all()
    )
    assert statuses == {ids[0]: "pending_review", ids[1]: "pending_review", ids[2]: "draft"}
    remaining = _draft_cards(client.get("/studio/drafts").get_data(as_text=True))
    assert set(remaining) == {str(ids[2])}
    assert "Before review: Give it a title of its own" in remaining[str(ids[2])]


def test_a_release_applied_to_the_selection_is_attached_to_each_work(
    client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    ids = [
        upload(
            client,
            member,
            media_files.make_jpeg(tmp_path / f"p{n}.jpg", 1200, 900, fill=(20 * n, 40, 80)),
            title=f"Portrait {n}",
            has_people="true",
        ).get_json()["id"]
        for n in (1, 2)
    ]
    AuthActions(client).login("artist@example.org")
    token = csrf_token(client, "/studio/drafts")
    release = media_files.make_jpeg(tmp_path / "release.jpg", 400, 300)
    with release.open("rb") as stream:
        answer = client.post(
            "/studio/drafts",
            data={
                "csrf_token": token,
                "action": "apply",
                "asset_ids": [str(i) for i in ids],
                "release_kind": "model",
                "release_file": (stream, "signed-release.jpg"),
            },
            content_type="multipart/form-data",
            follow_redirects=True,
        )
    assert "The release is attached to 2 works." in answer.get_data(as_text=True)
    for asset_id in ids:
        asset = client.get(f"/api/v1/assets/{asset_id}", headers=member).get_json()
        assert [r["filename"] for r in asset["releases"]] == ["signed-release.jpg"]
        assert asset["editorial_only"] is False


def test_the_upload_page_states_the_limits_from_config_before_a_file_is_chosen(
    app: Flask, client: FlaskClient, member: dict[str, str]
) -> None:
    app.config.update(
        PHOTO_MIN_PIXELS=6_000_000, MAX_UPLOAD_BYTES=2 * 1024**3, VIDEO_MAX_SECONDS=600
    )
    AuthActions(client).login("artist@example.org")
    page = client.get("/upload").get_data(as_text=True)
    limits = page[page.index("data-upload-limits") : page.index("data-dropzone")]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", limits))
    assert "JPEG, PNG, TIFF, WebP or HEIC, at least 6 megapixels (for example 3,000 × 2,000" in text
    assert "MP4, MOV, MKV, WebM or AVI, up to 10 minutes" in text
    assert "Size: up to 2.0 GB per file." in text


def test_the_database_knows_the_draft_status_and_still_refuses_unknown_ones(app: Flask) -> None:
    catalogue = Catalogue()
    draft = catalogue.add("A draft", status="draft")
    assert db.session.get(Asset, draft) is not None
    with pytest.raises(sa.exc.IntegrityError):
        catalogue.add("Nonsense", status="sketch")


def test_a_draft_is_sent_from_its_own_page_once_it_has_what_review_needs(
    client: FlaskClient, member: dict[str, str], tmp_path: Path
) -> None:
    photo = media_files.make_jpeg(tmp_path / "IMG_5.jpg", 1200, 900)
    asset_id = upload(client, member, photo).get_json()["id"]
    AuthActions(client).login("artist@example.org")
    page = client.get(f"/portfolio/{asset_id}").get_data(as_text=True)
    assert "<strong>A draft.</strong>" in page
    assert "Before review:</strong> Give it a title of its own" in page
    assert f'action="/portfolio/{asset_id}/submit"' not in page
    client.patch(
        f"/api/v1/assets/{asset_id}",
        headers=member,
        json={"title": "Quiet lane", "keywords": "lane, hedge, summer"},
    )
    page = client.get(f"/portfolio/{asset_id}").get_data(as_text=True)
    assert f'action="/portfolio/{asset_id}/submit"' in page
    token = csrf_token(client, f"/portfolio/{asset_id}")
    sent = client.post(
        f"/portfolio/{asset_id}/submit", data={"csrf_token": token}, follow_redirects=True
    )
    assert "“Quiet lane” is sent to the curators for review." in sent.get_data(as_text=True)
    asset = db.session.get(Asset, asset_id)
    assert asset is not None
    assert asset.status == "pending_review"
