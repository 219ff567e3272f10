"""The header and the admin navigation as people see them, at a desktop and a phone width.

A signed-in person sees a one-row header (search, Explore, cart, an account menu holding their
pages); the message after signing in is on screen, not under the home page's banner; admins get a
grouped sidebar that folds into one "Admin menu" on a phone.
"""

from __future__ import annotations

import pytest
from flask import Flask

from tests.e2e.looks import look_at
from tests.e2e.navigation import open_account_menu, sign_in
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e

# One row of header: the 4rem bar plus its border, with room for rounding; two rows would be ~130.
ONE_ROW_PX = 80


def header_height(page: object) -> float:
    return float(
        page.evaluate("() => document.querySelector('.site-header').getBoundingClientRect().height")
    )  # type: ignore[attr-defined]


def in_viewport(page: object, selector: str) -> bool:
    """The element's box lies inside the window and is the topmost thing at its centre."""
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            """(sel) => {
                const el = document.querySelector(sel);
                if (!el) return false;
                const r = el.getBoundingClientRect();
                if (r.width === 0 || r.top < 0 || r.bottom > window.innerHeight) return false;
                const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
                return el.contains(top);
            }""",
            selector,
        )
    )


@pytest.mark.parametrize("width", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_message_after_signing_in_is_on_screen_above_the_home_page_banner(
    app: Flask, live_server: str, browser_page: object, factory: Factory, width: tuple[int, int]
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.member("ana@example.org")
    page.set_viewport_size({"width": width[0], "height": width[1]})
    sign_in(page, live_server, "ana@example.org", next_path="/")
    expect(page).to_have_url(f"{live_server}/")
    flash = page.get_by_role("status").filter(has_text="Signed in as")
    expect(flash).to_be_visible()
    assert in_viewport(page, ".flashes .flash"), "the sign-in message is covered or off screen"
    look_at(page, "home-signed-in", widths=("desktop",) if width[0] > 400 else ("phone",))
    # Dismissed, it is gone.
    flash.get_by_role("button", name="Dismiss message").click()
    expect(page.locator(".flashes")).to_have_count(0)


def test_a_member_finds_their_pages_in_the_account_menu_and_the_header_is_one_row(
    app: Flask, live_server: str, browser_page: object, factory: Factory
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.member("kofi@example.org")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "kofi@example.org")
    page.goto(f"{live_server}/account/orders")
    assert header_height(page) < ONE_ROW_PX
    header = page.locator(".site-header")
    expect(header.get_by_role("search")).to_be_visible()
    expect(header.get_by_role("link", name="Explore")).to_be_visible()
    expect(header.get_by_role("link", name="Cart")).to_be_visible()
    expect(header.get_by_text("Become a member")).to_have_count(0)
    # The person's pages are behind the menu until it is opened.
    expect(header.get_by_role("link", name="Earnings")).to_be_hidden()
    panel = open_account_menu(page)
    for name in ("Portfolio", "Earnings", "Orders", "Licences", "Lightboxes", "Governance"):
        expect(panel.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(panel.get_by_role("link", name="Orders", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(panel.get_by_role("button", name="Sign out")).to_be_visible()
    expect(panel.get_by_role("link", name="Become a member")).to_have_count(0)
    look_at(page, "member-account-menu", widths=("desktop",))
    # Escape closes it; the page is usable again.
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    # So does a click anywhere else on the page.
    open_account_menu(page)
    page.locator("main h1").click()
    expect(panel).to_be_hidden()

    # A phone: a one-row header whose menu button opens the same pages and a search field.
    page.set_viewport_size({"width": 390, "height": 844})
    assert header_height(page) < ONE_ROW_PX
    expect(header.get_by_role("search")).to_be_hidden()
    panel = open_account_menu(page)
    expect(panel.get_by_role("search")).to_be_visible()
    expect(panel.get_by_role("link", name="Earnings")).to_be_visible()
    look_at(page, "member-account-menu", widths=("phone",))
    panel.get_by_role("link", name="Earnings").click()
    expect(page).to_have_url(f"{live_server}/account/earnings")


def test_a_buyer_may_become_a_member_and_an_admin_is_never_asked(
    app: Flask, live_server: str, browser_page: object, factory: Factory
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.buyer("bea@example.org")
    factory.admin("root@example.org")
    sign_in(page, live_server, "bea@example.org")
    expect(open_account_menu(page).get_by_role("link", name="Become a member")).to_be_visible()
    page.context.clear_cookies()
    sign_in(page, live_server, "root@example.org")
    panel = open_account_menu(page)
    expect(panel.get_by_role("link", name="Admin", exact=True)).to_be_visible()
    expect(page.get_by_text("Become a member")).to_have_count(0)


def test_admin_pages_have_a_grouped_sidebar_and_one_admin_menu_on_a_phone(
    app: Flask, live_server: str, browser_page: object, factory: Factory
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.admin("root@example.org")
    page.set_viewport_size({"width": 1366, "height": 900})
    sign_in(page, live_server, "root@example.org")
    page.goto(f"{live_server}/admin/")
    assert header_height(page) < ONE_ROW_PX
    sidebar = page.locator(".admin-nav--sidebar")
    expect(sidebar).to_be_visible()
    for heading in ("People", "Catalogue", "Money", "Governance"):
        expect(sidebar.get_by_text(heading, exact=True)).to_be_visible()
    expect(sidebar.get_by_role("link", name="Overview")).to_have_attribute("aria-current", "page")
    # The sidebar sits beside the page, not above it.
    side = sidebar.bounding_box()
    title = page.locator("main h1").bounding_box()
    assert side is not None
    assert title is not None
    assert title["x"] >= side["x"] + side["width"]
    look_at(page, "admin-dashboard", widths=("desktop",))

    page.set_viewport_size({"width": 390, "height": 844})
    expect(sidebar).to_be_hidden()
    summary = page.get_by_text("Admin menu", exact=True)
    expect(summary).to_be_visible()
    # Folded, the admin links take one row; the page's own content is on the first screen.
    expect(page.get_by_role("link", name="Stripe events")).to_be_hidden()
    menu_box = summary.bounding_box()
    assert menu_box is not None
    assert menu_box["y"] + menu_box["height"] < 844 / 2
    look_at(page, "admin-dashboard", widths=("phone",))
    summary.click()
    look_at(page, "admin-menu-open", widths=("phone",))
    page.get_by_role("link", name="Dividends").click()
    expect(page).to_have_url(f"{live_server}/admin/dividends/")
    # Folded again on the new page, with the page it is on marked inside.
    expect(page.locator(".admin-nav--disclosure a[aria-current='page']")).to_have_text("Dividends")
