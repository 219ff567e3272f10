"""The header's language switcher in a browser: a visitor on a page cached for everyone (no CSRF
token on it) and on any other page picks a language and comes back to the same address in it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def choose(page: object, language_name: str) -> None:
    page.click(".language-menu summary")  # type: ignore[attr-defined]
    page.click(f".language-menu button:has-text('{language_name}')")  # type: ignore[attr-defined]
    page.wait_for_load_state("load")  # type: ignore[attr-defined]


def test_a_visitor_switches_to_french_and_back(live_server: str, browser_page: object) -> None:
    page = browser_page
    page.goto(f"{live_server}/?sort=newest")  # type: ignore[attr-defined]
    assert page.get_attribute("html", "lang") == "en"  # type: ignore[attr-defined]

    # The home page is shared by every visitor: its switcher goes through /language and back.
    choose(page, "Français")
    page.wait_for_url(f"{live_server}/?sort=newest")  # type: ignore[attr-defined]
    assert page.get_attribute("html", "lang") == "fr"  # type: ignore[attr-defined]
    assert page.is_visible("text=Rejoindre la coopérative")  # type: ignore[attr-defined]

    page.goto(f"{live_server}/about")  # type: ignore[attr-defined]
    assert page.get_attribute("html", "lang") == "fr"  # type: ignore[attr-defined]
    assert page.is_visible("h1:has-text('Comment fonctionne la coopérative')")  # type: ignore[attr-defined]

    # Any other page posts the choice straight away, with its token.
    choose(page, "English")
    page.wait_for_url(f"{live_server}/about")  # type: ignore[attr-defined]
    assert page.get_attribute("html", "lang") == "en"  # type: ignore[attr-defined]
    assert page.is_visible("h1:has-text('How the co-op works')")  # type: ignore[attr-defined]
