"""A buyer pays for a photo with the test card, then opens the invoice from the order page,
reads it as a page at desktop and phone widths, and downloads it as a PDF whose text names the
work, the number and the total paid."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.looks import look_at
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import GOOD_CARD
from tests.fixtures.web import TEST_PASSWORD
from tests.pdf_text import pdf_words

pytestmark = pytest.mark.e2e


def _sign_in(page: Any, live: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live}/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))


def _buy(page: Any, live: str, asset_id: int) -> str:
    """Add the photo's size M to the cart, pay with the test card; the order's address."""
    from playwright.sync_api import expect

    page.goto(f"{live}/assets/{asset_id}-quay-at-noon")
    page.locator("input[name=licence][value=standard]").check()
    page.locator("input[name=size][value=M]").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live}/cart")
    # The billing place the checkout requires; no tax in Oregon.
    page.locator("#billing-country").select_option("US")
    page.locator("#billing-region").fill("OR")
    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(r".*/orders/\d+/pay$"))
    order_url = page.url.removesuffix("/pay")
    page.locator('[data-card-field="number"]').fill(GOOD_CARD)
    page.locator('[data-card-field="expiry"]').fill("12 / 34")
    page.locator('[data-card-field="cvc"]').fill("123")
    pay = page.locator("[data-pay-button]")
    expect(pay).to_be_enabled()
    pay.click()
    expect(page).to_have_url(order_url, timeout=30_000)
    expect(page.get_by_label("Order summary").locator(".badge")).to_have_text("Paid")
    return str(order_url)


def test_the_buyer_downloads_the_invoice_of_a_paid_order(
    shop_live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    live = shop_live_server
    asset_id = Catalogue().add("Quay at noon", "quay, boats", size=(4000, 3000))
    Factory().buyer("invoiced@example.org", name="Ines Invoiced")
    _sign_in(page, live, "invoiced@example.org")
    order_url = _buy(page, live, asset_id)

    look_at(page, "order-with-invoice")
    page.set_viewport_size({"width": 1280, "height": 900})
    summary = page.get_by_label("Order summary")
    pdf_link = summary.get_by_role("link", name="Invoice (PDF)")
    expect(pdf_link).to_be_visible()
    href = pdf_link.get_attribute("href")
    assert href
    response = page.request.get(f"{live}{href}")
    assert response.ok
    assert response.headers["content-type"].startswith("application/pdf")
    text = pdf_words(response.body())
    number = re.search(r"Invoice (INV-\d{6})", text)
    assert number, text
    for said in ("“Quay at noon”, standard licence, size M", "Ines Invoiced", "Total paid"):
        assert said in text, said

    summary.get_by_role("link", name="View the invoice").click()
    expect(page).to_have_url(f"{order_url}/invoice")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Invoice {number.group(1)}")
    expect(
        page.get_by_role("cell", name="“Quay at noon”, standard licence, size M")
    ).to_be_visible()
    look_at(page, "invoice")
    # At a phone's width the page does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
