"""Signing in and out through the header, as a person does: the account menu holds Sign out."""

from __future__ import annotations

import re
from typing import Any

from tests.fixtures.web import TEST_PASSWORD


def sign_in(page: Any, base: str, email: str, next_path: str = "/account") -> None:
    """Sign in on the login page, land on ``next_path`` and wait for the signed-in header."""
    from playwright.sync_api import expect

    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))
    expect(page.locator(".account-menu > summary")).to_be_visible()


def open_account_menu(page: Any) -> Any:
    """Open the header's account menu (when closed) and return its panel."""
    menu = page.locator("details.account-menu")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    return menu.locator(".menu__panel")


def sign_out(page: Any) -> None:
    open_account_menu(page).get_by_role("button", name="Sign out").click()
