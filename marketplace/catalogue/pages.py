"""Public catalogue pages: clean asset addresses, sitemap and robots.txt.

An asset's canonical address is ``/assets/<id>-<slug>``, the slug made from its title.
``url_for("portfolio.detail", asset_id=...)`` gets the slug added here for work on sale, so
links across the site point straight at the canonical address; the detail view 301-redirects
every other address of the page (``/assets/<id>``, an old or wrong slug) to it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, redirect, request, stream_with_context, url_for
from markupsafe import escape
from werkzeug.wrappers import Response

from marketplace.assets.models import Asset
from marketplace.catalogue import services as catalogue
from marketplace.catalogue.engines import SearchFilters
from marketplace.extensions import db
from marketplace.i18n.formats import money as money  # the filter's old home; callers import it here
from marketplace.membership.models import Member

bp = Blueprint("catalogue_pages", __name__)

SLUG_MAX_LENGTH = 60
PORTFOLIO_PER_PAGE = 24
SITEMAP_MAX_URLS = 50_000  # the sitemap protocol's limit for one file
# Private or personal areas: nothing there for a search engine, and crawling them is waste.
ROBOTS_DISALLOW = ("/admin", "/account", "/portfolio", "/upload", "/lightboxes")
_APOSTROPHES = re.compile(r"['’]")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def slugify(title: str, max_length: int = SLUG_MAX_LENGTH) -> str:
    """Lower-case ASCII words of ``title`` joined by "-", cut at a word within ``max_length``.

    Accents are dropped ("Café" -> "cafe"); a title of no Latin letters or digits gives "".
    """
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    # "Baker's dozen" reads better as bakers-dozen than baker-s-dozen.
    words = _NOT_WORD.split(_APOSTROPHES.sub("", ascii_title.lower()))
    slug = ""
    for word in (w for w in words if w):
        candidate = f"{slug}-{word}" if slug else word
        if len(candidate) > max_length:
            # One overlong first word is cut rather than leaving no slug at all.
            return slug or word[:max_length]
        slug = candidate
    return slug


def asset_slug(asset: Asset) -> str | None:
    """The slug of the asset's canonical address; None when its title gives none."""
    return slugify(asset.title) or None


def canonical_url(asset: Asset, *, external: bool = False) -> str:
    return url_for(
        "portfolio.detail", asset_id=asset.id, slug=asset_slug(asset), _external=external
    )


def redirect_to_canonical(asset: Asset) -> Response:
    """A permanent redirect to the canonical address, keeping the query (e.g. campaign tags)."""
    target = canonical_url(asset)
    if request.query_string:
        target += "?" + request.query_string.decode("latin-1")
    return redirect(target, code=301)


@bp.app_url_defaults
def _add_asset_slug(endpoint: str, values: dict[str, Any]) -> None:
    if endpoint != "portfolio.detail":
        return
    if "slug" in values:
        if not values["slug"]:
            del values["slug"]  # no slug: the plain /assets/<id> rule builds the address
        return
    try:
        asset_id = int(values.get("asset_id", ""))
    except (TypeError, ValueError):
        return
    # Usually already in the session (search results, lightboxes), so no query is sent.
    # Only work for sale gets its slug: a link must never reveal an unpublished title.
    asset = db.session.get(Asset, asset_id)
    slug = asset_slug(asset) if asset is not None and asset.for_sale else None
    if slug:
        values["slug"] = slug


@bp.app_template_filter("slug")
def slug_of(title: str) -> str:
    """A title's slug for ``url_for("portfolio.detail", ..., slug=...)`` ("" gives none), for
    lists that know their work is for sale (related.Tile): no query to look the asset up."""
    return slugify(title)


def contributor_work(member: Member, page: int) -> catalogue.SearchResults:
    """One page of a member's for-sale work, newest first, for their profile."""
    filters = SearchFilters(contributor=member.member_number, sort="newest")
    return catalogue.search(filters, max(page, 1), PORTFOLIO_PER_PAGE)


def _url_entry(loc: str, lastmod: str | None = None) -> str:
    modified = f"<lastmod>{lastmod}</lastmod>" if lastmod else ""
    return f"<url><loc>{escape(loc)}</loc>{modified}</url>\n"


def _sitemap_lines() -> Iterator[str]:
    yield '<?xml version="1.0" encoding="UTF-8"?>\n'
    yield '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    budget = SITEMAP_MAX_URLS
    for endpoint in ("main.home", "catalogue.search", "main.about"):
        yield _url_entry(url_for(endpoint, _external=True))
        budget -= 1
    members = db.session.execute(
        sa.select(Member.member_number)
        .where(Member.status == "active")
        .order_by(Member.member_number)
        .limit(budget)
    ).scalars()
    for number in members:
        yield _url_entry(url_for("membership.profile", member_number=number, _external=True))
        budget -= 1
    # Newest first, so that if the cap is ever reached it is the oldest work that waits for a
    # sitemap index. Streamed in batches: the whole catalogue never sits in memory.
    assets = db.session.execute(
        sa.select(Asset.id, Asset.title, Asset.published_at)
        .where(Asset.status == "published", Asset.withdrawn_at.is_(None))
        .order_by(Asset.id.desc())
        .limit(max(budget, 0))
        .execution_options(yield_per=1000)
    )
    for asset_id, title, published_at in assets:
        loc = url_for(
            "portfolio.detail", asset_id=asset_id, slug=slugify(title) or None, _external=True
        )
        yield _url_entry(loc, published_at.date().isoformat() if published_at else None)
    yield "</urlset>\n"


@bp.get("/sitemap.xml")
def sitemap() -> Response:
    response = Response(stream_with_context(_sitemap_lines()), mimetype="application/xml")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/robots.txt")
def robots() -> Response:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW)]
    lines.append(f"Sitemap: {url_for('catalogue_pages.sitemap', _external=True)}")
    response = Response("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
