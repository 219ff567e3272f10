"""An artist's studio in a browser: the upload page's limits, describing several drafts at once
(keywords for all, a title taken from the file's IPTC), sending them for review, the curators'
queue holding only what was sent, and the studio home's figures and chart after real sales."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from marketplace.assets.models import Asset, AssetViewDay
from marketplace.extensions import db
from marketplace.ledger import services as ledger
from tests.e2e.looks import look_at
from tests.fixtures import media_files
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.factories import Factory
from tests.fixtures.stripe_emulator import free_port
from tests.fixtures.uploads import submit, upload
from tests.fixtures.web import TEST_PASSWORD, api_token

pytestmark = pytest.mark.e2e


def sign_in(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.locator("#password").fill(TEST_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_load_state("networkidle")  # type: ignore[attr-defined]


def _photos(folder: Path) -> list[Path]:
    """Three photo-like pictures; the first says in its IPTC what it shows."""
    return [
        media_files.make_jpeg(
            folder / "DSC_0101.jpg",
            image=media_files.realistic_image(1500, 1000, seed=n),
            **extra,
        )
        if n == 0
        else media_files.make_jpeg(
            folder / f"DSC_010{n + 1}.jpg", image=media_files.realistic_image(1500, 1000, seed=n)
        )
        for n, extra in enumerate(
            [
                {
                    "iptc_title": "Harbour wall at low tide",
                    "iptc_keywords": ["harbour", "tide", "stone"],
                },
                {},
                {},
            ]
        )
    ]


def test_an_artist_describes_many_drafts_and_sends_them_to_the_curators(
    app: Flask, live_server: str, browser_page: object, factory: Factory, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.member("artist@example.org")
    factory.admin("curator@example.org")
    sign_in(page, live_server, "artist@example.org")

    page.goto(f"{live_server}/upload")
    limits = page.locator("[data-upload-limits]")
    expect(limits).to_contain_text("JPEG, PNG, TIFF, WebP or HEIC, at least 0.5 megapixels")
    expect(limits).to_contain_text("MP4, MOV, MKV, WebM or AVI")
    look_at(page, "studio-upload-limits")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator("[data-file-input]").set_input_files([str(p) for p in _photos(tmp_path)])
    drafts = page.locator("[data-status]", has_text="Draft: describe it")
    expect(drafts).to_have_count(3, timeout=60_000)

    page.get_by_role("link", name="Describe it and send it for review").first.click()
    cards = page.locator("[data-draft]")
    expect(cards).to_have_count(3)
    # The files upload two at a time: find each card by the title its file name gave it.
    first, second, third = (
        page.locator(f"[data-draft]:has(input[value='DSC 010{n}'])") for n in (1, 2, 3)
    )
    expect(first.locator("[data-suggested]").first).to_have_text("Harbour wall at low tide")

    page.get_by_label("Select all 3").check()
    expect(page.locator("[data-selected-count]")).to_have_text("3 works selected.")
    page.get_by_label("Add keywords").fill("coast, morning, Cornwall")
    page.get_by_role("button", name="Apply to selected").click()
    expect(page.get_by_text("Applied to 3 works.")).to_be_visible()
    for n in range(3):
        expect(cards.nth(n).locator("textarea[id^='keywords-']")).to_have_value(
            "coast, morning, cornwall"
        )

    first.get_by_role("button", name=re.compile("the file’s title")).click()
    expect(first.locator("input[id^='title-']")).to_have_value("Harbour wall at low tide")
    first.get_by_role("button", name=re.compile("the file’s keywords")).click()
    second.locator("input[id^='title-']").fill("Fishing nets on the quay")
    page.get_by_label("Select all 3").check()
    third.locator("[data-pick]").uncheck()
    expect(page.locator("[data-selected-count]")).to_have_text("2 works selected.")
    third.locator("[data-pick]").check()
    look_at(page, "studio-describe-drafts")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Submit selected for review").first.click()
    expect(page.get_by_text("Sent 2 works to the curators for review.")).to_be_visible()
    expect(page.get_by_text("“DSC 0103” was not sent: Give it a title of its own")).to_be_visible()
    expect(cards).to_have_count(1)
    expect(third).to_contain_text("Before review: Give it a title of its own")
    look_at(page, "studio-describe-after-submit")

    stored = dict(db.session.execute(sa.select(Asset.title, Asset.keywords)).all())
    assert stored["Harbour wall at low tide"] == [
        "coast", "morning", "cornwall", "harbour", "tide", "stone"
    ]  # fmt: skip

    page.context.clear_cookies()
    sign_in(page, live_server, "curator@example.org")
    page.goto(f"{live_server}/admin/assets/")
    queue = page.locator("table")
    expect(queue).to_contain_text("Harbour wall at low tide")
    expect(queue).to_contain_text("Fishing nets on the quay")
    expect(queue).not_to_contain_text("DSC 0103")
    look_at(page, "studio-curator-queue")


@pytest.fixture
def shop_server(buying: Buying) -> Iterator[str]:
    """The shop app (sales paid through the Stripe emulator) over real HTTP, for the browser."""
    port = free_port()
    buying.app.config["SERVER_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, buying.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


def test_the_studio_home_shows_views_sales_royalties_and_next_steps(
    buying: Buying, shop_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    client = buying.app.test_client()
    artist = Factory().member("lens@example.org")
    member = api_token(client, artist.email)
    titles = ["Harbour wall at low tide", "Fishing nets on the quay", "Gulls over the breakwater"]
    ids = []
    for n, title in enumerate(titles):
        # Small enough for the test client to send from memory (larger bodies are spooled to
        # a temporary file it never closes).
        photo = media_files.make_jpeg(
            tmp_path / f"p{n}.jpg", image=media_files.realistic_image(1200, 800, seed=n), quality=70
        )
        asset_id = upload(
            client, member, photo, title=title, keywords="coast, harbour, sea"
        ).get_json()["id"]
        submit(client, member, asset_id)
        ids.append(asset_id)
    for asset_id, decision in zip(ids, ["approve", "approve", "reject"], strict=True):
        reviewed = client.post(
            f"/api/v1/admin/assets/{asset_id}/review",
            headers=buying.admin_headers,
            json={"decision": decision, "reason": "The gulls are blurred; try a faster shutter."},
        )
        assert reviewed.status_code == 200, reviewed.get_json()
    upload(
        client,
        member,
        media_files.make_jpeg(
            tmp_path / "IMG_2001.jpg",
            image=media_files.realistic_image(1200, 800, seed=9),
            quality=70,
        ),
    )
    first = buying.bought((ids[0], "standard", "S"), (ids[1], "standard", "S"))
    buying.bought((ids[0], "extended", "S"))
    refund = client.post(
        f"/api/v1/admin/orders/{first['id']}/refund",
        json={"items": [first["items"][1]["id"]]},
        headers=buying.admin_headers,
    )
    assert refund.status_code == 202, refund.get_json()

    # Two visitors' views, counted by the page's beacon.
    for _ in range(2):
        page.goto(f"{shop_server}/assets/{ids[0]}")
        page.wait_for_load_state("networkidle")
    page.context.clear_cookies()
    counted = db.session.execute(
        sa.select(sa.func.sum(AssetViewDay.views)).where(AssetViewDay.asset_id == ids[0])
    ).scalar_one()
    assert counted == 2

    sign_in(page, shop_server, artist.email)
    page.goto(f"{shop_server}/assets/{ids[0]}")
    page.wait_for_load_state("networkidle")
    page.goto(f"{shop_server}/studio")
    royalties = ledger.member_balance(db.session(), artist.member.id, "USD")  # type: ignore[union-attr]
    shown = f"${royalties // 100:,}.{royalties % 100:02d}"
    expect(page.locator("[data-figure='royalties']")).to_have_text(shown)
    expect(page.locator("[data-figure='licences']")).to_have_text("2")
    # Not 3: the owner's own view is not counted.
    expect(page.locator("[data-figure='views']")).to_have_text("2")
    work = page.locator(f"[data-work='{ids[0]}']")
    expect(work.locator("[data-licences]")).to_have_text("2")
    expect(work.locator("[data-royalties]")).to_have_text(shown)
    expect(page.locator(f"[data-work='{ids[1]}'] [data-royalties]")).to_have_text("$0.00")
    expect(page.locator(".month-chart__bar")).to_have_count(1)
    expect(page.get_by_text("1 draft to describe and send for review")).to_be_visible()
    expect(page.get_by_text("1 rejected: see why")).to_be_visible()
    expect(page.get_by_text("The gulls are blurred; try a faster shutter.")).to_be_visible()
    expect(page.get_by_text("Set up payouts to receive your royalties")).to_be_visible()
    look_at(page, "studio-home")
