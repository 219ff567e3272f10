"""A member uploads a photo and watches it through; a curator publishes it. In a browser."""

from __future__ import annotations

import io
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from flask import Flask
from PIL import Image

from tests.e2e.navigation import sign_out
from tests.fixtures import media_files
from tests.fixtures.factories import Factory
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.locator("#password").fill(TEST_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]


def test_upload_watch_progress_publish_and_check_the_preview(
    app: Flask, live_server: str, browser_page: object, factory: Factory, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    factory.member("photographer@example.org")
    factory.admin("curator@example.org")
    # Stored turned, with orientation 6 and a GPS position, as phones do; about 2 MB.
    upright = media_files.realistic_image(2400, 1600)
    photo = media_files.make_jpeg(
        tmp_path / "cliffs.jpg",
        image=upright,
        exif_orientation=6,
        gps=True,
        quality=95,
    )

    sign_in(page, live_server, "photographer@example.org")
    page.goto(f"{live_server}/upload")
    # Slow the upload down so that progress is there to be seen.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 20, "downloadThroughput": -1, "uploadThroughput": 600_000},
    )
    page.locator("[data-file-input]").set_input_files(str(photo))
    seen: set[float] = set()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        value = page.locator("[data-progress]").first.evaluate("p => p.value")
        seen.add(float(value))
        if value >= 100:
            break
        time.sleep(0.05)
    assert any(0 < v < 100 for v in seen), f"no progress seen between 0 and 100: {sorted(seen)}"
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    expect(page.locator("[data-status]").first).to_have_text("Draft: describe it", timeout=30_000)
    # The member describes the draft and sends it to the curators.
    page.get_by_role("link", name="Describe it and send it for review").first.click()
    page.locator("input[id^='title-']").first.fill("Sea cliffs at noon")
    page.locator("textarea[id^='keywords-']").first.fill("cliffs, sea, coast")
    page.locator("[data-pick]").first.check()
    page.get_by_role("button", name="Submit selected for review").first.click()
    expect(page.get_by_text("Sent 1 work to the curators for review.")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "curator@example.org")
    page.goto(f"{live_server}/admin/assets/")
    page.locator("a[href$='/admin/assets/1']").first.click()
    page.locator("select#decision").select_option("approve")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("was published")).to_be_visible()

    # Read the public preview's bytes back, as any visitor would get them.
    sign_out(page)
    page.goto(f"{live_server}/assets/1")
    preview_src = page.locator("img[src*='/media/preview']").first.get_attribute("src")
    assert preview_src
    url = f"{live_server}{preview_src}" if preview_src.startswith("/") else preview_src
    with urllib.request.urlopen(url) as response:  # noqa: S310 - our own test server over http
        preview = Image.open(io.BytesIO(response.read()))
    assert preview.width > preview.height, "upright again, as the camera saw it"
    assert not preview.getexif().get_ifd(0x8825), "no GPS position in the preview"
    plain = upright.resize(preview.size).convert("RGB")
    difference = np.abs(
        np.asarray(preview.convert("RGB"), dtype=np.int16) - np.asarray(plain, dtype=np.int16)
    ).sum(axis=2)
    assert (difference > 90).mean() > 0.01, "a visible watermark over the picture"
