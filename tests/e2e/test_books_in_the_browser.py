"""An admin records an operating cost, reverses a mistaken one with a reason (after saying yes
to the confirmation), and imports a bank statement on the reconciliation page. In a browser."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from tests.e2e.looks import look_at
from tests.e2e.test_dividends_in_the_browser import sign_in
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e


def test_record_and_reverse_a_cost_then_import_a_bank_statement(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    Factory().admin("books@example.org")
    sign_in(page, live_server, "books@example.org")

    page.goto(f"{live_server}/admin/costs/")
    page.locator("#description").fill("Web hosting, March")
    page.locator("#amount").fill("120.00")
    page.locator("#expense_code").select_option("5210")
    page.get_by_role("button", name="Record the cost").click()
    expect(
        page.get_by_text("Cost 1 recorded: $120.00 to 5210 Hosting and software")
    ).to_be_visible()
    page.locator("#description").fill("Accountant's review")
    page.locator("#amount").fill("300.00")
    page.locator("#expense_code").select_option("5220")
    page.get_by_label("Accrued (owed to the supplier)").check()
    page.get_by_role("button", name="Record the cost").click()
    expect(page.get_by_text(f"dated {date.today().isoformat()}")).to_be_visible()
    look_at(page, "costs-recorded")

    page.once("dialog", lambda dialog: dialog.accept())
    row = page.get_by_role("row", name="Web hosting, March")
    row.get_by_text("Reverse…").click()
    row.get_by_label("Why").fill("Billed twice")
    row.get_by_role("button", name="Reverse the cost").click()
    expect(page.get_by_text("Reversed: Billed twice")).to_be_visible()
    look_at(page, "costs-reversed")

    page.goto(f"{live_server}/admin/bank-reconciliation/")
    page.locator("#lines").fill("date,amount,description\n2026-03-06,-19.99,Card machine rental\n")
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("1 statement lines imported")).to_be_visible()
    expect(page.get_by_role("row", name="Card machine rental")).to_be_visible()
    look_at(page, "bank-reconciliation")
