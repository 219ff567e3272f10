"""The checkout page with Stripe's test cards, in a browser: 3-D Secure completed in the page,
a declined card said once however often it is tried, and the card fields formatting as typed.

The card form is the emulator's Stripe.js stand-in (coop-stripe-v3.js); the page calls the
emulator from the browser, cross-origin, as Stripe.js calls api.stripe.com. Screenshots of the
page on a phone and on a desktop are saved under the test's tmp_path.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.e2e.conftest import serving_shop
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e

THREE_D_SECURE = "4000002500003155"
GENERIC_DECLINE = "4000000000000002"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def checkout_server(shop_app: Flask, stripe_emulator: StripeEmulator) -> Iterator[str]:
    """The shop served on localhost (another origin than the emulator's 127.0.0.1)."""
    with serving_shop(shop_app, stripe_emulator, host="localhost") as base_url:
        yield base_url


def _to_the_checkout(page: object, live: str) -> str:
    """Sign a buyer in, put a photo in the cart, check out; returns the order page's URL."""
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    asset_id = Catalogue().add("Harbour at dawn", "harbour, boats", size=(4000, 3000))
    Factory().buyer("buyer@example.org")
    page.goto(f"{live}/login")
    page.get_by_label("Email").fill("buyer@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))
    page.goto(f"{live}/assets/{asset_id}-harbour-at-dawn")
    page.locator("input[name=licence][value=standard]").check()
    page.locator("input[name=size][value=M]").check()
    page.get_by_role("button", name="Add to cart").click()
    # The billing place the checkout requires; no tax in Oregon.
    page.locator("#billing-country").select_option("US")
    page.locator("#billing-region").fill("OR")
    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(r".*/orders/\d+/pay$"))
    return page.url.removesuffix("/pay")


def _type_card(page: object, number: str) -> None:
    """Type as a person does, key by key: the fields format what they receive."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.locator('[data-card-field="number"]').press_sequentially(number)
    page.locator('[data-card-field="expiry"]').press_sequentially("1230")
    page.locator('[data-card-field="cvc"]').press_sequentially("123")


def _screenshots(page: object, directory: Path, name: str) -> None:
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    for label, size in (("phone", PHONE), ("desktop", DESKTOP)):
        page.set_viewport_size(size)
        page.screenshot(path=str(directory / f"{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


def test_the_card_fields_format_as_people_type(
    checkout_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    _to_the_checkout(page, checkout_server)
    number = page.locator('[data-card-field="number"]')
    expiry = page.locator('[data-card-field="expiry"]')
    _type_card(page, "4242424242424242")
    expect(number).to_have_value("4242 4242 4242 4242")
    expect(expiry).to_have_value("12 / 30")
    expect(page.locator("[data-pay-button]")).to_be_enabled()
    # A month above 1 can only be 0x; deleting goes back through the separator.
    expiry.fill("")
    expiry.press_sequentially("4")
    expect(expiry).to_have_value("04 / ")
    expiry.press("Backspace")
    expiry.press("Backspace")
    expect(expiry).to_have_value("0")
    # A number that fails the check digit is said at once, in Stripe's words.
    number.fill("")
    number.press_sequentially("4242424242424241")
    expect(page.locator("#checkout-error")).to_have_text("Your card number is invalid.")
    _screenshots(page, tmp_path, "card-fields")


def test_pay_with_the_3d_secure_card(
    checkout_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    order_url = _to_the_checkout(page, checkout_server)
    _type_card(page, THREE_D_SECURE)
    page.locator("[data-pay-button]").click()

    bank = page.get_by_test_id("three-d-secure")
    expect(bank).to_be_visible()
    _screenshots(page, tmp_path, "three-d-secure")
    bank.get_by_role("button", name="Complete authentication").click()

    # The page confirms on the server, waits for the emulator's webhook, then opens the order.
    expect(page).to_have_url(order_url, timeout=30_000)
    expect(page.get_by_label("Order summary").locator(".badge")).to_have_text("Paid")
    expect(page.get_by_role("link", name=re.compile(r"^Certificate \(PDF\)"))).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^Download"))).to_be_visible()
    # Neither CORS nor the page's Content-Security-Policy stopped a call to the emulator.
    blocked = ("CORS", "Failed to fetch", "Content Security Policy")
    assert not [e for e in errors if any(word in e for word in blocked)], errors
    _screenshots(page, tmp_path, "paid-after-3ds")


def test_a_declined_card_is_said_once_and_the_order_stays_payable(
    checkout_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    order_url = _to_the_checkout(page, checkout_server)
    _type_card(page, GENERIC_DECLINE)
    pay = page.locator("[data-pay-button]")
    messages = page.locator(".form-errors")
    for _attempt in range(3):
        pay.click()
        expect(page.locator("#checkout-error")).to_have_text("Your card was declined.")
        expect(pay).to_be_enabled()
        expect(messages).to_have_count(1)
    _screenshots(page, tmp_path, "declined")

    # After a reload the page says the last attempt failed, once, and still takes a card.
    page.reload()
    expect(messages).to_have_count(1)
    expect(messages).to_contain_text("Your card was declined.")
    order_id = int(order_url.rsplit("/", 1)[1])
    order = db.session.get(Order, order_id)
    assert order is not None
    db.session.refresh(order)
    assert order.status == "pending_payment"
    assert order.payment_error == "Your card was declined."
    # Declined again: the new refusal replaces the last attempt's.
    _type_card(page, GENERIC_DECLINE)
    pay.click()
    expect(page.locator("#checkout-error")).to_have_text("Your card was declined.")
    expect(messages).to_have_count(1)
    for field in ("number", "expiry", "cvc"):
        page.locator(f'[data-card-field="{field}"]').fill("")
    _type_card(page, "4242424242424242")
    pay.click()
    expect(page).to_have_url(order_url, timeout=30_000)
    expect(page.get_by_label("Order summary").locator(".badge")).to_have_text("Paid")


def test_a_failed_authentication_is_said_and_the_order_stays_payable(
    checkout_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    _to_the_checkout(page, checkout_server)
    _type_card(page, "4000002760003184")
    pay = page.locator("[data-pay-button]")
    pay.click()
    bank = page.get_by_test_id("three-d-secure")
    bank.get_by_role("button", name="Fail authentication").click()
    expect(page.locator("#checkout-error")).to_have_text(
        "We are unable to authenticate your payment method. Please choose a different payment "
        "method and try again."
    )
    expect(pay).to_be_enabled()
    pay.click()
    bank.get_by_role("button", name="Complete authentication").click()
    badge = page.get_by_label("Order summary").locator(".badge")
    expect(badge).to_have_text("Paid", timeout=30_000)


def test_a_payment_with_the_dispute_card_is_disputed_after_it_is_paid(
    checkout_server: str, browser_page: object
) -> None:
    """4000000000000259: paid, then the emulator opens a dispute and signs its webhook to the
    shop, which suspends the order's licence."""
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    order_url = _to_the_checkout(page, checkout_server)
    _type_card(page, "4000000000000259")
    page.locator("[data-pay-button]").click()
    expect(page).to_have_url(order_url, timeout=30_000)
    badge = page.get_by_label("Order summary").locator(".badge")
    expect(badge).to_have_text(re.compile("Paid|Disputed"))
    order_id = int(order_url.rsplit("/", 1)[1])
    deadline = time.monotonic() + 20
    status = None
    while time.monotonic() < deadline:
        order = db.session.get(Order, order_id)
        assert order is not None
        db.session.refresh(order)
        status = order.status
        if status == "disputed":
            break
        time.sleep(0.2)
    assert status == "disputed"
    page.reload()
    expect(badge).to_have_text("Disputed")
