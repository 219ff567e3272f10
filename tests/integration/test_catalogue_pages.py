"""Public catalogue pages: the asset page, member portfolios, the sitemap and robots.txt."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from flask import Flask, url_for
from flask.testing import FlaskClient

from marketplace.assets.models import Asset
from marketplace.catalogue.pages import money, slugify
from marketplace.database import unit_of_work
from marketplace.extensions import db
from tests.fixtures.catalogue import Catalogue
from tests.fixtures.factories import Factory
from tests.fixtures.web import AuthActions

ASSET_LINK = re.compile(r'href="/assets/(\d+)(?:-[a-z0-9-]*)?"')
SITEMAP_NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def change(asset_id: int, **fields: Any) -> None:
    """Set what the pipeline would have learned (hashes, colours, camera, renderings)."""
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        assert asset is not None
        for name, value in fields.items():
            setattr(asset, name, value)


def linked_ids(page: str, section_id: str) -> list[int]:
    """The assets linked from the <section> labelled by ``section_id``, in page order."""
    start = page.index(f'id="{section_id}"')
    section = page[start : page.index("</section>", start)]
    return [int(i) for i in ASSET_LINK.findall(section)]


def text(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def test_slugs_are_short_lower_case_ascii_words() -> None:
    slugs = {
        "Harbour at dawn": "harbour-at-dawn",
        "  Café del Mar, 1999!  ": "cafe-del-mar-1999",
        "Baker’s dozen": "bakers-dozen",
        "東京": "",
        "word " * 30: "-".join(["word"] * 12),  # cut at a word, within 60 characters
        "x" * 80: "x" * 60,
    }
    assert {title: slugify(title) for title in slugs} == slugs


def test_money_is_formatted_from_integer_cents() -> None:
    assert money(4500, "USD") == "$45.00"
    assert money(5, "eur") == "€0.05"
    assert money(123_456_789, "USD") == "$1,234,567.89"
    assert money(-150, "GBP") == "-£1.50"
    assert money(4500, "CHF") == "45.00 CHF"


def test_asset_page_shows_prices_keywords_camera_and_release_status(
    app: Flask, client: FlaskClient
) -> None:
    catalogue = Catalogue()
    asset_id = catalogue.add("Harbour at dawn", "sea, boats, ice cream", people=True)
    change(
        asset_id,
        camera="Fujifilm X-T4",
        lens="XF 16mm F1.4",
        taken_at=datetime(2024, 5, 17, 6, 30, tzinfo=UTC),
    )
    page = text(client, f"/assets/{asset_id}-harbour-at-dawn")

    # 3000 × 2000 reaches S and M, not L (4000) or XL (6000).
    assert re.findall(r'name="size" value="(\w+)"', page) == ["S", "M"]
    for amount in ("$15.00", "$45.00", "$115.00", "$145.00"):
        assert amount in page
    assert "$95.00" not in page
    assert 'href="/search?q=sea"' in page
    assert 'href="/search?q=ice+cream"' in page
    assert f'href="/members/{catalogue.member.member_number}"' in page
    assert "3000 × 2000 px" in page
    for fact in ("Fujifilm X-T4", "XF 16mm F1.4", "17 May 2024"):
        assert fact in page
    assert "Editorial use only." in page
    assert "Recognisable people appear without a signed model release" in page
    assert 'action="/lightboxes/add"' not in page, "anonymous: sign in to save"
    assert "to collect this in a lightbox" in page

    video = catalogue.add("Waves", "sea", kind="video", size=(1920, 1080))
    change(video, preview_key="previews/v/abc123.mp4", poster_key="posters/v/def456.jpg")
    page = text(client, f"/assets/{video}-waves")
    assert re.findall(r'name="size" value="(\w+)"', page) == ["HD"]
    assert "Editorial use only." not in page
    assert re.search(r'<video[^>]+poster="/assets/\d+/media/poster"', page)
    assert f'src="/assets/{video}/media/preview"' in page


def test_similar_work_and_more_from_the_artist_show_only_work_for_sale(
    app: Flask, client: FlaskClient
) -> None:
    artist, others = Catalogue(), Catalogue()
    main = artist.add("Harbour at dawn", "harbour, boats, sea")
    change(main, phash="0f0f0f0f0f0f0f0f", dominant_colours=["#d08040", "#203040"])
    older = artist.add("Mountain lake", "lake", age_days=3)
    newer = artist.add("City at night", "city", age_days=1)
    hidden = [
        artist.add("Harbour draft", "harbour", status="pending_review"),
        artist.add("Old harbour", "harbour, boats", withdrawn=True),
        others.add("Boats rejected", "boats, sea", status="rejected"),
        others.add("Sea gone", "sea, harbour", withdrawn=True),
    ]
    change(hidden[0], phash="0f0f0f0f0f0f0f0f")
    change(hidden[3], dominant_colours=["#d08040"])
    two_keywords = others.add("Lighthouse", "sea, harbour")
    one_keyword = others.add("Fishing", "boats, fishing")
    near_hash = others.add("Sunrise study", "abstract")
    change(near_hash, phash="0f0f0f0f0f0f0f08")  # 3 bits away
    same_colour = others.add("Orange glow", "glow")
    change(same_colour, dominant_colours=["#d28242"])
    unrelated = others.add("Desert road", "desert")
    change(unrelated, phash="f0f0f0f0f0f0f0f0", dominant_colours=["#2040d0"])

    page = text(client, f"/assets/{main}-harbour-at-dawn")
    similar = linked_ids(page, "similar-title")
    assert similar == [near_hash, two_keywords, one_keyword, same_colour]
    assert linked_ids(page, "more-title") == [newer, older]
    shown = {int(i) for i in ASSET_LINK.findall(page)}
    assert not shown & set(hidden), "never work that is not for sale"
    assert unrelated not in shown


def test_meta_tags_for_sharing_and_the_canonical_address(app: Flask, client: FlaskClient) -> None:
    catalogue = Catalogue()
    photo = catalogue.add("Harbour at dawn", "sea", description="Fishing boats at first light.")
    change(photo, preview_key="previews/p/0123456789abcdef0000.jpg")
    page = text(client, f"/assets/{photo}-harbour-at-dawn")
    canonical = f"http://localhost/assets/{photo}-harbour-at-dawn"
    assert "<title>Harbour at dawn — photo by" in page
    assert f'<link rel="canonical" href="{canonical}">' in page
    assert f'<meta property="og:url" content="{canonical}">' in page
    assert '<meta property="og:title" content="Harbour at dawn">' in page
    assert '<meta property="og:description" content="Fishing boats at first light.">' in page
    assert '<meta name="description" content="Fishing boats at first light.">' in page
    assert '<meta property="og:type" content="website">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    image = re.search(r'<meta property="og:image" content="([^"]+)"', page)
    assert image
    assert image.group(1) == f"http://localhost/assets/{photo}/media/preview?v=0123456789abcdef"

    video = catalogue.add("Waves", "sea", kind="video", size=(1920, 1080))
    change(video, preview_key="previews/v/abc.mp4", poster_key="posters/v/fedcba9876543210.jpg")
    page = text(client, f"/assets/{video}-waves")
    assert '<meta property="og:type" content="video.other">' in page
    assert (
        f'<meta property="og:image" content="http://localhost/assets/{video}/media/poster'
        "?v=fedcba9876543210"
    ) in page

    bare = catalogue.add("No preview yet", "sea")
    page = text(client, f"/assets/{bare}-no-preview-yet")
    assert "og:image" not in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_other_addresses_redirect_permanently_to_the_canonical_one(
    app: Flask, client: FlaskClient
) -> None:
    catalogue = Catalogue()
    asset_id = catalogue.add("Harbour at dawn", "sea")
    canonical = f"/assets/{asset_id}-harbour-at-dawn"
    for path in (f"/assets/{asset_id}", f"/assets/{asset_id}-harbor", f"/assets/{asset_id}-x"):
        response = client.get(path)
        assert response.status_code == 301, path
        assert response.headers["Location"] == canonical
    kept = client.get(f"/assets/{asset_id}?ref=newsletter")
    assert kept.headers["Location"] == f"{canonical}?ref=newsletter"
    assert client.get(canonical).status_code == 200

    # Links across the site point straight at the canonical address.
    with app.test_request_context():
        assert url_for("portfolio.detail", asset_id=asset_id) == canonical

    change(asset_id, title="Harbour at noon")
    moved = client.get(canonical)
    assert moved.status_code == 301
    assert moved.headers["Location"] == f"/assets/{asset_id}-harbour-at-noon"

    no_latin = catalogue.add("東京", "city")
    assert client.get(f"/assets/{no_latin}").status_code == 200
    assert client.get(f"/assets/{no_latin}-tokyo").headers["Location"] == f"/assets/{no_latin}"


def test_unpublished_work_is_not_found_and_its_title_never_leaks(
    app: Flask, client: FlaskClient
) -> None:
    catalogue = Catalogue()
    draft = catalogue.add("Secret harbour", "sea", status="pending_review")
    withdrawn = catalogue.add("Old harbour", "sea", withdrawn=True)
    for asset_id, slug in ((draft, "secret-harbour"), (withdrawn, "old-harbour")):
        for path in (f"/assets/{asset_id}", f"/assets/{asset_id}-{slug}"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert "Location" not in response.headers
    with app.test_request_context():
        assert url_for("portfolio.detail", asset_id=draft) == f"/assets/{draft}"

    # Its member sees it, at the canonical address, kept out of search engines.
    AuthActions(client).login(catalogue.member.user.email)
    owner_view = client.get(f"/assets/{draft}", follow_redirects=True)
    assert owner_view.status_code == 200
    assert owner_view.request.path == f"/assets/{draft}-secret-harbour"
    page = owner_view.get_data(as_text=True)
    assert '<meta name="robots" content="noindex, nofollow">' in page
    assert "This page is not public yet" in page


def test_profile_is_the_members_portfolio_of_published_work(
    app: Flask, client: FlaskClient, factory: Factory
) -> None:
    catalogue = Catalogue()
    number = catalogue.member.member_number
    older = catalogue.add("Mountain lake", "lake", age_days=5)
    newer = catalogue.add("City at night", "city", age_days=1)
    catalogue.add("Draft", "sea", status="pending_review")
    catalogue.add("Rejected", "sea", status="rejected")
    catalogue.add("Withdrawn", "sea", withdrawn=True)
    someone_else = Catalogue().add("Not theirs", "sea")

    page = text(client, f"/members/{number}")
    assert "Member since" in page
    assert [int(i) for i in ASSET_LINK.findall(page)] == [newer, older]
    assert someone_else not in {int(i) for i in ASSET_LINK.findall(page)}
    assert "2 works for sale" in page
    assert 'rel="next"' not in page

    many = [catalogue.add(f"Wave {n}", "sea", age_days=10 + n) for n in range(23)]
    first = text(client, f"/members/{number}")
    assert len(ASSET_LINK.findall(first)) == 24
    assert "Page 1 of 2" in first
    assert f'href="/members/{number}?page=2"' in first
    second = text(client, f"/members/{number}?page=2")
    assert [int(i) for i in ASSET_LINK.findall(second)] == [many[-1]]
    assert f'href="/members/{number}?page=1"' in second

    nobody = factory.member().member
    assert nobody is not None
    assert "No published work yet" in text(client, f"/members/{nobody.member_number}")


def test_sitemap_lists_the_public_pages_and_work_for_sale(app: Flask, client: FlaskClient) -> None:
    catalogue = Catalogue()
    published = catalogue.add("Harbour at dawn", "sea", age_days=2)
    draft = catalogue.add("Draft", "sea", status="pending_review")
    withdrawn = catalogue.add("Withdrawn", "sea", withdrawn=True)

    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    # Our own output, not untrusted input.
    root = ElementTree.fromstring(response.get_data())  # noqa: S314
    assert root.tag == "{http://www.sitemaps.org/schemas/sitemap/0.9}urlset"
    entries = {
        url.findtext("s:loc", namespaces=SITEMAP_NS): url.findtext("s:lastmod", None, SITEMAP_NS)
        for url in root.findall("s:url", SITEMAP_NS)
    }
    asset = db.session.get(Asset, published)
    assert asset is not None
    assert asset.published_at is not None
    assert entries[f"http://localhost/assets/{published}-harbour-at-dawn"] == (
        asset.published_at.date().isoformat()
    )
    for page in ("/", "/search", "/about", f"/members/{catalogue.member.member_number}"):
        assert f"http://localhost{page}" in entries
    listed = {int(i) for loc in entries for i in re.findall(r"/assets/(\d+)", loc or "")}
    assert listed == {published}, f"not the draft {draft} nor the withdrawn {withdrawn}"


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_private_areas(
    client: FlaskClient,
) -> None:
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    for path in ("/admin", "/account", "/portfolio", "/upload", "/lightboxes"):
        assert f"Disallow: {path}" in lines
    assert "Sitemap: http://localhost/sitemap.xml" in lines
