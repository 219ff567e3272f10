"""Searching the catalogue: what buyers ask, checked, handed to the database's engine."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import get_locale, gettext
from sqlalchemy.orm import selectinload

from marketplace.assets.models import Asset, parse_hex_colour
from marketplace.catalogue import related, vocabulary
from marketplace.catalogue.engines import SearchFilters, engine_for
from marketplace.catalogue.models import SearchTerm
from marketplace.catalogue.query import parse
from marketplace.currencies import services as currencies
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.i18n.languages import DEFAULT_LANGUAGE
from marketplace.licensing import services as licensing
from marketplace.lightboxes.models import LightboxItem
from marketplace.pricing import price_list
from marketplace.whole_numbers import parse_whole_number

KINDS = ("photo", "video")
ORIENTATIONS = ("landscape", "portrait", "square", "panoramic")
SORTS = ("relevance", "newest", "most_licensed")
_YES, _NO = {"1", "true", "yes"}, {"0", "false", "no"}


@dataclass(frozen=True)
class SearchResults:
    assets: list[Asset]
    total: int
    total_exact: bool
    page: int
    per_page: int
    did_you_mean: str | None = None
    broader: list[str] = field(default_factory=list)
    # The engine stopped counting at its cap ("more than"), rather than estimating ("about").
    total_is_lower_bound: bool = False


def _choice(args: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str | None:
    value = (args.get(name) or "").strip().lower()
    if not value:
        return None
    if value not in choices:
        raise InvalidInput(
            gettext("%(name)s must be one of %(choices)s.", name=name, choices=", ".join(choices)),
            fields={name: gettext("Invalid.")},
        )
    return value


def filters_from_args(args: Mapping[str, str]) -> SearchFilters:
    """Search filters from query-string arguments; InvalidInput names a bad one."""
    contributor_arg = (args.get("contributor") or "").strip()
    contributor = parse_whole_number(contributor_arg) if contributor_arg else None
    if contributor_arg and contributor is None:
        raise InvalidInput(
            gettext("contributor is a member number."), fields={"contributor": gettext("Invalid.")}
        )
    people_arg = (args.get("people") or "").strip().lower()
    if people_arg and people_arg not in _YES | _NO:
        raise InvalidInput(gettext("people is yes or no."), fields={"people": gettext("Invalid.")})
    min_mp = (args.get("min_mp") or "").strip()
    try:
        min_pixels = round(float(min_mp) * 1_000_000) if min_mp else None
    except (ValueError, OverflowError):  # not a number, or infinite
        raise InvalidInput(
            gettext("min_mp is a number of megapixels."), fields={"min_mp": gettext("Invalid.")}
        ) from None
    since = (args.get("added_since") or "").strip()
    try:
        added_since = (
            datetime.combine(date.fromisoformat(since), datetime.min.time(), tzinfo=UTC)
            if since
            else None
        )
    except ValueError:
        raise InvalidInput(
            gettext("added_since is a date, YYYY-MM-DD."),
            fields={"added_since": gettext("Invalid.")},
        ) from None
    colour_arg = (args.get("colour") or "").strip()
    colour = parse_hex_colour(colour_arg) if colour_arg else None
    if colour_arg and colour is None:
        raise InvalidInput(
            gettext("colour is a hex colour such as 3366cc."),
            fields={"colour": gettext("Invalid.")},
        )
    return SearchFilters(
        colour=colour,
        query=parse(args.get("q") or ""),
        kind=_choice(args, "kind", KINDS),
        orientation=_choice(args, "orientation", ORIENTATIONS),
        contributor=contributor,
        people=(people_arg in _YES) if people_arg else None,
        min_pixels=min_pixels,
        added_since=added_since,
        sort=_choice(args, "sort", SORTS) or "relevance",
    )


def reader_language() -> str:
    """The language the reader reads the site in (the co-op's default outside a request)."""
    locale = get_locale() if has_request_context() else None
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def search(filters: SearchFilters, page: int, per_page: int) -> SearchResults:
    """One page of for-sale assets, best first (or newest first)."""
    session = db.session()
    found = engine_for(session).search(session, filters, page, per_page)
    by_id = {
        asset.id: asset
        for asset in session.execute(
            sa.select(Asset)
            .where(Asset.id.in_(found.ids))
            # Results show "editorial use only", which reads the releases: load them in one query.
            .options(selectinload(Asset.releases))
        ).scalars()
    }
    # Help only when it is needed: a first page with few or no results.
    few = page == 1 and found.total < 5 and not filters.query.is_empty
    return SearchResults(
        assets=[by_id[i] for i in found.ids if i in by_id],
        total=found.total,
        total_exact=found.total_exact,
        total_is_lower_bound=found.total_is_lower_bound,
        page=page,
        per_page=per_page,
        did_you_mean=vocabulary.did_you_mean(filters.query, reader_language()) if few else None,
        broader=vocabulary.broader_searches(filters) if few and found.total == 0 else [],
    )


POPULAR_SEARCHES_TTL_SECONDS = 300.0
POPULAR_SEARCHES_KEPT = 12
_POPULAR_KEY = "catalogue_popular_searches"


def popular_searches(limit: int = 8) -> list[str]:
    """The catalogue's most used keywords, most used first, for "suggested searches".

    Read from the vocabulary (rebuilt by a periodic task, so it can lag by as much): the table
    has no index on the counts, so the answer is kept in this process for a few minutes rather
    than sorted on every home page and empty search.
    """
    cached = current_app.extensions.get(_POPULAR_KEY)
    now = time.monotonic()
    # Kept: the expiry, how many were asked for, and the answer (shorter in a small catalogue).
    if cached is not None and cached[0] > now and cached[1] >= limit:
        return list(cached[2][:limit])
    asked = max(limit, POPULAR_SEARCHES_KEPT)
    # A word of several languages ("port") counts the work in each of them.
    documents = sa.func.sum(SearchTerm.documents)
    terms = list(
        db.session.execute(
            sa.select(SearchTerm.term)
            .group_by(SearchTerm.term)
            .order_by(documents.desc(), SearchTerm.term)
            .limit(asked)
        ).scalars()
    )
    current_app.extensions[_POPULAR_KEY] = (now + POPULAR_SEARCHES_TTL_SECONDS, asked, terms)
    return terms[:limit]


def kind_counts(filters: SearchFilters, results: SearchResults) -> dict[str, int] | None:
    """How many photos and how many videos match the search apart from its kind filter.

    Without a kind filter: one more query of the engine, for the videos (a selective index
    term, so cheap), the photos being the rest. With one: only that kind's count, which the
    search has already (the other would cost a second full search). Only exact counts: past
    the engine's cap a count would be a guess. None when not known.
    """
    if not results.total_exact:
        return None
    if filters.kind is not None:
        return {filters.kind: results.total}
    session = db.session()
    videos = engine_for(session).search(session, replace(filters, kind="video"), 1, 1)
    if not videos.total_exact:
        return None
    return {"photo": results.total - videos.total, "video": videos.total}


def cheapest_prices(assets: list[Asset], currency: str) -> dict[int, int]:
    """Asset id -> the lowest price it is sold at today (its smallest size, cheapest licence).

    One query for the current licence terms, then the price table in Python: never a query
    per asset.
    """
    if not assets:
        return {}
    surcharges = licensing.surcharges(db.session())
    cheapest: dict[int, int] = {}
    converted = currency != current_app.config["CURRENCY"]
    for asset in assets:
        if converted:
            # Another currency's own table (read once per request), not a conversion.
            prices = currencies.asset_prices(db.session(), asset, currency, surcharges)
        else:
            prices = price_list(asset.kind, asset.width, asset.height, currency, surcharges)
        if prices:
            cheapest[asset.id] = min(price.amount_cents for price in prices)
    return cheapest


def anything_for_sale() -> bool:
    """Whether the catalogue has any work on sale at all (one indexed LIMIT 1)."""
    return bool(search(SearchFilters(sort="newest"), 1, 1).total)


def similar_to(asset_id: int, limit: int) -> tuple[Asset, list[Asset]] | None:
    """Work like a for-sale asset, or None when it is not on sale.

    The similar work a worker prepared for the asset page (``related.similar``); until it has,
    the newest work sharing the asset's first keyword, so that "Similar" never shows nothing
    while there is work like it.
    """
    asset = db.session.get(Asset, asset_id)
    if asset is None or not asset.for_sale:
        return None
    similar = related.similar(asset, limit=limit)
    if not similar and asset.keywords:
        filters = SearchFilters(query=parse(asset.keywords[0]), kind=asset.kind)
        found = search(filters, 1, limit + 1)
        similar = [other for other in found.assets if other.id != asset.id][:limit]
    return asset, similar


def lightboxes_holding(lightbox_ids: list[int], asset_id: int | None) -> set[int]:
    """Which of these lightboxes already hold the asset, in one query."""
    if not lightbox_ids or asset_id is None:
        return set()
    return set(
        db.session.execute(
            sa.select(LightboxItem.lightbox_id).where(
                LightboxItem.lightbox_id.in_(lightbox_ids), LightboxItem.asset_id == asset_id
            )
        ).scalars()
    )
