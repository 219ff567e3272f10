"""A member proposes, others support it, it goes to a vote, members vote, it closes and the
result shows. In a real browser."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from tests.e2e.navigation import open_account_menu
from tests.e2e.navigation import sign_out as sign_out_of
from tests.fixtures.factories import Factory
from tests.fixtures.governance import end_vote
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e

NAMES = ("ana", "ben", "cy", "dee", "eve")


def test_propose_support_vote_and_see_the_result(
    app: Flask, live_server: str, browser_page: object, factory: Factory, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    chair = factory.admin("chair@example.org")
    for name in NAMES:
        factory.member(f"{name}@example.org", admin=chair)
    # Five artists at 40 %: two supporters put a proposal to a vote.
    app.config["PROPOSAL_SUPPORT_PCT"] = 40

    def sign_in(name: str) -> None:
        page.goto(f"{live_server}/login")
        page.get_by_label("Email").fill(f"{name}@example.org")
        page.locator("#password").fill(TEST_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.locator(".account-menu > summary")).to_be_visible()

    def sign_out() -> None:
        sign_out_of(page)

    sign_in("ana")
    open_account_menu(page).get_by_role("link", name="Governance").click()
    page.get_by_role("link", name="New proposal").click()
    page.get_by_label("Title").fill("Fund a shared video kit")
    page.get_by_label("What do you propose, and why?").fill(
        "Buy a **shared** camera kit for members.\n\n<script>alert('no')</script>"
    )
    page.get_by_role("button", name="Publish for support").click()
    expect(page.get_by_text("Proposal published")).to_be_visible()
    expect(page.locator("article strong", has_text="shared")).to_be_visible()
    expect(page.get_by_text("0 of 2 needed", exact=False)).to_be_visible()
    proposal_url = page.url
    sign_out()

    for supporter in ("ben", "cy"):
        sign_in(supporter)
        page.goto(proposal_url)
        page.get_by_role("button", name="Support this proposal").click()
        expect(page.get_by_text("your support is counted")).to_be_visible()
        sign_out()

    sign_in("ben")
    page.goto(proposal_url)
    page.get_by_role("link", name="Go to the vote").click()
    vote_url = page.url
    for name, choice in (("ben", "Yes"), ("cy", "Yes"), ("dee", "No")):
        if name != "ben":
            sign_in(name)
            page.goto(vote_url)
        page.get_by_label(choice, exact=True).check()
        page.get_by_role("button", name="Cast my vote").click()
        expect(page.get_by_text("Your vote is recorded")).to_be_visible()
        expect(page.get_by_text("Counts stay hidden until the vote closes")).to_be_visible()
        sign_out()

    end_vote(app)

    sign_in("ana")
    page.goto(vote_url)
    expect(page.get_by_role("heading", name="Result: Passed")).to_be_visible()
    expect(page.locator("[data-count=yes]")).to_have_text("2")
    expect(page.locator("[data-count=no]")).to_have_text("1")
    expect(page.get_by_text("3 of 5 members", exact=False)).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(tmp_path / "vote-result-phone.png"), full_page=True)
