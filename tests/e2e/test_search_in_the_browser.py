"""A buyer searches, filters, opens an asset and saves it to a lightbox. In a browser."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def test_search_filter_open_and_save_to_a_lightbox(
    live_server: str, browser_page: object, factory: Factory
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    catalogue = Catalogue()
    wide = catalogue.add("Harbour at dawn", "boats, sea", size=(3000, 2000), colours=["#3355c5"])
    catalogue.add("Harbour lighthouse", "lighthouse, sea", size=(2000, 3000), colours=["#3355c5"])
    catalogue.add("Harbour sunset", "boats, sunset", size=(3000, 2000), colours=["#e07020"])
    factory.buyer("buyer@example.org")

    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill("buyer@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server}/")
    page.locator("#home-q").fill("harbour")
    page.locator("#home-q").press("Enter")
    expect(page.get_by_text("3 results")).to_be_visible()
    # On a desktop the filters panel applies each choice at once.
    filters = page.get_by_role("complementary", name="Filters")
    filters.get_by_label("Landscape").check()
    expect(page).to_have_url(re.compile(r".*q=harbour.*orientation=landscape.*"))
    page.get_by_role("complementary", name="Filters").get_by_label("Blue").check()
    expect(page).to_have_url(re.compile(r".*q=harbour.*orientation=landscape.*colour=3050c0.*"))
    expect(page.get_by_text("1 result")).to_be_visible()

    page.get_by_role("link", name="Harbour at dawn", exact=True).click()
    expect(page).to_have_url(f"{live_server}/assets/{wide}-harbour-at-dawn")
    page.locator("summary", has_text="Save to lightbox").click()  # the asset page's disclosure
    page.get_by_label("Name your first lightbox").fill("Spring campaign")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("Spring campaign").first).to_be_visible()

    page.goto(f"{live_server}/lightboxes")
    page.get_by_role("link", name="Spring campaign").first.click()
    expect(page.get_by_text("Harbour at dawn").first).to_be_visible()
