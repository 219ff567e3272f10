"""A page cached for every signed-in viewer, in the browser: each person's own header and forms.

The second person gets the first one's cached asset page (X-Page-Cache: hit), and the page then
fetches their own account menu, cart count and lightboxes; nothing of the first person shows.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from marketplace.lightboxes import services as lightboxes
from marketplace.orders.services import ItemRequest, add_to_cart
from tests.e2e.looks import look_at
from tests.e2e.navigation import open_account_menu, sign_in, sign_out
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.config import app_on_copy
from tests.fixtures.factories import Factory
from tests.fixtures.mail import SmtpSink

pytestmark = pytest.mark.e2e


@pytest.fixture
def app(tmp_path: Path, migrated_sqlite: Path, smtp_sink: SmtpSink) -> Iterator[Flask]:
    with app_on_copy(tmp_path, migrated_sqlite, smtp_sink, PAGE_CACHE="memory") as app:
        yield app


def test_each_signed_in_person_gets_their_own_parts_on_a_cached_asset_page(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    harbour = Catalogue().add("Harbour at dawn", "harbour, boats")
    anouk = Factory().buyer("anouk@example.org", "Anouk Zebulon")
    Factory().buyer("bram@example.org", "Bram Quince")
    add_to_cart(anouk, ItemRequest(harbour, "standard", "S"))
    lightboxes.add_to_new(anouk, "Anouk moodboard", harbour)
    lightboxes.create(anouk, "Anouk second board")
    path = f"{live_server}/assets/{harbour}-harbour-at-dawn"

    sign_in(page, live_server, "anouk@example.org")
    first = page.goto(path)
    assert first is not None
    assert first.headers.get("x-page-cache") == "miss"
    expect(page.locator(".account-menu__name")).to_contain_text("Anouk Zebulon")
    expect(page.locator("[data-cart-count]")).to_have_attribute("data-cart-count", "1")
    expect(page.locator("#save-lightbox-id")).to_contain_text("Anouk moodboard")
    look_at(page, "asset-page-signed-in-from-cache")

    sign_out(page)
    sign_in(page, live_server, "bram@example.org")
    second = page.goto(path)
    assert second is not None
    assert second.headers.get("x-page-cache") == "hit"
    expect(page.locator(".account-menu__name")).to_contain_text("Bram Quince")
    expect(page.locator("[data-personal]")).to_have_count(0)
    assert "Anouk" not in page.content()
    assert "Bram Quince" in open_account_menu(page).inner_text()
    expect(page.locator("[data-cart-count]")).to_have_attribute("data-cart-count", "0")
