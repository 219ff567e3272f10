"""An admin finds a member's account in the journal by name, filters on it and sees the entry.
In a browser, at desktop and phone widths."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask

from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.ledger import services
from marketplace.ledger.core import ROYALTIES_PAYABLE, SaleItem
from tests.e2e.looks import look_at
from tests.e2e.test_dividends_in_the_browser import sign_in
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e


def test_an_admin_finds_a_members_account_and_filters_the_journal(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory = Factory()
    artist = factory.member("grace@example.org")
    artist.display_name = "Grace Hopper"
    db.session.commit()
    assert artist.member is not None
    with unit_of_work() as session:
        services.post_sale(
            session,
            idempotency_key=f"sale:e2e_{uuid.uuid4().hex}",
            order_id=4242,
            currency="USD",
            items=[SaleItem(1, artist.member.id, 2250, 5000)],
            fee_cents=175,
        )
    factory.admin("keeper@example.org")
    sign_in(page, live_server, "keeper@example.org")

    page.goto(f"{live_server}/admin/ledger/journal")
    account = page.get_by_label("Account", exact=True)
    expect(account.locator("option", has_text="Grace Hopper")).to_have_count(0)
    page.get_by_label("Find a member’s accounts").fill("hopper")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("status").first).to_contain_text("matching “hopper”")
    royalties = services.find_account(db.session(), ROYALTIES_PAYABLE, artist.member.id)
    assert royalties is not None
    expect(account.locator(f'option[value="{royalties.id}"]')).to_contain_text("Grace Hopper")
    account.select_option(value=str(royalties.id))
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("tbody").first).to_contain_text("Order 4242 paid")
    look_at(page, "ledger-journal-member-account")
