"""The asset page, the cart and checkout as a buyer sees them, on a desktop and on a phone.

A photo's page: the licence and size picker prices the button as the buyer chooses, the
licence's rights change with it, keywords search, similar work and more from the artist show.
A video's page plays its watermarked preview. The cart changes two lines' licence and size in
place, and the buyer pays with the emulator's test card. Every page is screenshotted at both
widths and checked by axe-core (tests/e2e/looks.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.looks import look_at
from tests.fixtures import showroom
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import GOOD_CARD
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def _sign_in(page: Any, live: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live}/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))


def _showroom() -> dict[str, int]:
    """An artist's harbour photo with two more of theirs, and others' work sharing keywords.

    The harbour photo goes on sale last, as related work is found when a work goes on sale.
    """
    artist, others = Catalogue(), Catalogue()
    ids = {
        "artist_dusk": showroom.photo(artist, "Hills at dusk", "hills, dusk", palette="dusk"),
        "artist_mist": showroom.photo(
            artist, "Misty valley", "valley, mist", size=(2800, 4200), palette="mist"
        ),
        "similar_noon": showroom.photo(others, "Harbour at noon", "harbour, boats", palette="noon"),
        "similar_sea": showroom.photo(
            others, "Boats on the sea", "boats, sea", size=(3000, 3000), palette="desert"
        ),
    }
    ids["main"] = showroom.photo(
        artist, "Harbour at dawn", "harbour, boats, sea, morning", palette="dawn",
        description="Fishing boats wait in a still harbour as the sun comes up over the hills.",
    )  # fmt: skip
    return ids


def test_a_photo_page_prices_the_choice_and_links_keywords_and_related_work(
    live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    ids = _showroom()
    Factory().buyer("buyer@example.org")
    _sign_in(page, live_server, "buyer@example.org")
    page.goto(f"{live_server}/assets/{ids['main']}-harbour-at-dawn")

    # The preview is shown large: at least half the desktop's width.
    preview = page.get_by_role("img", name="Watermarked preview of Harbour at dawn")
    expect(preview).to_be_visible()
    box = preview.bounding_box()
    assert box is not None
    assert box["width"] >= 683, box

    # 4200 × 2800 reaches S, M and L; the picker starts at standard, the largest size.
    sizes = page.get_by_role("group", name="Size").get_by_role("radio")
    expect(sizes).to_have_count(3)
    button = page.get_by_role("button", name=re.compile(r"^Add to cart"))
    expect(button).to_have_text("Add to cart — $95.00")
    expect(page.get_by_text("Up to 500,000 printed copies", exact=False).first).to_be_visible()
    look_at(page, "asset-page-photo")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("radio", name=re.compile(r"^Extended")).check()
    expect(button).to_have_text("Add to cart — $195.00")
    expect(page.get_by_text("Unlimited printed copies", exact=False).first).to_be_visible()
    page.get_by_role("radio", name=re.compile(r"^Medium")).check()
    expect(button).to_have_text("Add to cart — $145.00")
    # Each size shows its price under the chosen licence.
    expect(page.locator("label:has(input[value='S']) [data-size-price]")).to_have_text("$115.00")

    # Similar work and the artist's other work are on the page, and keywords search.
    similar = page.get_by_role("region", name="Similar images")
    expect(similar.get_by_role("link", name=re.compile("Harbour at noon"))).to_be_visible()
    more = page.get_by_role("region", name="More from")
    expect(more.get_by_role("link", name=re.compile("Hills at dusk"))).to_be_visible()
    expect(more.get_by_role("link", name=re.compile("Misty valley"))).to_be_visible()
    page.get_by_role("link", name="boats", exact=True).click()
    expect(page).to_have_url(re.compile(r"/search\?q=boats$"))


def test_a_visitor_sees_prices_and_is_asked_to_sign_in_to_buy(
    live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    ids = _showroom()
    page.goto(f"{live_server}/assets/{ids['artist_mist']}-misty-valley")
    button = page.get_by_role("button", name=re.compile(r"^Sign in to buy"))
    expect(button).to_have_text("Sign in to buy — $95.00")
    page.get_by_role("radio", name=re.compile(r"^Small")).check()
    expect(button).to_have_text("Sign in to buy — $15.00")
    look_at(page, "asset-page-portrait-visitor")
    button.click()
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fassets%2F\d+-misty-valley"))


def test_a_video_page_plays_the_preview(
    live_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    artist = Catalogue()
    video = showroom.video(artist, "Waves on the shore", "waves, sea, shore", tmp_path)
    showroom.photo(artist, "Shore at noon", "shore, sea", palette="noon")
    page.goto(f"{live_server}/assets/{video}-waves-on-the-shore")
    player = page.locator("video.asset-preview__media")
    expect(player).to_be_visible()
    for attribute in ("controls", "muted", "playsinline"):
        assert player.get_attribute(attribute) is not None, attribute
    assert player.get_attribute("poster") == f"/assets/{video}/media/poster"
    # The browser can play it: it reads the clip's duration from the file.
    page.wait_for_function(
        "() => document.querySelector('video.asset-preview__media').readyState >= 1"
    )
    duration = page.evaluate("() => document.querySelector('video.asset-preview__media').duration")
    assert 1.5 < duration < 2.5, duration
    expect(page.get_by_role("radio", name=re.compile(r"^HD"))).to_be_checked()
    buy = page.get_by_role("button", name=re.compile(r"^Sign in to buy"))
    expect(buy).to_contain_text("$79.00")
    look_at(page, "asset-page-video")


def _add(page: Any, live: str, asset_id: int, slug: str, licence: str, size: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live}/assets/{asset_id}-{slug}")
    page.get_by_role("radio", name=re.compile(rf"^{licence}")).check()
    page.get_by_role("radio", name=re.compile(rf"^{size}")).check()
    page.get_by_role("button", name=re.compile(r"^Add to cart")).click()
    expect(page).to_have_url(f"{live}/cart")


def test_the_cart_changes_two_lines_in_place_and_the_buyer_pays(
    shop_live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    live = shop_live_server
    ids = _showroom()
    Factory().buyer("buyer@example.org")
    _sign_in(page, live, "buyer@example.org")
    _add(page, live, ids["main"], "harbour-at-dawn", "Standard", "Medium")
    _add(page, live, ids["similar_noon"], "harbour-at-noon", "Standard", "Small")

    lines = page.get_by_role("listitem").filter(has=page.locator(".cart-line__title"))
    expect(lines).to_have_count(2)
    first = page.locator("li", has=page.get_by_role("heading", name="Harbour at dawn"))
    second = page.locator("li", has=page.get_by_role("heading", name="Harbour at noon"))
    total = page.locator("[data-cart-total]")
    expect(total).to_have_text("$60.00")  # M 45 + S 15
    look_at(page, "cart-two-lines")

    # Changing a choice changes that line and the total without leaving the page.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.evaluate("() => { window.stillHere = true; }")
    first.get_by_role("radio", name="Extended").check()
    expect(first.locator("[data-line-price]")).to_contain_text("$145.00")
    expect(total).to_have_text("$160.00")
    second.get_by_role("radio", name=re.compile(r"^L\b")).check()
    expect(second.locator("[data-line-price]")).to_contain_text("$95.00")
    expect(total).to_have_text("$240.00")
    assert page.evaluate("() => window.stillHere === true"), "the cart page was reloaded"
    expect(page.locator("[data-cart-status]")).to_contain_text("Changed “Harbour at noon”")
    # The server has the new choices: a fresh load shows them.
    page.reload()
    expect(first.get_by_role("radio", name="Extended")).to_be_checked()
    expect(second.get_by_role("radio", name=re.compile(r"^L\b"))).to_be_checked()
    expect(total).to_have_text("$240.00")
    look_at(page, "cart-changed")

    # The billing place the checkout requires; no tax in Oregon.
    page.locator("#billing-country").select_option("US")
    page.locator("#billing-region").fill("OR")
    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(r".*/orders/\d+/pay$"))
    order_url = page.url.removesuffix("/pay")
    expect(page.locator(".order-total")).to_contain_text("$240.00")
    expect(page.locator("[data-pay-button]")).to_have_text("Pay $240.00")
    look_at(page, "checkout-pay")

    page.set_viewport_size({"width": 1366, "height": 900})
    page.locator('[data-card-field="number"]').fill(GOOD_CARD)
    page.locator('[data-card-field="expiry"]').fill("12 / 34")
    page.locator('[data-card-field="cvc"]').fill("123")
    pay = page.locator("[data-pay-button]")
    expect(pay).to_be_enabled()
    pay.click()
    expect(page).to_have_url(order_url, timeout=30_000)
    expect(page.get_by_label("Order summary").locator(".badge")).to_have_text("Paid")
    expect(page.get_by_role("link", name=re.compile(r"^Download size M"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Download size L"))).to_be_visible()
    look_at(page, "order-paid")

    # The orders list reads on a phone without scrolling sideways.
    page.goto(f"{live}/account/orders")
    order_id = order_url.rsplit("/", 1)[1]
    expect(page.get_by_role("link", name=f"Order #{order_id}", exact=True)).to_be_visible()
    look_at(page, "orders-list")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    expect(page.get_by_role("link", name=re.compile(r"^View"))).to_be_in_viewport()
