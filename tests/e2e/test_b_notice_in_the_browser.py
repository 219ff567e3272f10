"""An admin records an IRS B notice for a member's W-9 on the Taxes page, reads that the member
is backup withheld since then, and clears it once the member's certification came. Desktop and
phone, checked by axe-core, without sideways scrolling. In a browser."""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask

from marketplace.extensions import db
from marketplace.taxes import interview
from marketplace.taxes.models import TaxProfile
from tests.e2e.looks import SCREENS, look_at
from tests.e2e.navigation import sign_in
from tests.fixtures.factories import Factory
from tests.integration.test_tax_profile import pay_royalties

pytestmark = pytest.mark.e2e


def test_an_admin_records_and_clears_a_b_notice(
    app: Flask, live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    app.config["WITHHOLDING_ENABLED"] = True
    page: Page = browser_page  # type: ignore[assignment]
    member = Factory().member("ada@example.org")
    admin = Factory().admin("admin-taxes@example.org")
    profile = interview.save_interview(
        member, interview.InterviewInput("w9", "Ada Artist", "123-45-6789", "ssn")
    )
    assert member.member is not None
    pay_royalties(member.member.id, 5_000, "payout-line:b-notice-e2e")
    year = date.today().year
    sign_in(page, live_server, admin.email, f"/admin/taxes/?year={year}")
    page.goto(f"{live_server}/admin/taxes/?year={year}")
    page.locator(".table-wrap").evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")
    page.locator(".table-wrap").screenshot(path=str(SCREENS / "admin-taxes-b-notice-form.png"))
    page.get_by_label("Date the B notice was received").fill(date.today().isoformat())
    page.get_by_role("button", name="Record a B notice").click()
    expect(
        page.get_by_text("B notice recorded: the member's payments are backup withheld.")
    ).to_be_visible()
    expect(page.get_by_text(f"Backup withheld since {date.today().isoformat()}")).to_be_visible()
    look_at(page, "admin-taxes-b-notice")
    # The table scrolls within its frame: its last column, the notice, at the phone's width.
    page.locator(".table-wrap").evaluate("wrap => { wrap.scrollLeft = wrap.scrollWidth; }")
    page.locator(".table-wrap").screenshot(path=str(SCREENS / "admin-taxes-b-notice-cell.png"))
    expect(page.get_by_role("button", name="Clear (new certification)")).to_be_in_viewport()
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    stored = db.session.get(TaxProfile, profile.id)
    assert stored is not None
    db.session.refresh(stored)
    assert stored.b_notice_on == date.today()

    page.get_by_role("button", name="Clear (new certification)").click()
    expect(
        page.get_by_text("B notice cleared: nothing more is backup withheld for it.")
    ).to_be_visible()
    db.session.refresh(stored)
    assert stored.b_notice_on is None
