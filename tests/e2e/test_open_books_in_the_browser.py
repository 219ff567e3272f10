"""Open books on a phone: every chart fits the screen (no sideways scrolling), its text stays
legible, and the same figures are in the tables."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask import Flask

from tests.e2e.looks import look_at
from tests.fixtures.dividends import member_id, refund, sell
from tests.fixtures.factories import Factory

pytestmark = pytest.mark.e2e


def test_open_books_charts_fit_a_phone(
    app: Flask, live_server: str, browser_page: object, factory: Factory
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    artist = member_id(factory.member())
    buyer = factory.buyer()
    today = date.today()
    for days_ago, cents in ((200, 12_000), (120, 48_500), (40, 7_300), (3, 150_000)):
        day = today - timedelta(days=days_ago)
        if day.year == today.year:
            sell(artist, buyer.id, cents, on=day)
    refund(sell(artist, buyer.id, 2_000), artist)

    page.goto(f"{live_server}/open-books")
    expect(page.locator("svg.chart")).to_have_count(5)
    look_at(page, "open-books")  # leaves the page at the phone width
    viewport = 390
    too_wide = page.evaluate(
        """(w) => [...document.querySelectorAll('body *')]
               .filter(e => e.getBoundingClientRect().right > w + 1)
               .slice(0, 5).map(e => e.tagName + '.' + e.className)""",
        viewport,
    )
    assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport, too_wide
    for box in (page.locator("svg.chart").nth(i).bounding_box() for i in range(5)):
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= viewport
    # Month labels and axis values are read at 10 px or more on the phone.
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('svg.chart text')]
               .map(t => t.getBoundingClientRect().height).filter(h => h > 0))"""
    )
    assert smallest >= 10, f"chart text {smallest:.1f} px tall on a phone"
    expect(
        page.get_by_role("img", name="Sales and royalties by month", exact=False)
    ).to_be_visible()
