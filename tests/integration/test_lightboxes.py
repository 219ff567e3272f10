"""Buyers collect published work in private lightboxes, and may share one by a read-only link."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from flask_login import login_user

from marketplace.accounts.models import User
from marketplace.accounts.sessions import start_session
from marketplace.assets.models import Asset
from marketplace.extensions import db
from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.uploads import submit
from tests.fixtures.web import AuthActions, api_token, post_form

Headers = dict[str, str]


@pytest.fixture
def member(client: FlaskClient, factory: Factory) -> Headers:
    return api_token(client, factory.member("artist@example.org").email)


@pytest.fixture
def admin(client: FlaskClient, factory: Factory) -> Headers:
    return api_token(client, factory.admin("curator@example.org").email)


@pytest.fixture
def buyer(client: FlaskClient, factory: Factory) -> Headers:
    return api_token(client, factory.buyer("bea@example.org").email)


def upload(client: FlaskClient, member: Headers, tmp_path: Path, name: str, shade: int) -> int:
    photo = media_files.make_jpeg(tmp_path / f"{name}.jpg", 1200, 900, fill=(shade, 90, 140))
    with photo.open("rb") as stream:
        created = client.post(
            "/api/v1/assets",
            headers=member,
            data={"file": (stream, f"{name}.jpg"), "title": name},
            content_type="multipart/form-data",
        )
    assert created.status_code == 202, created.get_json()
    return int(created.get_json()["id"])


@pytest.fixture
def assets(client: FlaskClient, member: Headers, admin: Headers, tmp_path: Path) -> list[int]:
    """Three published photos: Dune, Fjord, Glacier."""
    ids = [
        upload(client, member, tmp_path, name, 40 * n)
        for n, name in enumerate(["Dune", "Fjord", "Glacier"], 1)
    ]
    for asset_id in ids:
        submit(client, member, asset_id)
        reviewed = client.post(
            f"/api/v1/admin/assets/{asset_id}/review", headers=admin, json={"decision": "approve"}
        )
        assert reviewed.status_code == 200, reviewed.get_json()
    return ids


def new_lightbox(client: FlaskClient, headers: Headers, name: str = "Spring campaign") -> int:
    created = client.post("/api/v1/lightboxes", headers=headers, json={"name": name})
    assert created.status_code == 201, created.get_json()
    return int(created.get_json()["id"])


def order_of(client: FlaskClient, headers: Headers, lightbox_id: int) -> list[int]:
    body = client.get(f"/api/v1/lightboxes/{lightbox_id}", headers=headers).get_json()
    assert [i["position"] for i in body["items"]] == list(range(len(body["items"])))
    return [item["asset_id"] for item in body["items"]]


def thumbnails(client: FlaskClient, path: str, candidates: list[int]) -> list[int]:
    """The assets whose thumbnails the page shows, in page order."""
    page = client.get(path).get_data(as_text=True)
    shown = [a for a in candidates if f"/assets/{a}/media/thumbnail" in page]
    return sorted(shown, key=lambda a: page.index(f"/assets/{a}/media/thumbnail"))


def test_create_fill_reorder_rename_and_delete(
    client: FlaskClient, buyer: Headers, assets: list[int]
) -> None:
    dune, fjord, glacier = assets
    created = client.post("/api/v1/lightboxes", headers=buyer, json={"name": "  Spring   ad "})
    assert created.status_code == 201
    body = created.get_json()
    assert (body["name"], body["items"], body["shared"]) == ("Spring ad", [], False)
    box = f"/api/v1/lightboxes/{body['id']}"

    for name in ("", "   ", "x" * 81, 7):
        refused = client.post("/api/v1/lightboxes", headers=buyer, json={"name": name})
        assert refused.status_code == 422, name
        assert refused.get_json()["error"]["message"]
    assert client.post("/api/v1/lightboxes", headers=buyer, data="name").status_code == 400

    first = client.post(f"{box}/items", headers=buyer, json={"asset_id": dune})
    assert first.status_code == 201
    assert first.get_json()["asset"]["title"] == "Dune"
    assert first.get_json()["asset"]["thumbnail_url"]
    again = client.post(f"{box}/items", headers=buyer, json={"asset_id": dune})
    assert again.status_code == 200, "saving twice is a no-op"
    assert again.get_json() == first.get_json()
    for asset_id in (fjord, glacier):
        added = client.post(f"{box}/items", headers=buyer, json={"asset_id": asset_id})
        assert added.status_code == 201
    assert order_of(client, buyer, body["id"]) == [dune, fjord, glacier]

    wanted = [glacier, dune, fjord]
    reordered = client.put(f"{box}/order", headers=buyer, json={"asset_ids": wanted})
    assert reordered.status_code == 200
    assert [i["asset_id"] for i in reordered.get_json()["items"]] == wanted
    for bad in ([glacier, dune], [glacier, dune, fjord, fjord], [glacier, dune, 999], "1,2", None):
        assert client.put(f"{box}/order", headers=buyer, json={"asset_ids": bad}).status_code == 422

    assert client.delete(f"{box}/items/{dune}", headers=buyer).status_code == 204
    assert order_of(client, buyer, body["id"]) == [glacier, fjord]
    assert client.delete(f"{box}/items/{dune}", headers=buyer).status_code == 404

    renamed = client.patch(box, headers=buyer, json={"name": "Autumn"})
    assert renamed.get_json()["name"] == "Autumn"
    assert client.patch(box, headers=buyer, json={"name": ""}).status_code == 422

    new_lightbox(client, buyer, "Empty")
    listed = client.get("/api/v1/lightboxes?per_page=1", headers=buyer).get_json()
    assert (listed["total"], listed["total_exact"], listed["per_page"]) == (2, True, 1)
    assert [(r["name"], r["item_count"]) for r in listed["results"]] == [("Empty", 0)]
    second = client.get("/api/v1/lightboxes?page=2&per_page=1", headers=buyer).get_json()
    assert [(r["name"], r["item_count"]) for r in second["results"]] == [("Autumn", 2)]
    assert client.get("/api/v1/lightboxes?per_page=101", headers=buyer).status_code == 422

    assert client.delete(box, headers=buyer).status_code == 204
    assert client.get(box, headers=buyer).status_code == 404
    assert client.get("/api/v1/lightboxes", headers=buyer).get_json()["total"] == 1


def test_a_lightbox_is_private_to_its_owner(
    client: FlaskClient, factory: Factory, buyer: Headers, assets: list[int]
) -> None:
    lightbox_id = new_lightbox(client, buyer)
    box = f"/api/v1/lightboxes/{lightbox_id}"
    client.post(f"{box}/items", headers=buyer, json={"asset_id": assets[0]})
    stranger_email = factory.buyer().email
    stranger = api_token(client, stranger_email)
    attempts = [
        client.get(box, headers=stranger),
        client.patch(box, headers=stranger, json={"name": "Mine"}),
        client.delete(box, headers=stranger),
        client.post(f"{box}/items", headers=stranger, json={"asset_id": assets[1]}),
        client.delete(f"{box}/items/{assets[0]}", headers=stranger),
        client.put(f"{box}/order", headers=stranger, json={"asset_ids": [assets[0]]}),
        client.post(f"{box}/share", headers=stranger),
    ]
    assert [r.status_code for r in attempts] == [404] * len(attempts)
    assert client.get("/api/v1/lightboxes", headers=stranger).get_json()["total"] == 0
    assert client.get("/api/v1/lightboxes").status_code == 401
    assert client.post(f"{box}/items", json={"asset_id": assets[1]}).status_code == 401
    assert order_of(client, buyer, lightbox_id) == [assets[0]], "nothing changed"
    AuthActions(client).login(stranger_email)
    assert client.get(f"/lightboxes/{lightbox_id}").status_code == 404


def test_only_work_for_sale_is_saved_and_shown(
    client: FlaskClient, member: Headers, buyer: Headers, assets: list[int], tmp_path: Path
) -> None:
    pending = upload(client, member, tmp_path, "Unreviewed", 250)
    lightbox_id = new_lightbox(client, buyer)
    items = f"/api/v1/lightboxes/{lightbox_id}/items"
    for asset_id in (pending, 99999):
        refused = client.post(items, headers=buyer, json={"asset_id": asset_id})
        assert refused.status_code == 404
        assert refused.get_json()["error"]["code"] == "asset_not_available"
    for bad in ("1", True, -3, None):
        assert client.post(items, headers=buyer, json={"asset_id": bad}).status_code == 422

    for asset_id in assets:
        client.post(items, headers=buyer, json={"asset_id": asset_id})
    token = client.post(f"/api/v1/lightboxes/{lightbox_id}/share", headers=buyer).get_json()[
        "share_token"
    ]
    assert client.delete(f"/api/v1/assets/{assets[1]}", headers=member).status_code == 200

    owner_view = client.get(f"/api/v1/lightboxes/{lightbox_id}", headers=buyer).get_json()
    gone = owner_view["items"][1]
    assert (gone["asset_id"], gone["available"], gone["asset"]) == (assets[1], False, None)
    shared = client.get(f"/api/v1/shared-lightboxes/{token}").get_json()
    assert [i["asset"]["title"] for i in shared["items"]] == ["Dune", "Glacier"]
    assert thumbnails(client, f"/lightboxes/shared/{token}", assets) == [assets[0], assets[2]]
    assert "Fjord" not in client.get(f"/lightboxes/shared/{token}").get_data(as_text=True)
    AuthActions(client).login("bea@example.org")
    owner_page = client.get(f"/lightboxes/{lightbox_id}").get_data(as_text=True)
    assert "No longer for sale" in owner_page
    assert "Fjord" not in owner_page, "withdrawn work is its member's business now"
    assert client.post(items, headers=buyer, json={"asset_id": assets[1]}).status_code == 404
    # The owner can still clear out what was withdrawn.
    assert client.delete(f"{items}/{assets[1]}", headers=buyer).status_code == 204


def test_a_share_link_works_for_anyone_until_unshared(
    client: FlaskClient, buyer: Headers, assets: list[int]
) -> None:
    box = f"/api/v1/lightboxes/{new_lightbox(client, buyer, 'For the client')}"
    client.post(f"{box}/items", headers=buyer, json={"asset_id": assets[2]})
    share = f"{box}/share"
    shared = client.post(share, headers=buyer).get_json()
    assert shared["shared"] is True
    assert shared["share_url"].endswith(shared["share_token"])
    assert client.post(share, headers=buyer).get_json()["share_url"] == shared["share_url"]

    public = client.get(f"/api/v1/shared-lightboxes/{shared['share_token']}")
    assert public.status_code == 200
    assert public.get_json()["name"] == "For the client"
    assert "share_token" not in public.get_json()
    assert "id" not in public.get_json()
    page = client.get(shared["share_url"])
    assert page.status_code == 200
    assert "Glacier" in page.get_data(as_text=True)
    thumbnail = f"/assets/{assets[2]}/media/thumbnail"
    assert thumbnail in page.get_data(as_text=True)
    with client.get(thumbnail) as image:
        assert image.status_code == 200

    assert client.delete(share, headers=buyer).get_json()["share_url"] is None
    assert client.get(f"/api/v1/shared-lightboxes/{shared['share_token']}").status_code == 404
    assert client.get(shared["share_url"]).status_code == 404
    again = client.post(share, headers=buyer).get_json()
    assert again["share_token"] != shared["share_token"], "an old link never comes back"


def test_the_pages_and_their_forms(
    app: Flask, client: FlaskClient, factory: Factory, assets: list[int]
) -> None:
    dune, fjord, _ = assets
    assert client.get("/lightboxes").status_code == 302, "sign in first"
    factory.buyer("page@example.org")
    AuthActions(client).login("page@example.org")
    assert "No lightboxes yet" in client.get("/lightboxes").get_data(as_text=True)
    assert post_form(client, "/lightboxes", {"name": ""}).status_code == 422
    created = post_form(client, "/lightboxes", {"name": "Moodboard"})
    assert created.status_code == 302
    detail = created.headers["Location"]
    lightbox_id = int(detail.rsplit("/", 1)[-1])

    saved = post_form(
        client,
        "/lightboxes/add",
        {"asset_id": dune, "lightbox_id": lightbox_id},
        follow_redirects=True,
    )
    assert "Saved to “Moodboard”" in saved.get_data(as_text=True)
    assert saved.request.path.startswith(f"/assets/{dune}-"), "the canonical, slugged address"
    post_form(client, "/lightboxes/add", {"asset_id": fjord, "lightbox_id": lightbox_id})
    unnamed = post_form(
        client, "/lightboxes/add", {"asset_id": dune, "lightbox_id": ""}, follow_redirects=True
    )
    assert "Give the lightbox a name" in unnamed.get_data(as_text=True)
    post_form(client, "/lightboxes/add", {"asset_id": fjord, "new_name": "Second"})
    assert "Second" in client.get("/lightboxes").get_data(as_text=True)

    assert thumbnails(client, detail, assets) == [dune, fjord]
    post_form(client, f"{detail}/items/{dune}/move", {"direction": "down"}, from_page=detail)
    assert thumbnails(client, detail, assets) == [fjord, dune]
    assert post_form(client, f"{detail}/rename", {"name": " "}, from_page=detail).status_code == 422
    post_form(client, f"{detail}/rename", {"name": "Moodboard II"}, from_page=detail)
    post_form(client, f"{detail}/items/{fjord}/remove", from_page=detail)
    assert "Moodboard II" in client.get(detail).get_data(as_text=True)
    assert thumbnails(client, detail, assets) == [dune]

    post_form(client, f"{detail}/share", from_page=detail)
    link = client.get(detail).get_data(as_text=True).split('id="share-link" type="url" value="')[1]
    link = link.split('"', 1)[0]
    AuthActions(client).logout()
    assert "Dune" in client.get(link).get_data(as_text=True)
    assert client.get(detail).status_code == 302
    AuthActions(client).login("page@example.org")
    post_form(client, f"{detail}/unshare", from_page=detail)
    assert client.get(link).status_code == 404
    deleted = post_form(client, f"{detail}/delete", from_page=detail)
    assert deleted.headers["Location"] == "/lightboxes"
    assert client.get(detail).status_code == 404

    with app.test_request_context(f"/assets/{dune}"):
        asset = db.session.get(Asset, dune)
        anonymous = render_template_string(
            '{% include "lightboxes/_save_form.html" %}', asset=asset
        )
        assert "Sign in" in anonymous
        user = db.session.execute(db.select(User).filter_by(email="page@example.org")).scalar_one()
        login_user(start_session(user, "test"))
        form = render_template_string('{% include "lightboxes/_save_form.html" %}', asset=asset)
    assert 'action="/lightboxes/add"' in form
    assert "Second" in form
    assert 'name="csrf_token"' in form
