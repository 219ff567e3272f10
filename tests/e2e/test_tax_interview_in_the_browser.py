"""A member resident in India gives a W-8BEN with the treaty's 15 % on the tax page, after saying
yes to the confirmation; the page shows the form on file and the rate withheld. Desktop and
phone, checked by axe-core. In a browser."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.e2e.looks import look_at
from tests.e2e.navigation import sign_in
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e


def test_a_member_signs_a_w8ben_with_a_treaty_claim(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    app.config["WITHHOLDING_ENABLED"] = True
    page: Page = browser_page  # type: ignore[assignment]
    Factory().member("asha@example.org")
    sign_in(page, live_server, "asha@example.org", "/account/tax/")
    page.goto(f"{live_server}/account/tax/")
    expect(page.get_by_text("No tax form on file: backup withholding")).to_be_visible()
    look_at(page, "tax-interview-empty")

    page.locator("#w8-legal_name").fill("Asha Rao")
    page.locator("#country").fill("IN")
    page.locator("#treaty_country").fill("IN")
    page.locator("#treaty_article").fill("12")
    page.locator("#treaty_rate").fill("15")
    page.locator("#signed_name").fill("Asha Rao")
    page.get_by_label("Under penalties of perjury").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Sign and save W-8BEN").click()
    expect(page.get_by_text("Your tax form is saved.")).to_be_visible()
    expect(page.get_by_text("W-8BEN (foreign person)")).to_be_visible()
    expect(page.get_by_text("IN, article 12, 15 %")).to_be_visible()
    expect(page.get_by_text("15 %: W-8BEN with a treaty claim: the treaty rate")).to_be_visible()
    look_at(page, "tax-interview-w8ben")
