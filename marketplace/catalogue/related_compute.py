"""How related work is found: similar images, and the artist's newest work.

A worker runs this when a work goes on sale or changes (``related_store``), never a page view;
each query is still bounded (LIMITs, a capped window of candidates, the search engine's caps),
so one work costs tens of milliseconds at any catalogue size.
"""

from __future__ import annotations

import math
from typing import Any

import sqlalchemy as sa

from marketplace.assets.models import Asset, parse_hex_colour
from marketplace.catalogue.engines import SearchFilters, engine_for
from marketplace.catalogue.query import parse
from marketplace.extensions import db
from marketplace.media.phash import hamming_distance

RELATED_LIMIT = 8  # shown on the asset page
SIMILAR_KEPT = 24  # kept, for the "more like this" search
KEYWORDS_USED = 3  # the first keywords are the ones the artist thought of first
KEYWORD_MATCHES = 24  # best matches asked of the search engine, per keyword
# Perceptual hashes and colours are compared in Python, so only over a capped window: the
# newest for-sale work, plus work whose hash starts the same (found through the hash index).
CANDIDATE_WINDOW = 500
PREFIX_DIGITS = 4
PREFIX_MATCHES = 100
NEAR_HASH_DISTANCE = 10  # of 64 bits; copies score ≤ 6, unrelated photos about 32
# media.colour merges colours closer than this into one, so closer counts as the same colour.
SAME_COLOUR_DISTANCE = 24.0


def for_sale() -> list[Any]:
    return [Asset.status == "published", Asset.withdrawn_at.is_(None)]


def newest_of_member(member_id: int, limit: int) -> list[int]:
    """Ids of up to ``limit`` for-sale works of the member, newest first."""
    return list(
        db.session.execute(
            sa.select(Asset.id)
            .where(Asset.member_id == member_id, *for_sale())
            .order_by(Asset.published_at.desc(), Asset.id.desc())
            .limit(limit)
        ).scalars()
    )


def similar_ids(asset: Asset, limit: int = RELATED_LIMIT) -> list[int]:
    """Ids of up to ``limit`` other for-sale works like this one, most alike first.

    Near perceptual hashes come first (the same scene, recomposed or re-edited), then work
    sharing the most of the asset's first keywords, then work of the same dominant colour.
    About 60 ms at 100,000 assets: a worker's job, never a page view's.
    """
    window = _candidate_window(asset)
    chosen: list[int] = []
    for ids in (
        _near_hash_ids(asset, window),
        _keyword_ids(asset),
        _same_colour_ids(asset, window),
    ):
        for asset_id in ids:
            if len(chosen) < limit and asset_id != asset.id and asset_id not in chosen:
                chosen.append(asset_id)
    if not chosen:
        return []
    # The keyword search may answer from an index a moment behind: keep only work for sale.
    found = set(
        db.session.execute(sa.select(Asset.id).where(Asset.id.in_(chosen), *for_sale())).scalars()
    )
    return [i for i in chosen if i in found]


def _candidate_window(asset: Asset) -> list[tuple[int, str | None, list[str]]]:
    columns = (Asset.id, Asset.phash, Asset.dominant_colours)
    others = [Asset.id != asset.id, *for_sale()]
    rows = list(
        db.session.execute(
            sa.select(*columns).where(*others).order_by(Asset.id.desc()).limit(CANDIDATE_WINDOW)
        )
    )
    if asset.phash:
        prefix = asset.phash[:PREFIX_DIGITS]
        # A range rather than LIKE, so that SQLite uses the index too; "g" sorts after any
        # hex digit, so the range holds exactly the hashes that start with the prefix.
        rows += db.session.execute(
            sa.select(*columns)
            .where(*others, Asset.phash >= prefix, Asset.phash < prefix + "g")
            .limit(PREFIX_MATCHES)
        )
    return [(i, phash, list(colours or [])) for i, phash, colours in rows]


def _near_hash_ids(asset: Asset, window: list[tuple[int, str | None, list[str]]]) -> list[int]:
    if not asset.phash:
        return []
    distances: dict[int, int] = {}
    for asset_id, phash, _ in window:
        if not phash:
            continue
        try:
            distance = hamming_distance(asset.phash, phash)
        except ValueError:  # a malformed stored hash says nothing about likeness
            continue
        if distance <= NEAR_HASH_DISTANCE:
            distances[asset_id] = distance
    return sorted(distances, key=lambda i: (distances[i], -i))


def _keyword_ids(asset: Asset) -> list[int]:
    """Work matching any of the first keywords, those matching more of them first."""
    session = db.session()
    engine = engine_for(session)
    matched: dict[int, int] = {}
    best_place: dict[int, int] = {}
    for keyword in asset.keywords[:KEYWORDS_USED]:
        # Quoted, so that a keyword of several words matches as the phrase it is.
        query = parse('"' + keyword.replace('"', " ") + '"')
        if query.is_empty:
            continue
        found = engine.search(session, SearchFilters(query=query), 1, KEYWORD_MATCHES)
        for place, asset_id in enumerate(found.ids):
            matched[asset_id] = matched.get(asset_id, 0) + 1
            best_place[asset_id] = min(best_place.get(asset_id, place), place)
    return sorted(matched, key=lambda i: (-matched[i], best_place[i], -i))


def _same_colour_ids(asset: Asset, window: list[tuple[int, str | None, list[str]]]) -> list[int]:
    main = parse_hex_colour(asset.dominant_colours[0]) if asset.dominant_colours else None
    if main is None:
        return []
    distances: dict[int, float] = {}
    for asset_id, _, colours in window:
        other = parse_hex_colour(colours[0]) if colours else None
        if other is not None and math.dist(main, other) < SAME_COLOUR_DISTANCE:
            distances[asset_id] = math.dist(main, other)
    return sorted(distances, key=lambda i: (distances[i], -i))
