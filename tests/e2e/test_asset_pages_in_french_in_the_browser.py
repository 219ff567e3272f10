"""A member reading in French: the scripts of the edit page (suggestions) and of the upload
page (a refused file) write French, from the sentences their page hands them."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from flask import Flask

from marketplace.assets.models import Asset
from marketplace.database import unit_of_work
from marketplace.membership.models import membership_of
from tests.fixtures.factories import Factory
from tests.fixtures.web import TEST_PASSWORD

pytestmark = pytest.mark.e2e
NBSP = "\u00a0"


def _sign_in_reading_french(page: object, base: str, email: str) -> None:
    page.goto(f"{base}/login")  # type: ignore[attr-defined]
    page.get_by_label("Email").fill(email)  # type: ignore[attr-defined]
    page.locator("#password").fill(TEST_PASSWORD)  # type: ignore[attr-defined]
    page.get_by_role("button", name="Sign in").click()  # type: ignore[attr-defined]
    page.wait_for_url(lambda url: "/login" not in url)  # type: ignore[attr-defined]
    page.context.set_extra_http_headers({"Accept-Language": "fr"})  # type: ignore[attr-defined]


def _draft_with_suggestions(email: str) -> int:
    member = membership_of(Factory().member(email))
    assert member is not None
    with unit_of_work() as session:
        asset = Asset(
            member_id=member.id,
            kind="photo",
            status="draft",
            title="IMG 0001",
            title_from_filename=True,
            keywords=["port"],
            suggested={"title": "Bateaux au port", "keywords": ["bateaux", "port", "mer"]},
            original_key=f"originals/test/{uuid.uuid4().hex}",
            original_filename="IMG_0001.jpg",
            original_mime="image/jpeg",
            original_size_bytes=1,
            original_sha256=uuid.uuid4().hex * 2,
            width=3000,
            height=2000,
        )
        session.add(asset)
        session.flush()
        return asset.id


def test_the_suggestions_and_the_uploader_speak_french(
    app: Flask, live_server: str, browser_page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    page: Page = browser_page  # type: ignore[assignment]
    draft = _draft_with_suggestions("lea@example.org")
    _sign_in_reading_french(page, live_server, "lea@example.org")

    page.goto(f"{live_server}/portfolio/{draft}")
    page.get_by_role("button", name="Utiliser ces suggestions").click()
    expect(page.locator("#suggestions-status")).to_have_text(
        f"Ajouté{NBSP}: 2 mots-clés et le titre. "
        f"Appuyez sur «{NBSP}Enregistrer les détails{NBSP}» pour les conserver."
    )

    empty = tmp_path / "vide.jpg"
    empty.write_bytes(b"")
    page.goto(f"{live_server}/upload")
    page.locator("[data-file-input]").set_input_files(str(empty))
    row = page.locator(".upload-row").first
    expect(row.locator("[data-status]")).to_have_text("Non déposé")
    expect(row.locator("[data-error]")).to_contain_text("Ce fichier est vide, ou c’est un dossier.")
    expect(page.locator("[data-summary]")).to_have_text(
        f"déposés{NBSP}: 0 sur 1 · non déposés{NBSP}: 1"
    )
