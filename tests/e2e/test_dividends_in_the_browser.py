"""An admin drafts a dividend run, a second admin approves and pays it, and a member downloads
their statement. In a browser.

Tasks run inline, so pressing "Pay" settles every allocation before the answer: the member has
no payout account, so their cash is held and the run is only partially paid (its statements
exist); the admin records the cash paid by cheque, and the run is paid. The member consents to
patronage allocations on their consent page.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask import Flask

from marketplace.costs import services as costs
from marketplace.costs.core import Cost
from tests.e2e.looks import look_at
from tests.fixtures.dividends import member_id, refund, sell
from tests.fixtures.factories import Factory
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page: object, base: str, email: str) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))


def test_draft_approve_and_pay_a_run_then_download_the_statement(
    app: Flask, live_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory = Factory()
    drafter = factory.admin("drafter@example.org")
    factory.admin("approver@example.org")
    artist = factory.member("artist@example.org")
    buyer = factory.buyer()
    artist_id = member_id(artist)
    sell(artist_id, buyer.id, 12_000)
    refund(sell(artist_id, buyer.id, 3_000), artist_id)
    today = date.today()
    # Hosting recorded when it was paid: the run's "10.00" below checks the ledger's figure.
    costs.record_cost(drafter, Cost(today, "Hosting", 1_000, "5210", "bank"))
    start = today - timedelta(days=30)

    # The first admin opens a run for the last 30 days; a period ending tomorrow is refused first.
    sign_in(page, live_server, "drafter@example.org")
    page.goto(f"{live_server}/admin/dividends/")
    page.locator("#period_start").fill(start.isoformat())
    page.locator("#period_end").fill((today + timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Draft the run").click()
    expect(page.get_by_role("alert")).to_contain_text("in the future")
    page.locator("#period_start").fill(start.isoformat())
    page.locator("#period_end").fill(today.isoformat())
    # A period ending today needs the books closed now; the page says how a second admin approves.
    page.get_by_label("Close the books now").check()
    expect(page.get_by_text("Another admin approves it.")).to_be_visible()
    look_at(page, "dividend-run-form")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.locator("#operating_costs").fill("10.00")
    page.locator("#operating_costs_note").fill("Hosting")
    page.locator("#reserve_pct").fill("10")
    page.locator("#cash_pct").fill("25")
    page.get_by_role("button", name="Draft the run").click()
    expect(page).to_have_url(re.compile(r".*/admin/dividends/\d+$"))
    run_url = page.url
    run_id = int(run_url.rsplit("/", 1)[1])
    expect(page.locator(".badge").first).to_have_text("Draft")
    look_at(page, "dividend-run-draft")
    page.set_viewport_size({"width": 1280, "height": 900})
    # The drafter cannot approve their own run: no button for them.
    expect(page.get_by_role("button", name="Approve")).to_have_count(0)

    # A second admin, in a browser context of their own, approves and pays.
    browser = page.context.browser
    assert browser is not None
    second = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        approver = second.new_page()
        approver.set_default_timeout(15_000)
        approver.on("dialog", lambda dialog: dialog.accept())
        sign_in(approver, live_server, "approver@example.org")
        approver.goto(run_url)
        approver.get_by_role("button", name="Approve").click()
        expect(approver.locator(".badge").first).to_have_text("Approved")
        approver.get_by_role("button", name="Pay", exact=True).click()
        # Held cash has not been paid: the run is partially paid until it is.
        approver.goto(run_url)
        expect(approver.locator(".badge").first).to_have_text("Partially paid", timeout=30_000)
        expect(approver.locator("#progress")).to_contain_text("Held (no payout account): 1")
        expect(approver.get_by_text("Cash held: not paid yet")).to_be_visible()
        look_at(approver, "dividend-run-cash-held")
        approver.set_viewport_size({"width": 1280, "height": 900})
        approver.get_by_label(re.compile("Payment reference for member")).fill("Cheque 1001")
        approver.get_by_role("button", name="Paid by other means").click()
        expect(approver.locator(".badge").first).to_have_text("Paid")
        expect(approver.get_by_text("by other means: Cheque 1001")).to_be_visible()
        # Nothing failed, so nothing to pay again.
        expect(approver.get_by_role("button", name="Pay failed allocations again")).to_have_count(0)
    finally:
        second.close()

    # The member finds the statement of the period and downloads its PDF.
    member_context = browser.new_context(accept_downloads=True)
    try:
        member = member_context.new_page()
        member.set_default_timeout(15_000)
        sign_in(member, live_server, "artist@example.org")
        member.goto(f"{live_server}/account/dividends/")
        period = f"{start.isoformat()} to {today.isoformat()}"
        member.get_by_role("link", name=re.compile(re.escape(period))).click()
        expect(member).to_have_url(f"{live_server}/account/dividends/{run_id}")
        expect(member.get_by_text("This is a NONQUALIFIED written notice")).to_be_visible()
        expect(member.get_by_text("paid by other means (Cheque 1001)")).to_be_visible()
        look_at(member, "dividend-statement")
        member.set_viewport_size({"width": 1280, "height": 900})
        pdf_link = member.get_by_role("link", name="PDF", exact=True)
        expect(pdf_link).to_be_visible()
        with member.expect_download() as download_info:
            # Served inline: headless Chromium has no PDF viewer, so the browser downloads it.
            pdf_link.click(modifiers=["Alt"])
        download = download_info.value
        saved = tmp_path / (download.suggested_filename or "statement.pdf")
        download.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF")

        # Consent, for the notices issued from now on.
        member.on("dialog", lambda dialog: dialog.accept())
        member.get_by_role("link", name="Read and give your consent").click()
        expect(member.get_by_text("You have not consented yet.")).to_be_visible()
        look_at(member, "patronage-consent")
        member.set_viewport_size({"width": 1280, "height": 900})
        member.get_by_label("I have read the clause above and I consent").check()
        member.get_by_role("button", name="Give my consent").click()
        expect(member.get_by_text("You consented on")).to_be_visible()
    finally:
        member_context.close()
