"""The studio home: each work's views (the owner's not counted), licences sold and royalties,
per work and per month equal to what the ledger holds, what curators said and what to do next."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask.testing import FlaskClient

from marketplace.assets.models import Asset, AssetViewDay
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from marketplace.payouts import earnings
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.factories import TEST_PASSWORD
from tests.fixtures.web import AuthActions, post_form


def _views(asset_id: int) -> int:
    total = db.session.execute(
        sa.select(sa.func.sum(AssetViewDay.views)).where(AssetViewDay.asset_id == asset_id)
    ).scalar_one()
    return int(total or 0)


def _figure(page: str, asset_id: int, name: str) -> str:
    card = re.search(rf'data-work="{asset_id}">(.*?)</li>', page, re.S)
    assert card, f"no card for asset {asset_id}"
    value = re.search(rf"<dd data-{name}>([^<]*)</dd>", card.group(1))
    assert value
    return value.group(1)


def test_views_are_counted_from_the_beacon_but_not_the_owners_nor_unpublished_work(
    buying: Buying,
) -> None:
    visitor: FlaskClient = buying.app.test_client()
    photo = buying.photo
    assert visitor.get(f"/assets/{photo}", follow_redirects=True).status_code == 200
    beacon = f"/assets/{photo}/viewed"
    for _ in range(3):
        assert visitor.post(beacon).status_code == 204, "anonymous, no CSRF token needed"
    assert _views(photo) == 3

    owner = buying.app.test_client()
    owner_user = buying.catalogue.member.user
    post_form(owner, "/login", {"email": owner_user.email, "password": TEST_PASSWORD})
    assert owner.post(beacon).status_code == 204
    assert _views(photo) == 3, "the owner's own views are not counted"

    draft = buying.catalogue.add("Unseen draft", "draft", status="draft")
    assert visitor.post(f"/assets/{draft}/viewed").status_code == 204
    assert visitor.post("/assets/999999/viewed").status_code == 204
    assert _views(draft) == 0
    day = db.session.execute(sa.select(AssetViewDay.day)).scalars().all()
    assert day == [utcnow().date()]


def test_the_studio_shows_each_works_figures_and_they_add_up_to_the_ledger(
    buying: Buying,
) -> None:
    member = buying.catalogue.member
    rejected = buying.catalogue.add("Blurred gull", "gull", status="rejected")
    with unit_of_work() as session:
        asset = session.get(Asset, rejected)
        assert asset is not None
        asset.rejection_reason = "The gull is out of focus."
    buying.catalogue.add("IMG 7", "", status="draft")
    first = buying.bought((buying.photo, "standard", "M"), (buying.other, "standard", "S"))
    buying.bought((buying.photo, "standard", "L"))
    refund = buying.client.post(
        f"/api/v1/admin/orders/{first['id']}/refund",
        json={"items": [first["items"][1]["id"]]},
        headers=buying.admin_headers,
    )
    assert refund.status_code == 202, refund.get_json()
    visitor = buying.app.test_client()
    for _ in range(2):
        visitor.post(f"/assets/{buying.photo}/viewed")

    owner = buying.app.test_client()
    AuthActions(owner).login(member.user.email)
    page = owner.get("/studio").get_data(as_text=True)

    in_ledger = ledger.member_balance(db.session(), member.id, "USD")
    assert in_ledger > 0
    royalties = {
        a: int(re.sub(r"[^\d]", "", _figure(page, a, "royalties")))
        for a in (buying.photo, buying.other, rejected)
    }
    assert royalties[buying.other] == 0, "its only sale was refunded"
    assert sum(royalties.values()) == in_ledger, "the works' royalties are the ledger's"
    assert _figure(page, buying.photo, "licences") == "2"
    assert _figure(page, buying.other, "licences") == "0"
    assert _figure(page, buying.photo, "views") == "2"
    total = re.search(r'data-figure="royalties">([^<]*)<', page)
    assert total
    assert int(re.sub(r"[^\d]", "", total.group(1))) == in_ledger

    months = earnings.monthly_royalties(db.session(), member.id, utcnow().date())
    assert sum(m.cents for m in months) == in_ledger
    this_month = re.search(r"<desc[^>]*>(.*?)</desc>", page, re.S)
    assert this_month
    assert (
        this_month.group(1)
        .strip()
        .endswith(f"{months[-1].label}: ${in_ledger // 100}.{in_ledger % 100:02d}.")
    )
    assert page.count('class="month-chart__bar"') == 1, "sales in this month only"

    assert "The gull is out of focus." in page
    assert "1 draft to describe and send for review" in page
    assert "1 rejected: see why" in page
    assert "Set up payouts to receive your royalties" in page


def test_one_address_cannot_inflate_a_works_views(buying: Buying) -> None:
    visitor = buying.app.test_client()
    answers = [visitor.post(f"/assets/{buying.photo}/viewed").status_code for _ in range(125)]
    assert answers.count(204) == 120
    assert answers[-5:] == [429] * 5
    assert _views(buying.photo) == 120
