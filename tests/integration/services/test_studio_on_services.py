"""The studio on the production stack (PostgreSQL, Redis, the real worker): uploads end as drafts
that only complete ones leave for the curators, views are counted by concurrent beacons without
losing one, and the studio's figures per work and per month are the ledger's after a refund."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from marketplace.assets import studio
from marketplace.assets.models import AssetViewDay
from marketplace.database import utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from tests.fixtures import media_files
from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.shop import Shop, order_status, wait_for
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.uploads import upload
from tests.fixtures.web import TEST_PASSWORD, api_token, post_form

pytestmark = pytest.mark.services


def _processed(client: FlaskClient, headers: dict[str, str], asset_id: int) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        asset = client.get(f"/api/v1/assets/{asset_id}", headers=headers).get_json()
        if asset["status"] != "processing":
            return asset  # type: ignore[no-any-return]
        time.sleep(0.2)
    raise AssertionError(f"asset {asset_id} still processing")


def test_the_worker_leaves_a_draft_that_reaches_the_curators_only_once_sent(
    services_app: Flask, tmp_path: Path
) -> None:
    client = services_app.test_client()
    email = unique_email("s3drafts")
    Factory().member(email)
    Factory().admin(admin_email := unique_email("s3curator"))
    member, admin = api_token(client, email), api_token(client, admin_email)
    photo = media_files.make_jpeg(tmp_path / "DSC_9.jpg", 1200, 900, iptc_title="Pier at dusk")
    asset_id = upload(client, member, photo, keywords="pier").get_json()["id"]
    asset = _processed(client, member, asset_id)
    assert asset["status"] == "draft", asset
    assert asset["suggested"]["title"] == "Pier at dusk"

    def in_queue() -> bool:
        queue = client.get("/api/v1/admin/assets?per_page=100", headers=admin).get_json()
        return asset_id in {a["id"] for a in queue["results"]}

    assert not in_queue()
    refused = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member)
    assert refused.status_code == 422
    assert set(refused.get_json()["error"]["fields"]) == {"title", "keywords"}
    client.patch(
        f"/api/v1/assets/{asset_id}",
        headers=member,
        json={"title": "Pier at dusk", "keywords": ["pier", "dusk", "sea"]},
    )
    sent = client.post(f"/api/v1/assets/{asset_id}/submit", headers=member)
    assert sent.status_code == 200, sent.get_json()
    assert in_queue()
    reviewed = client.post(
        f"/api/v1/admin/assets/{asset_id}/review", headers=admin, json={"decision": "approve"}
    )
    assert reviewed.get_json()["status"] == "published"


def test_concurrent_beacons_lose_no_view_and_the_owner_is_not_counted(
    services_app: Flask, stripe_emulator: StripeEmulator
) -> None:
    shop = Shop(services_app, stripe_emulator)
    asset_id = shop.catalogue.add("Beacon pier", "pier")
    errors: list[BaseException] = []

    def visitor() -> None:
        try:
            client = services_app.test_client()
            for _ in range(5):
                assert client.post(f"/assets/{asset_id}/viewed").status_code == 204
        except BaseException as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    threads = [threading.Thread(target=visitor) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    owner = services_app.test_client()
    owner_user = shop.catalogue.member.user
    post_form(owner, "/login", {"email": owner_user.email, "password": TEST_PASSWORD})
    assert owner.post(f"/assets/{asset_id}/viewed").status_code == 204
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(AssetViewDay.day, AssetViewDay.views).where(AssetViewDay.asset_id == asset_id)
    ).all()
    assert rows == [(utcnow().date(), 40)]


def test_the_studio_figures_per_work_and_per_month_are_the_ledgers(
    services_app: Flask, stripe_emulator: StripeEmulator, webhooks_to_app: str
) -> None:
    shop = Shop(services_app, stripe_emulator)
    admin = api_token(shop.client, Factory().admin().email)
    member_id = shop.catalogue.member.id
    assets = [shop.catalogue.add(f"Studio pier {n}", "pier") for n in range(3)]
    order_id = shop.order(assets)
    shop.pay(order_id)
    wait_for(lambda: order_status(order_id) == "paid")
    # A second buyer licenses the first work too.
    other = api_token(shop.client, Factory().buyer().email)
    again = shop.order(assets[0], headers=other)
    shop.pay(again, headers=other)
    wait_for(lambda: order_status(again) == "paid")
    items = shop.client.get(f"/api/v1/orders/{order_id}", headers=shop.headers).get_json()["items"]
    refunded = next(i for i in items if i["asset_id"] == assets[2])
    response = shop.client.post(
        f"/api/v1/admin/orders/{order_id}/refund", json={"items": [refunded["id"]]}, headers=admin
    )
    assert response.status_code == 202, response.get_json()

    def refund_posted() -> bool:
        db.session.expire_all()
        figures = studio.royalties_by_work(db.session(), member_id)
        return assets[2] not in figures

    wait_for(refund_posted)
    db.session.expire_all()
    in_ledger = ledger.member_balance(db.session(), member_id, "USD")
    figures = studio.studio(db.session(), member_id, utcnow().date())
    by_asset = {w.asset.id: w for w in figures.works}
    assert by_asset[assets[0]].licences_sold == 2
    assert by_asset[assets[2]].licences_sold == 0
    assert by_asset[assets[2]].royalties_cents == 0
    assert figures.royalties_cents == in_ledger > 0
    assert sum(m.cents for m in figures.months) == in_ledger
