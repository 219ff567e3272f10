"""The public asset page: which asset a visitor sees at an address, and what the page shows.

The page offers every licence × size the original reaches, priced from the licensing service's
current terms, so the page, the API and the checkout agree. Terms are only ever added (a new
version is a new row), so each process keeps what the page shows of them (``LicenceMenu``) and
reads them again only when the newest terms row changed: one tiny lookup per view, not the terms.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext
from flask_login import current_user
from sqlalchemy.orm import defaultload, defer, joinedload
from werkzeug.wrappers import Response

from marketplace.accounts.models import User
from marketplace.assets import services
from marketplace.assets.models import Asset
from marketplace.assets.schemas import media_url
from marketplace.catalogue.related import STORED_IDS, Tile
from marketplace.currencies import services as currencies
from marketplace.currencies.views import current_currency
from marketplace.extensions import db
from marketplace.i18n import formats
from marketplace.licensing import services as licensing
from marketplace.licensing.models import LicenceTerms
from marketplace.licensing.services import KindOffer
from marketplace.licensing.tiers import licence_price_cents
from marketplace.membership.models import Member
from marketplace.pricing import Size, offered_sizes

SIZE_NAMES = {
    "S": lazy_gettext("Small"),
    "M": lazy_gettext("Medium"),
    "L": lazy_gettext("Large"),
    "XL": lazy_gettext("Extra large"),
}
PRINT_PPI = 300  # the resolution print shops ask for: says how large a size prints
QUERY_SAFE = "!$'()*,/:;?@"  # what werkzeug's url_for leaves unquoted in a query string


@dataclass(frozen=True)
class LicenceOffer:
    """A licence kind as the picker shows it: its name and, in plain words, what it allows."""

    code: str
    name: str
    summary: str
    permits: list[str]


@dataclass(frozen=True)
class SizeChoice:
    """One size the original reaches, the pixels delivered in it and its price per licence."""

    code: str
    name: str
    width: int
    height: int
    prices: dict[str, int]  # licence code -> price in cents

    @property
    def print_inches(self) -> tuple[float, float]:
        return (round(self.width / PRINT_PPI, 1), round(self.height / PRINT_PPI, 1))

    @property
    def printed_inches(self) -> tuple[str, str]:
        """The print size's figures in the reader's conventions, one decimal always
        ("6.7", "10.0" in English; "6,7" in French)."""
        width, height = self.print_inches
        return formats.one_decimal(width), formats.one_decimal(height)


def delivered_pixels(asset: Asset, size: Size, *, largest: bool) -> tuple[int, int]:
    """The width and height of the file sold in ``size`` (the original's for the largest size;
    a photo is scaled to the size's long edge, a video to its lines)."""
    width, height = asset.width or 0, asset.height or 0
    if largest or not width or not height:
        return width, height
    if asset.kind == "video":
        scale = size.min_short_edge / min(width, height)
    else:
        scale = size.min_long_edge / max(width, height)
    return round(width * scale), round(height * scale)


def _size_name(code: str) -> str:
    """A size's name in the reader's language; a code without one ("HD") as it is."""
    name = SIZE_NAMES.get(code)
    return str(name) if name is not None else code


def licence_offers(kinds: list[KindOffer]) -> list[LicenceOffer]:
    """The licence kinds on offer, cheapest first, with what each allows."""
    return [
        LicenceOffer(k.kind.code, k.kind.name, k.terms.summary, list(k.terms.permits))
        for k in kinds
    ]


def _priced_sizes(asset: Asset, surcharges: dict[str, int]) -> list[SizeChoice]:
    if not asset.for_sale:
        return []
    sizes = offered_sizes(asset.kind, asset.width, asset.height)
    choices = []
    for position, size in enumerate(sizes):
        width, height = delivered_pixels(asset, size, largest=position == len(sizes) - 1)
        prices = {
            code: licence_price_cents(size.amount_cents, surcharge)
            for code, surcharge in surcharges.items()
        }
        choices.append(SizeChoice(size.code, _size_name(size.code), width, height, prices))
    return choices


def in_currency(
    asset: Asset,
    sizes: list[SizeChoice],
    currency: str,
    surcharges: dict[str, int] | None = None,
) -> list[SizeChoice]:
    """The sizes at ``currency``'s price table (the buyer's, when it is not the settlement
    currency, whose prices ``sizes`` already have)."""
    if not sizes or currency == current_app.config["CURRENCY"]:
        return sizes
    prices = {
        (p.licence, p.size): p.amount_cents
        for p in currencies.asset_prices(db.session(), asset, currency, surcharges)
    }
    return [
        dataclasses.replace(
            choice,
            prices={
                code: prices[code, choice.code]
                for code in choice.prices
                if (code, choice.code) in prices
            },
        )
        for choice in sizes
    ]


def size_choices(asset: Asset, kinds: list[KindOffer]) -> list[SizeChoice]:
    """The sizes this asset is sold in, smallest first, priced under each licence kind.

    No query: ``kinds`` is the licensing catalogue, read once per page however many assets.
    """
    return _priced_sizes(asset, {k.kind.code: k.terms.surcharge_cents for k in kinds})


def licence_kinds(currency: str) -> list[KindOffer]:
    """The licence kinds sold now with their current terms: one query."""
    return licensing.catalogue(db.session(), currency).kinds


# What the page reads besides the asset, as columns of the asset's own statement: the newest
# terms row's id (has the licence menu changed?) and the related lists a worker prepared. On
# PostgreSQL a statement of their own was a round trip, as costly as these lookups.
_PAGE_FACTS = (
    sa.select(sa.func.max(LicenceTerms.id)).scalar_subquery().label("newest_terms_id"),
    *STORED_IDS,
)


@dataclass(frozen=True)
class LicenceMenu:
    """What the asset page shows of the current terms: plain values, no ORM objects."""

    newest_terms_id: int | None
    offers: list[LicenceOffer]
    surcharges: dict[str, int]  # licence code -> surcharge in cents, cheapest kind first


def licence_menu(currency: str, newest: int | None) -> LicenceMenu:
    """The licence kinds on offer now, read again only when terms were added since.

    Kept per app (``app.extensions``) and currency; ``newest`` is the newest terms row's id,
    which tells whether they were: terms are never edited, only added in a new version.
    """
    menus: dict[str, LicenceMenu] = current_app.extensions.setdefault("asset_page_licences", {})
    menu = menus.get(currency)
    if menu is None or menu.newest_terms_id != newest:
        kinds = licence_kinds(currency)
        surcharges = {k.kind.code: k.terms.surcharge_cents for k in kinds}
        menu = LicenceMenu(newest, licence_offers(kinds), surcharges)
        menus[currency] = menu
    return menu


@dataclass(frozen=True)
class TileLinks:
    """A tile's page address (with its slug) and its thumbnail's address."""

    page: str
    thumbnail: str


_SOME_ID = 987654321  # stands for a tile's id in the addresses built once per page
_SOME_SLUG = "tile-slug"


def tile_links(tiles: list[Tile]) -> dict[int, TileLinks]:
    """Each tile's addresses, exactly what ``url_for`` gives (``portfolio.detail`` with the
    title's slug, ``assets.media`` thumbnail), for three ``url_for`` calls in all instead of
    two per tile: ids are digits and slugs ``[a-z0-9-]``, which no URL encoding changes."""
    from marketplace.catalogue.pages import slugify

    with_slug = url_for("portfolio.detail", asset_id=_SOME_ID, slug=_SOME_SLUG)
    without_slug = url_for("portfolio.detail", asset_id=_SOME_ID, slug="")
    thumbnail = url_for("assets.media", asset_id=_SOME_ID, name="thumbnail")
    some_id = str(_SOME_ID)
    links = {}
    for tile in tiles:
        tile_id, slug = str(tile.id), slugify(tile.title)
        # The id first: a title's digits could otherwise be taken for it.
        if slug:
            page = with_slug.replace(some_id, tile_id).replace(_SOME_SLUG, slug)
        else:
            page = without_slug.replace(some_id, tile_id)
        links[tile.id] = TileLinks(page, thumbnail.replace(some_id, tile_id))
    return links


def keyword_links(keywords: list[str]) -> list[tuple[str, str]]:
    """Each keyword and its search address, ``url_for("catalogue.search", q=word)`` exactly
    (werkzeug's query encoding), for the price of one ``url_for`` instead of one per word."""
    search = url_for("catalogue.search")
    return [(word, f"{search}?{_search_query(word)}") for word in keywords]


@functools.lru_cache(maxsize=8192)
def _search_query(word: str) -> str:
    """``q=word`` encoded, kept per word: a catalogue's pages share most of their keywords,
    and encoding the twenty of a page took a twentieth of its CPU."""
    return urlencode({"q": word}, safe=QUERY_SAFE)


def page_context(asset: Asset, facts: sa.Row[Any]) -> dict[str, Any]:
    """Everything the asset page template needs, the asset itself included.

    The picker starts at the first licence (the cheapest) and the largest size, as a lightbox
    puts work in the cart.
    """
    from marketplace.catalogue import pages, related

    currency = current_currency()
    menu = (
        licence_menu(currency, facts.newest_terms_id)
        if asset.for_sale
        else LicenceMenu(None, [], {})
    )
    offers, sizes = menu.offers, _priced_sizes(asset, menu.surcharges)
    sizes = in_currency(asset, sizes, currency, menu.surcharges)
    tiles = related.page_tiles(asset, (facts.similar_ids, facts.artist_ids))
    return {
        "asset": asset,
        "canonical_url": pages.canonical_url(asset, external=True),
        "share_image_url": media_url(asset, "poster" if asset.kind == "video" else "preview"),
        "currency": currency,
        "offers": offers,
        "terms_version": menu.newest_terms_id,
        "sizes": sizes,
        "chosen_licence": offers[0].code if offers else None,
        "chosen_size": sizes[-1].code if sizes else None,
        "keyword_links": keyword_links(list(asset.keywords or [])),
        "similar": tiles.similar,
        "more_from_artist": tiles.more_from_artist,
        "tile_links": tile_links(tiles.similar + tiles.more_from_artist),
    }


# The columns of the asset's row that only the pipeline, curation and search read: the page
# leaves them out, and of its member and their account it reads only what it shows (never a
# password hash). On PostgreSQL that is less to send and for psycopg and the ORM to turn into
# values: a third of the columns. One the page did read would cost a query, not a wrong page.
_NOT_SHOWN = (
    Asset.title_from_filename,
    Asset.keywords_text,
    Asset.original_key,
    Asset.original_sha256,
    Asset.phash,
    Asset.suggested,
    Asset.colour_r,
    Asset.colour_g,
    Asset.colour_b,
    Asset.failure_reason,
    Asset.rejection_reason,
    Asset.reviewed_by_id,
    Asset.reviewed_at,
    Asset.processed_at,
    Asset.submitted_at,
    Asset.original_removed_at,
    Asset.created_at,
)
# The releases come in the same query: the page asks whether the work is editorial only,
# which for a third of the catalogue (people or property in it) would be a second query.
# The member's class, which the member's row joins by default, the page never shows.
_PAGE_LOADING = (
    joinedload(Asset.releases),
    *(defer(column) for column in _NOT_SHOWN),
    defaultload(Asset.member)
    .load_only(Member.user_id, Member.member_number, Member.status)
    .lazyload(Member.member_class),
    defaultload(Asset.member).defaultload(Member.user).load_only(User.display_name),
)
# Built once: ``session.get`` with these options worked out their cache key on every view,
# 0.25 ms of the 5.4 ms of CPU an uncached view costs (PostgreSQL, 100,000 assets).
_PAGE_ASSET = (
    sa.select(Asset, *_PAGE_FACTS)
    .options(*_PAGE_LOADING)
    .where(Asset.id == sa.bindparam("asset_id"))
)


def show(asset_id: int, slug: str | None) -> str | Response:
    """The asset page at its canonical address, or a 301 to it from any other address.

    The redirect happens only once the viewer may see the asset: it must not tell strangers
    an unpublished title.
    """
    from marketplace.catalogue import pages

    row = services.get_visible_row(current_user, asset_id, _PAGE_ASSET)
    asset = row[0]
    if slug != pages.asset_slug(asset):
        return pages.redirect_to_canonical(asset)
    return render_template("assets/detail.html", **page_context(asset, row))
