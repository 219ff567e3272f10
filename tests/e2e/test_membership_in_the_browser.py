"""A newcomer signs up and applies; an admin approves them. In a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.navigation import open_account_menu, sign_out
from tests.fixtures.factories import STATEMENT, Factory, jpeg_bytes
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def test_sign_up_apply_and_be_approved(
    live_server: str, browser_page: object, factory: Factory, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.admin("curator@example.org")
    sample = tmp_path / "lighthouse.jpg"
    sample.write_bytes(jpeg_bytes(320, 200))

    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Sign up").first.click()
    page.get_by_label("Your name").fill("Noor Newcomer")
    page.get_by_label("Email").fill("noor@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_label("Repeat password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("Your account is ready")).to_be_visible()

    open_account_menu(page).get_by_role("link", name="Become a member").click()
    page.get_by_label("Artist statement").fill(STATEMENT)
    page.get_by_label("Portfolio link").fill("https://example.org/noor")
    page.get_by_label("Sample images").set_input_files(str(sample))
    page.get_by_role("button", name="Send application").click()
    expect(
        page.get_by_text("Thank you! Your application is with the membership team")
    ).to_be_visible()
    expect(page.locator("img[src*='/samples/']")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "application.png"))

    sign_out(page)
    page.get_by_role("link", name="Sign in").first.click()
    page.get_by_label("Email").fill("curator@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server}/admin/applications")
    page.get_by_role("link", name="Review the application of Noor Newcomer").click()
    expect(page.get_by_text(STATEMENT)).to_be_visible()
    page.locator("select#decision").select_option("approve")
    page.locator("select#member_class").select_option("artists")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("was approved")).to_be_visible()

    page.goto(f"{live_server}/members")
    expect(page.get_by_text("Noor Newcomer")).to_be_visible()
