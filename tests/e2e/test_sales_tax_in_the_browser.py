"""An Ontario buyer says where they are in the cart, sees the 13 % HST on the pay page before
typing a card, pays with the test card, finds the tax on the order page, and downloads the
invoice, whose text carries the same tax; the pay page is checked at desktop and phone widths."""

from __future__ import annotations

import re

import pytest

from tests.e2e.looks import look_at
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.payments import GOOD_CARD
from tests.fixtures.web import TEST_PASSWORD
from tests.pdf_text import pdf_words

pytestmark = pytest.mark.e2e


def test_the_tax_line_shows_at_checkout_and_stays_on_the_order_and_invoice(
    shop_live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    live = shop_live_server
    asset_id = Catalogue().add("Harbour in the fog", "harbour, fog", size=(4000, 3000))
    Factory().buyer("ontario@example.org", name="Olive Ontario")
    page.goto(f"{live}/login")
    page.get_by_label("Email").fill("ontario@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))

    # Canadian dollars: the asset page says the tax is added at checkout.
    page.goto(f"{live}/currency")
    page.get_by_role("button", name=re.compile("CAD")).first.click()
    expect(page).not_to_have_url(re.compile(r".*/currency$"))
    page.wait_for_load_state("networkidle")
    page.goto(f"{live}/assets/{asset_id}-harbour-in-the-fog")
    expect(page.locator("[data-tax-note]")).to_have_text(
        "Price before tax: any tax is added at checkout."
    )
    page.locator("input[name=licence][value=standard]").check()
    page.locator("input[name=size][value=M]").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live}/cart")

    look_at(page, "cart-with-billing")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})
    country = page.locator("#billing-country")
    expect(country).to_be_visible(timeout=30_000)
    country.select_option("CA")
    page.get_by_label("State or province (needed in the US and Canada)").fill("ON")
    page.get_by_label("Postal code").fill("M5V 2T6")
    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(r".*/orders/\d+/pay$"))
    order_url = page.url.removesuffix("/pay")

    # Before the card: the subtotal, the HST and the total with it.
    taxes = page.locator("[data-tax-lines]")
    expect(taxes).to_contain_text("Subtotal (before tax)")
    expect(taxes.locator('[data-tax-line="CA-ON"]')).to_contain_text("HST (CA-ON) 13%")
    expect(taxes.locator('[data-tax-line="CA-ON"]')).to_contain_text("CA$7.67")
    expect(page.locator("[data-pay-button]")).to_contain_text("CA$66.67")
    look_at(page, "pay-with-tax")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator('[data-card-field="number"]').fill(GOOD_CARD)
    page.locator('[data-card-field="expiry"]').fill("12 / 34")
    page.locator('[data-card-field="cvc"]').fill("123")
    pay = page.locator("[data-pay-button]")
    expect(pay).to_be_enabled()
    pay.click()
    expect(page).to_have_url(order_url, timeout=30_000)
    summary = page.get_by_label("Order summary")
    expect(summary.locator(".badge")).to_have_text("Paid")
    expect(summary.locator('[data-tax-line="CA-ON"]')).to_contain_text("CA$7.67")

    # The invoice (the invoices' own browser test reads it whole): it carries the same tax.
    href = summary.get_by_role("link", name="Invoice (PDF)").get_attribute("href")
    assert href
    response = page.request.get(f"{live}{href}")
    assert response.ok
    text = pdf_words(response.body())
    assert "Olive Ontario" in text
    assert "7.67" in text, text
    assert "66.67" in text, text

    # The admin's sales tax report shows Ontario's HST, matching the ledger, at both widths.
    Factory().admin("taxadmin@example.org")
    page.context.clear_cookies()
    page.goto(f"{live}/login")
    page.get_by_label("Email").fill("taxadmin@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))
    page.goto(f"{live}/admin/payments/sales-tax")
    row = page.locator("[data-sales-tax] tbody tr").filter(has_text="CA-ON")
    expect(row).to_contain_text("CA$7.67")
    expect(row).to_contain_text("Agrees")
    look_at(page, "admin-sales-tax")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
