"""The seeded demo as a newcomer sees it on first start: real photographs on the home page, an
asset page crediting its author and licence, open books with a year of figures, a member's
earnings and the admins' dividend run. Screenshots at desktop and phone widths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from marketplace.assets.models import Asset
from marketplace.extensions import db
from tests.e2e.looks import look_at
from tests.fixtures.demo_seed import DEMO_PASSWORD, seeded_demo
from tests.fixtures.mail import SmtpSink

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink) -> Iterator[Flask]:
    """The app with the demo seeded (the live server serves this one)."""
    with seeded_demo(tmp_path, migrated_sqlite, smtp_sink) as (seeded, _):
        yield seeded


def _sign_in(page: object, base: str, email: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))


def _natural_width(page: object, selector: str) -> int:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_function(
        "s => document.querySelector(s) && document.querySelector(s).naturalWidth > 0", arg=selector
    )
    return int(page.eval_on_selector(selector, "img => img.naturalWidth"))


def test_the_demo_looks_real_on_first_start(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    page.goto(f"{live_server}/")
    look_at(page, "demo-home")
    assert page.locator("img[src*='thumbnail'], img[src*='preview'], main img").count() >= 6

    nuthatch = db.session.execute(
        sa.select(Asset).where(Asset.title == "Nuthatch on a tree trunk")
    ).scalar_one()
    page.goto(f"{live_server}/assets/{nuthatch.id}")
    expect(page.get_by_role("heading", name="Nuthatch on a tree trunk")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Lukas Baubkus")
    expect(page.locator("main")).to_contain_text("CC BY-SA 3.0")
    licence = page.get_by_role("link", name="CC BY-SA 3.0")
    expect(licence).to_have_attribute("href", "https://creativecommons.org/licenses/by-sa/3.0/")
    assert _natural_width(page, "main img") >= 600  # the preview, not an icon
    look_at(page, "demo-asset-page")

    page.goto(f"{live_server}/open-books")
    main = page.locator("main")
    expect(main).to_contain_text("$")
    look_at(page, "demo-open-books")
    # The last fiscal year: members joining month by month, the refund, the reserve.
    page.goto(f"{live_server}/open-books/{datetime.now(UTC).year - 1}")
    expect(page.locator("main")).to_contain_text("Refunded")
    look_at(page, "demo-open-books-last-year")

    _sign_in(page, live_server, "ana@coop.example")
    page.goto(f"{live_server}/account/earnings")
    expect(page.locator("main")).to_contain_text("Royalties paid")
    look_at(page, "demo-earnings")

    page.context.clear_cookies()
    _sign_in(page, live_server, "sam@coop.example")
    page.goto(f"{live_server}/admin/dividends/")
    expect(page.locator("main")).to_contain_text(str(datetime.now(UTC).year - 1))
    look_at(page, "demo-dividends")
