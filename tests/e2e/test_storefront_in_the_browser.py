"""The storefront in a browser at desktop and phone widths: searching from the home page (recent
and popular searches), justified results with filters (side panel, phone sheet), quick-save to a
lightbox without leaving the page, the empty state, and "did you mean" running its search."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image, ImageDraw

from marketplace.assets.models import Asset
from marketplace.catalogue.vocabulary import refresh_vocabulary
from marketplace.database import unit_of_work
from marketplace.storage import get_storage
from tests.e2e.looks import look_at
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e

# Title, keywords, original size, and the colours of a drawn scene (sky, land, sun).
WORKS = [
    ("Harbour at dawn", "harbour, boats, sea", (6000, 4000), ("#f4b982", "#23415a", "#ffe9b0")),
    (
        "Lighthouse in the fog",
        "harbour, lighthouse, sea",
        (2000, 3000),
        ("#c9d3da", "#4d5b66", "#ffffff"),
    ),
    ("Fishing boats at rest", "harbour, boats", (4000, 3000), ("#8fc3e8", "#2b5d7d", "#fff3c4")),
    (
        "Harbour wall panorama",
        "harbour, sea, panorama",
        (9000, 3000),
        ("#f7d08a", "#1d3b52", "#ffd27a"),
    ),
    ("Net mender", "harbour, people, portrait", (2400, 3600), ("#d8c3a5", "#5a4634", "#f5e6c8")),
    ("Quay at night", "harbour, night, city", (3000, 2000), ("#0f1b33", "#27324a", "#ffd86b")),
    ("Gulls over the pier", "sea, birds", (3000, 3000), ("#a9d4f5", "#3f6e8c", "#ffffff")),
    ("Mountain lake", "mountain, lake", (5000, 3333), ("#9cc9e6", "#2f5d3a", "#fff6d6")),
    ("Ropes and buoys", "harbour, boats, detail", (3000, 4500), ("#e9e1cf", "#b8462e", "#fdf7e8")),
    ("Storm over the bay", "sea, storm", (6000, 3375), ("#5d6770", "#1e2b33", "#d7dde2")),
]


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _scene(size: tuple[int, int], colours: tuple[str, str, str]) -> Image.Image:
    """A drawn landscape at the thumbnail's size (400 px long edge): sky, sun, two hills."""
    scale = 400 / max(size)
    width, height = round(size[0] * scale), round(size[1] * scale)
    sky, land, sun = (_hex(c) for c in colours)
    image = Image.new("RGB", (width, height), sky)
    draw = ImageDraw.Draw(image)
    for y in range(height):  # the sky lightens towards the horizon
        mix = y / height
        draw.line([(0, y), (width, y)], fill=tuple(round(c + (255 - c) * mix * 0.35) for c in sky))
    draw.ellipse(
        [width * 0.62, height * 0.18, width * 0.62 + height * 0.16, height * 0.34], fill=sun
    )
    draw.polygon(
        [
            (0, height * 0.7),
            (width * 0.45, height * 0.5),
            (width, height * 0.75),
            (width, height),
            (0, height),
        ],
        fill=land,
    )
    darker = tuple(round(c * 0.7) for c in land)
    draw.polygon(
        [
            (0, height * 0.85),
            (width * 0.7, height * 0.68),
            (width, height * 0.9),
            (width, height),
            (0, height),
        ],
        fill=darker,
    )
    return image


def stock_catalogue() -> dict[str, int]:
    """The works above, for sale, each with a thumbnail the browser can show."""
    catalogue = Catalogue()
    ids = {}
    with tempfile.TemporaryDirectory() as folder:
        for title, keywords, size, colours in WORKS:
            asset_id = catalogue.add(
                title, keywords, size=size, colours=[colours[0]], people="people" in keywords
            )
            path = Path(folder) / f"{asset_id}.jpg"
            _scene(size, colours).save(path, "JPEG", quality=85)
            key = f"thumbnails/storefront-{asset_id}.jpg"
            get_storage().save_file(key, path, "image/jpeg")
            with unit_of_work() as session:
                session.execute(
                    sa.update(Asset).where(Asset.id == asset_id).values(thumbnail_key=key)
                )
            ids[title] = asset_id
    refresh_vocabulary()
    return ids


