"""A buyer licenses a photo, pays with the emulator's test card and downloads the size bought.

The Stripe emulator itself confirms the payment: it POSTs its signed ``payment_intent`` events
to the live server's webhook, and tasks run inline, so the order is paid when that request ends.
"""

from __future__ import annotations

import hashlib
import io
import re
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.licensing.models import Licence
from marketplace.storage import get_storage
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.deliveries import exiftool_tags, image_data
from tests.fixtures.factories import Factory
from tests.fixtures.media_files import make_jpeg
from tests.fixtures.payments import GOOD_CARD
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e


def _photo_with_original(title: str, original: bytes, size: tuple[int, int]) -> int:
    """A member's published photo whose original (``original``) is in the app's storage."""
    asset_id = Catalogue().add(title, "harbour, boats", size=size)
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        get_storage().save_stream(asset.original_key, io.BytesIO(original), len(original))
        asset.original_mime = "image/jpeg"
        asset.original_size_bytes = len(original)
        asset.original_sha256 = hashlib.sha256(original).hexdigest()
    return asset_id


def _buy_and_download(page: Any, live: str, asset_id: int, size: str, saved_in: Path) -> Path:
    """Choose ``size`` on the photo's page, pay with the test card, download from the order."""
    from playwright.sync_api import expect

    page.goto(f"{live}/assets/{asset_id}-harbour-at-dawn")
    page.locator("input[name=licence][value=standard]").check()
    page.locator(f"input[name=size][value={size}]").check()
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(f"{live}/cart")
    expect(page.get_by_text("Harbour at dawn").first).to_be_visible()

    # Check out, then pay by card: the number goes to the emulator, never to the app.
    # The billing place the checkout requires; no tax in Oregon.
    page.locator("#billing-country").select_option("US")
    page.locator("#billing-region").fill("OR")
    page.get_by_role("button", name="Check out").click()
    expect(page).to_have_url(re.compile(r".*/orders/\d+/pay$"))
    order_url = page.url.removesuffix("/pay")
    page.locator('[data-card-field="number"]').fill(GOOD_CARD)
    page.locator('[data-card-field="expiry"]').fill("12 / 34")
    page.locator('[data-card-field="cvc"]').fill("123")
    pay = page.locator("[data-pay-button]")
    expect(pay).to_be_enabled()
    pay.click()

    # The page polls until the emulator's webhook has marked the order paid, then opens it.
    expect(page).to_have_url(order_url, timeout=30_000)
    summary = page.get_by_label("Order summary")
    expect(summary.locator(".badge")).to_have_text("Paid")
    download_link = page.get_by_role("link", name=re.compile(rf"^Download size {size}"))
    expect(download_link).to_be_visible()

    # The first download of a size may show "Preparing your file…", which reloads itself
    # until the file is ready and the download starts.
    with page.expect_download(timeout=60_000) as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == f"coop-stock-{asset_id}-{size.lower()}.jpg"
    saved = saved_in / download.suggested_filename
    download.save_as(saved)
    page.goto(order_url)
    return saved


def test_buy_a_photo_with_the_test_card_and_download_the_size_licensed(
    shop_live_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    live = shop_live_server
    # Larger than M, with GPS, serials and an owner's comment in its metadata.
    original = make_jpeg(
        tmp_path / "camera.jpg", 4200, 2800, gps=True, artist="Ada Lens",
        copyright="© 2024 Ada Lens", quality=85,
    ).read_bytes()  # fmt: skip
    asset_id = _photo_with_original("Harbour at dawn", original, (4200, 2800))
    Factory().buyer("buyer@example.org")

    page.goto(f"{live}/login")
    page.get_by_label("Email").fill("buyer@example.org")
    page.locator("#password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r".*/login"))

    for size, pixels in (("M", (2000, 1333)), ("L", (4200, 2800))):
        saved = _buy_and_download(page, live, asset_id, size, tmp_path)
        with Image.open(saved) as im:
            assert im.size == pixels
        tags = exiftool_tags(saved)
        assert (tags["File:ImageWidth"], tags["File:ImageHeight"]) == pixels
        assert not [name for name in tags if "GPS" in name or "Serial" in name]
        assert tags["IFD0:Artist"] == "Ada Lens"
        assert tags["XMP-dc:Creator"] == "Ada Lens"
        licence = db.session.execute(
            sa.select(Licence).where(Licence.asset_id == asset_id, Licence.size == size)
        ).scalar_one()
        assert str(tags["XMP-plus:LicenseID"]) == licence.number
        assert tags["XMP-xmpRights:WebStatement"].endswith(
            f"/licences/verify/{licence.verification_code}"
        )
        delivered = saved.read_bytes()
        if size == "L":  # the largest size on sale: the original's image data, byte for byte
            assert image_data(delivered) == image_data(original)
        else:
            assert image_data(delivered) != image_data(original)

    # The certificate is a PDF.
    certificate = page.get_by_role("link", name=re.compile(r"^Certificate \(PDF\)"))
    certificate_href = certificate.get_attribute("href")
    assert certificate_href
    response = page.request.get(f"{live}{certificate_href}")
    assert response.ok
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF")

    # Anyone with the code can check that the licence is genuine and valid.
    page.get_by_role("link", name=re.compile(r"^Verify")).click()
    expect(page).to_have_url(re.compile(r".*/licences/verify/.+"))
    expect(page.get_by_text("Genuine and valid.")).to_be_visible()
    expect(page.get_by_text("Harbour at dawn (asset")).to_be_visible()
