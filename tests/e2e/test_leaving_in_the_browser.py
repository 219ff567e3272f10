"""A member reads what leaving does and resigns; an admin sees who left and who owes the co-op,
and writes a debt off after a second look at the figures. In a browser."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.ledger import debts
from marketplace.ledger import services as ledger
from tests.e2e.looks import look_at
from tests.e2e.test_dividends_in_the_browser import sign_in
from tests.fixtures.dividends import member_id
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e


def test_resign_then_an_admin_writes_a_debt_off(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory = Factory()
    factory.admin("leaving-admin@example.org")
    artist = factory.member("leaver@example.org")
    m = member_id(artist)
    with unit_of_work() as session:
        ledger.post(session, debts.clawback_entry("e2e-debt", "USD", m, 2_500, "Clawed back"))

    sign_in(page, live_server, "leaver@example.org")
    page.goto(f"{live_server}/account/membership/leave")
    expect(page.get_by_role("heading", name="Leave the co-op")).to_be_visible()
    look_at(page, "leaving-resign")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("I want to leave the co-op").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Resign").click()
    expect(page).to_have_url(re.compile(r".*/account/earnings$"))
    expect(page.get_by_text("You left the co-op on")).to_be_visible()
    expect(page.get_by_text("You owe the co-op", exact=True)).to_be_visible()
    look_at(page, "leaving-earnings-after")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.context.clear_cookies()

    sign_in(page, live_server, "leaving-admin@example.org")
    page.goto(f"{live_server}/admin/members-leaving")
    expect(page.get_by_role("cell", name="$25.00")).to_be_visible()
    look_at(page, "leaving-admin")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name="Write off…").click()
    page.get_by_label("Amount to write off (cents)").fill("2500")
    page.get_by_label("Reason").fill("The member cannot be reached any more")
    page.get_by_role("button", name="Review the write-off").click()
    expect(page.get_by_role("heading", name="Confirm the write-off")).to_be_visible()
    look_at(page, "leaving-write-off-confirm")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("button", name="Write off $25.00").click()
    expect(page.get_by_text("Nobody owes the co-op")).to_be_visible()