def sign_in(page: Any, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("Email").fill(email)
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def row_heights(page: Any) -> dict[int, set[int]]:
    """The rendered height of the tiles' pictures, by the row (top edge) they are in."""
    boxes = page.eval_on_selector_all(
        ".jgrid .jtile__link",
        "links => links.map(l => l.getBoundingClientRect())"
        ".map(r => [Math.round(r.top), Math.round(r.height)])",
    )
    rows: dict[int, set[int]] = {}
    for top, height in boxes:
        rows.setdefault(top, set()).add(height)
    return rows


def test_search_from_home_with_recent_and_popular_searches(
    live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    stock_catalogue()
    page.goto(f"{live_server}/")
    popular = page.get_by_role("list", name="Popular")
    expect(popular.get_by_role("link", name="harbour")).to_be_visible()
    expect(page.locator("[data-recent-searches]")).to_be_hidden()

    page.get_by_role("searchbox", name="Search photos and videos").fill("boats")
    page.get_by_role("searchbox", name="Search photos and videos").press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q=boats$"))
    expect(page.get_by_text("3 results")).to_be_visible()

    page.goto(f"{live_server}/")
    recent = page.get_by_role("list", name="Your recent searches")
    expect(recent.get_by_role("link", name="boats")).to_be_visible()
    shots = look_at(page, "storefront-home")
    assert all(shot.stat().st_size > 0 for shot in shots)
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("button", name="Clear your recent searches").click()
    expect(page.locator("[data-recent-searches]")).to_be_hidden()


def test_justified_results_with_filters_on_desktop_and_phone(
    live_server: str, browser_page: object
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    stock_catalogue()
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/search?q=harbour")
    expect(page.get_by_text("7 results")).to_be_visible()
    page.wait_for_load_state("networkidle")
    rows = row_heights(page)
    assert len(rows) >= 2
    # Every tile of a full row is the same height; the pictures keep their shape (no squares).
    assert all(max(heights) - min(heights) <= 1 for heights in rows.values()), rows
    shapes = page.eval_on_selector_all(
        ".jgrid .jtile__img", "imgs => imgs.map(i => i.naturalWidth / i.naturalHeight)"
    )
    boxes = page.eval_on_selector_all(
        ".jgrid .jtile__link", "ls => ls.map(l => l.clientWidth / l.clientHeight)"
    )
    assert all(abs(shape - box) / shape < 0.04 for shape, box in zip(shapes, boxes, strict=True))

    # Desktop: the side panel applies a choice at once, and the address keeps it.
    panel = page.get_by_role("complementary", name="Filters")
    expect(panel).to_be_visible()
    panel.get_by_label("Portrait", exact=True).check()
    expect(page).to_have_url(re.compile(r"q=harbour.*orientation=portrait"))
    expect(page.get_by_text("3 results")).to_be_visible()
    look_at(page, "storefront-results", widths=("desktop",))

    # Phone: the panel is a sheet behind "Filters (1)".
    page.set_viewport_size({"width": 390, "height": 844})
    expect(panel).to_be_hidden()
    page.get_by_role("button", name="Filters (1)").click()
    sheet = page.get_by_role("dialog", name="Filters")
    expect(sheet).to_be_visible()
    sheet.get_by_label("With people").check()
    look_at(page, "storefront-filters-sheet", widths=("phone",))
    sheet.get_by_role("button", name="Show results").click()
    expect(page).to_have_url(
        re.compile(r"orientation=portrait.*people=yes|people=yes.*orientation=portrait")
    )
    expect(page.get_by_text("1 result")).to_be_visible()
    expect(page.get_by_role("button", name="Filters (2)")).to_be_visible()
    look_at(page, "storefront-results-filtered", widths=("phone",))
    page.goto(f"{live_server}/search?q=harbour")
    # No hover on a phone: each tile's actions and price are in view, ready for a tap.
    first = page.locator(".jtile").first
    expect(first.locator(".jtile__actions")).to_have_css("opacity", "1")
    expect(first.locator(".jtile__price")).to_have_text("from $15.00")
    look_at(page, "storefront-results-phone", widths=("phone",))
    # On a desktop they appear on hover.
    page.set_viewport_size({"width": 1366, "height": 900})
    expect(first.locator(".jtile__actions")).to_have_css("opacity", "0")
    first.hover()
    expect(first.locator(".jtile__actions")).to_have_css("opacity", "1")


def test_quick_save_to_a_lightbox_without_leaving_the_results(
    live_server: str, browser_page: object, factory: Factory
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    ids = stock_catalogue()
    factory.buyer("buyer@example.org")
    sign_in(page, live_server, "buyer@example.org")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"{live_server}/search?q=harbour")
    results_url = page.url

    tile = page.locator(".jtile", has=page.get_by_role("link", name="Harbour at dawn"))
    tile.hover()
    expect(tile.get_by_text("from $15.00")).to_be_visible()
    tile.get_by_role("button", name="Save “Harbour at dawn” to a lightbox").click()
    picker = page.get_by_role("dialog", name="Save to a lightbox")
    expect(picker.get_by_text("You have no lightboxes yet")).to_be_visible()
    picker.get_by_label("New lightbox").fill("Seaside campaign")
    picker.get_by_role("button", name="Create and save").click()
    expect(picker.get_by_role("status")).to_have_text("Saved to “Seaside campaign”.")
    expect(tile.get_by_role("button", name="Saved “Harbour at dawn” to a lightbox")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")  # the sticky header then sits at the top of the shot
    look_at(page, "storefront-quick-save", widths=("desktop",))
    picker.get_by_role("button", name="Close").click()
    assert page.url == results_url

    other = page.locator(".jtile", has=page.get_by_role("link", name="Fishing boats at rest"))
    other.hover()
    other.get_by_role("button", name="Save “Fishing boats at rest” to a lightbox").click()
    picker.get_by_role("button", name=re.compile("Seaside campaign")).click()
    expect(picker.get_by_role("status")).to_have_text("Saved to “Seaside campaign”.")
    assert page.url == results_url

    picker.get_by_role("button", name="Close").click()

    # On a phone the Save button is in view without hover, and the picker is a bottom sheet.
    page.set_viewport_size({"width": 390, "height": 844})
    night = page.locator(".jtile", has=page.get_by_role("link", name="Quay at night"))
    night.get_by_role("button", name="Save “Quay at night” to a lightbox").click()
    expect(picker).to_be_visible()
    sheet = picker.bounding_box()
    assert sheet is not None
    assert round(sheet["y"] + sheet["height"]) == 844
    picker.get_by_role("button", name=re.compile("Seaside campaign")).click()
    expect(picker.get_by_role("status")).to_have_text("Saved to “Seaside campaign”.")
    look_at(page, "storefront-quick-save-phone", widths=("phone",))
    assert page.url == results_url

    page.goto(f"{live_server}/lightboxes")
    page.get_by_role("link", name="Seaside campaign").first.click()
    expect(page.get_by_text("Harbour at dawn").first).to_be_visible()
    expect(page.get_by_text("Fishing boats at rest").first).to_be_visible()
    expect(page.get_by_text("Quay at night").first).to_be_visible()
    assert ids


def test_the_empty_state_and_did_you_mean(live_server: str, browser_page: object) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    stock_catalogue()
    page.goto(f"{live_server}/search?q=mountain&orientation=portrait&kind=photo")
    expect(page.get_by_role("heading", name="No portrait photos match “mountain”")).to_be_visible()
    expect(page.get_by_text("The catalogue is empty")).to_have_count(0)
    look_at(page, "storefront-empty")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("list", name="Remove a filter").get_by_role(
        "link", name=re.compile("Portrait")
    ).click()
    expect(page).to_have_url(re.compile(r"/search\?q=mountain&kind=photo$"))
    expect(page.get_by_role("link", name="Mountain lake", exact=True)).to_be_visible()

    # A misspelling runs the corrected search, and offers the words as typed.
    page.goto(f"{live_server}/search?q=harbuor")
    expect(page.get_by_text("Showing results for harbour.")).to_be_visible()
    expect(page.get_by_text("7 results")).to_be_visible()
    look_at(page, "storefront-did-you-mean")
    page.get_by_role("link", name="harbuor").click()
    expect(page.get_by_role("heading", name="No photos or videos match “harbuor”")).to_be_visible()
