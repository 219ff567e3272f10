"""Related work for an asset page: similar images and more from the same artist.

The asset page is the most visited page of the catalogue, so it computes nothing: a worker
prepared both lists (``related_store``), and a view reads them by primary key, then loads the
works still for sale by primary key. Until a work's lists are prepared (just published, or
before the backfill), it shows the artist's newest work (one indexed query) and no similar work.
"""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.assets.models import Asset
from marketplace.catalogue.related_compute import RELATED_LIMIT, for_sale
from marketplace.catalogue.related_store import stored
from marketplace.extensions import db


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
