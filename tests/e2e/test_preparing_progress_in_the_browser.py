"""While a video's size is transcoded, the buyer's "Preparing your file…" page shows how far it
is, as a labelled progress bar, and reloads itself to show it rising."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.licensing import services
from marketplace.licensing.models import Rendition
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import TEST_PASSWORD, Factory

pytestmark = pytest.mark.e2e


def _progress(asset_id: int, pct: int) -> None:
    """What the worker's transcode writes as it goes (``renditions.record_progress``)."""
    with unit_of_work() as session:
        session.execute(
            sa.update(Rendition).where(Rendition.asset_id == asset_id).values(progress_pct=pct)
        )


def test_the_preparing_page_shows_the_transcode_rising(
    live_server: str, browser_page: Any, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    page, live = browser_page, live_server
    asset_id = Catalogue().add("Harbour at noon", kind="video", size=(3840, 2160))
    buyer = Factory().buyer("waiting@example.org")
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        quote = services.quote(session, asset, "standard", "HD", "USD")
        licence = services.issue(
            session, holder_id=buyer.id, asset_id=asset_id, terms_id=quote.terms_id, size="HD",
            price_cents=quote.price_cents, currency="USD", order_id=1, order_item_id=1,
        )  # fmt: skip
        # Queued and picked up by a worker: the download finds it under way.
        session.add(Rendition(asset_id=asset_id, size="HD", progress_pct=42))

    page.goto(f"{live}/login")
    page.get_by_label("Email").fill("waiting@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))

    page.goto(f"{live}/account/licences/{licence.id}/download")
    expect(page.get_by_role("status")).to_contain_text("Preparing your file… 42 %")
    bar = page.get_by_role("progressbar", name="Made so far: 42 %")
    expect(bar).to_have_attribute("value", "42")
    page.screenshot(path=str(tmp_path / "preparing-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "preparing-phone.png"), full_page=True)

    _progress(asset_id, 87)  # the page reloads itself every 5 s and reads the new figure
    expect(page.get_by_role("progressbar", name="Made so far: 87 %")).to_have_attribute(
        "value", "87", timeout=12_000
    )
    expect(page.get_by_role("status")).to_contain_text("Preparing your file… 87 %")
