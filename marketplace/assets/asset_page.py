"""The public asset page: which asset a visitor sees at an address, and what the page shows.

The page offers every licence × size the original reaches, priced from the licensing service's
current terms (one query for all of them), so the page, the API and the checkout agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from marketplace.assets import services
from marketplace.assets.models import Asset
from marketplace.assets.schemas import media_url
from marketplace.extensions import db
from marketplace.licensing import services as licensing
from marketplace.licensing.services import KindOffer
from marketplace.licensing.tiers import licence_price_cents
from marketplace.pricing import Size, offered_sizes

SIZE_NAMES = {"S": "Small", "M": "Medium", "L": "Large", "XL": "Extra large", "HD": "HD"}
PRINT_PPI = 300  # the resolution print shops ask for: says how large a size prints


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


def licence_offers(kinds: list[KindOffer]) -> list[LicenceOffer]:
    """The licence kinds on offer, cheapest first, with what each allows."""
    return [
        LicenceOffer(k.kind.code, k.kind.name, k.terms.summary, list(k.terms.permits))
        for k in kinds
    ]


def size_choices(asset: Asset, kinds: list[KindOffer]) -> list[SizeChoice]:
    """The sizes this asset is sold in, smallest first, priced under each licence kind.

    No query: ``kinds`` is the licensing catalogue, read once per page however many assets.
    """
    if not asset.for_sale:
        return []
    sizes = offered_sizes(asset.kind, asset.width, asset.height)
    choices = []
    for position, size in enumerate(sizes):
        width, height = delivered_pixels(asset, size, largest=position == len(sizes) - 1)
        prices = {
            k.kind.code: licence_price_cents(size.amount_cents, k.terms.surcharge_cents)
            for k in kinds
        }
        choices.append(
            SizeChoice(size.code, SIZE_NAMES.get(size.code, size.code), width, height, prices)
        )
    return choices


def licence_kinds(currency: str) -> list[KindOffer]:
    """The licence kinds sold now with their current terms: one query."""
    return licensing.catalogue(db.session(), currency).kinds


def page_context(asset: Asset) -> dict[str, Any]:
    """Everything the asset page template needs, the asset itself included.

    The picker starts at the first licence (the cheapest) and the largest size, as a lightbox
    puts work in the cart.
    """
    from marketplace.catalogue import pages, related

    currency = current_app.config["CURRENCY"]
    kinds = licence_kinds(currency) if asset.for_sale else []
    offers, sizes = licence_offers(kinds), size_choices(asset, kinds)
    return {
        "asset": asset,
        "canonical_url": pages.canonical_url(asset, external=True),
        "share_image_url": media_url(asset, "poster" if asset.kind == "video" else "preview"),
        "currency": currency,
        "offers": offers,
        "sizes": sizes,
        "chosen_licence": offers[0].code if offers else None,
        "chosen_size": sizes[-1].code if sizes else None,
        "similar": related.similar(asset),
        "more_from_artist": related.more_from_artist(asset),
    }


def show(asset_id: int, slug: str | None) -> str | Response:
    """The asset page at its canonical address, or a 301 to it from any other address.

    The redirect happens only once the viewer may see the asset: it must not tell strangers
    an unpublished title.
    """
    from marketplace.catalogue import pages

    asset = services.get_visible(current_user, asset_id)
    if slug != pages.asset_slug(asset):
        return pages.redirect_to_canonical(asset)
    return render_template("assets/detail.html", **page_context(asset))
