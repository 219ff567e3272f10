"""Related work for an asset page: similar images and more from the same artist.

The asset page is the most visited page of the catalogue, so it computes nothing: a worker
prepared both lists (``related_store``), and a view reads them by primary key, then loads the
works still for sale by primary key. Until a work's lists are prepared (just published, or
before the backfill), it shows the artist's newest work (one indexed query) and no similar work.

The asset page itself reads both lists in a statement it runs anyway (``STORED_IDS``), then
takes ``page_tiles``: the first ``RELATED_LIMIT`` of each list as ``Tile``s (the few columns
a tile shows) from one query of columns, not two of whole assets, so a view builds no ORM
objects; the template gives each address its slug (``|slug``), so no tile sends a query for
it. A second query comes only when some of those have left the sale since the lists were
prepared.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.catalogue.models import RelatedWorks
from marketplace.catalogue.related_compute import RELATED_LIMIT, for_sale, newest_of_member
from marketplace.catalogue.related_store import stored
from marketplace.extensions import db
from marketplace.membership.models import Member


@dataclass(frozen=True)
class Tile:
    """A related work as its tile shows it (``catalogue/_tiles.html`` ``tile_grid``)."""

    id: int
    title: str
    kind: str
    status: str
    thumbnail_key: str | None
    member_name: str


@dataclass(frozen=True)
class PageTiles:
    similar: list[Tile]
    more_from_artist: list[Tile]


def _for_sale_in_order(ids: list[int], limit: int) -> list[Asset]:
    if not ids:
        return []
    found = {
        a.id: a
        for a in db.session.execute(
            sa.select(Asset).where(Asset.id.in_(ids), *for_sale())
        ).scalars()
    }
    return [found[i] for i in ids if i in found][:limit]


def more_from_artist(asset: Asset, limit: int = RELATED_LIMIT) -> list[Asset]:
    """Up to ``limit`` other for-sale works of the asset's member, newest first."""
    row = stored(asset.id)
    if row is not None and limit <= RELATED_LIMIT:
        return _for_sale_in_order(list(row.artist_ids), limit)
    return list(
        db.session.execute(
            sa.select(Asset)
            .where(Asset.member_id == asset.member_id, Asset.id != asset.id, *for_sale())
            .order_by(Asset.published_at.desc(), Asset.id.desc())
            .limit(limit)
        ).scalars()
    )


def similar(asset: Asset, limit: int = RELATED_LIMIT) -> list[Asset]:
    """Up to ``limit`` other for-sale works like this one, most alike first, as last prepared.

    Empty until a worker has prepared the asset's lists; at most ``SIMILAR_KEPT`` are kept.
    """
    row = stored(asset.id)
    if row is None:
        return []
    return _for_sale_in_order(list(row.similar_ids), limit)


# The asset page's statement parts, built once: a statement built per view costs the ORM about
# 0.2 ms of Python to build, key and hand over before SQLite spends 0.01 ms on it, about a
# tenth of the whole page. Run on the session's connection (Core), one takes 0.05 ms.
_stored = RelatedWorks.__table__.c


def _stored_list(column: sa.Column[list[int]], name: str) -> sa.Label[list[int]]:
    return (
        sa.select(column)
        .where(_stored.asset_id == sa.bindparam("asset_id"))
        .scalar_subquery()
        .label(name)
    )


# The two prepared lists as columns (NULL until prepared), for a page to read in a statement
# it runs anyway: on PostgreSQL every statement is a round trip, about 0.3 ms of CPU between
# the two processes, as much as the lookup itself.
STORED_IDS = (
    _stored_list(_stored.similar_ids, "similar_ids"),
    _stored_list(_stored.artist_ids, "artist_ids"),
)

# The member's name by primary keys, per tile: a join let PostgreSQL hash all the members
# for every page (0.7 ms at 2,000 members), where a tile needs two index lookups.
_MEMBER_NAME = (
    sa.select(User.display_name)
    .join(Member, Member.user_id == User.id)
    .where(Member.id == Asset.member_id)
    .correlate(Asset)
    .scalar_subquery()
)
_TILES = sa.select(
    Asset.id, Asset.title, Asset.kind, Asset.status, Asset.thumbnail_key, _MEMBER_NAME
).where(Asset.id.in_(sa.bindparam("ids", expanding=True)), *for_sale())


def _tiles_for_sale(ids: set[int]) -> dict[int, Tile]:
    """The works of ``ids`` still for sale, as tiles, by id (one query of columns)."""
    if not ids:
        return {}
    rows = db.session.connection().execute(_TILES, {"ids": sorted(ids)}).all()
    return {row[0]: Tile(*row) for row in rows}


def _newest_of_artist(asset: Asset, limit: int) -> list[int]:
    """The member's newest for-sale work but this one, as ``related_store`` prepares it."""
    return [i for i in newest_of_member(asset.member_id, limit + 1) if i != asset.id][:limit]


def page_tiles(
    asset: Asset,
    stored_ids: tuple[list[int] | None, list[int] | None],
    limit: int = RELATED_LIMIT,
) -> PageTiles:
    """The asset page's two lists, as ``similar`` and ``more_from_artist`` give them.

    ``stored_ids`` are the asset's ``STORED_IDS``, read by the page. Prepared lists: one query
    for the first ``limit`` of each, and one more only when some of those are no longer for
    sale and the lists hold more. Not prepared yet: the artist's newest work (one indexed query
    of ids, then the tiles) and no similar work.
    """
    similar_ids, artist_ids = stored_ids
    if similar_ids is None or artist_ids is None:
        similar_ids, artist_ids = [], _newest_of_artist(asset, limit)
    first = set(similar_ids[:limit] + artist_ids[:limit])
    found = _tiles_for_sale(first)

    def in_order(ids: list[int]) -> list[Tile]:
        return [found[i] for i in ids if i in found][:limit]

    if any(len(in_order(ids)) < limit < len(ids) for ids in (similar_ids, artist_ids)):
        found.update(_tiles_for_sale(set(similar_ids + artist_ids) - first))
    return PageTiles(in_order(similar_ids), in_order(artist_ids))
