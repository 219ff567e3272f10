"""Related work kept in ``related_works``: refreshed by a worker when a work changes, read by pages.

Any commit that puts a work on sale, takes it off sale, or changes what likeness is judged on
(keywords, perceptual hash, colours, title, publication date) queues ``catalogue.refresh_related``
for it, found centrally from SQLAlchemy's flush events (as the page cache finds its changes), so
no service has to remember to. The task (``refresh``) recomputes the work's own row, the "more
from the artist" lists of the artist's other work (the newest works changed), and the similar
lists of the works found similar to it (likeness is mostly mutual, so the new work shows up on
their pages too). Other pages catch up at the next ``refresh_all`` (``flask catalogue
refresh-related``), which also fills rows for work published before this table existed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, UOWTransaction

from marketplace.assets.models import Asset
from marketplace.background import PENDING_KEY, enqueue
from marketplace.catalogue import related_compute as compute
from marketplace.catalogue.models import RelatedWorks
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db

TASK = "catalogue.refresh_related"
# What similarity and the artist's list are judged on: a change to any of these, on work for
# sale, changes the lists.
LIKENESS_COLUMNS = ("keywords", "phash", "dominant_colours", "title", "published_at")
SALE_COLUMNS = ("status", "withdrawn_at")
BACKFILL_BATCH = 200


def stored(asset_id: int) -> RelatedWorks | None:
    """The asset's prepared row (one primary-key read, then the session's identity map)."""
    return db.session.get(RelatedWorks, asset_id)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RelatedWorks).values(rows)
    # Two workers may refresh the same work at once: the later write wins, neither fails.
    statement = statement.on_conflict_do_update(
        index_elements=[RelatedWorks.asset_id],
        set_={
            "similar_ids": statement.excluded.similar_ids,
            "artist_ids": statement.excluded.artist_ids,
            "computed_at": statement.excluded.computed_at,
        },
    )
    session.execute(statement)


def _artist_lists(member_id: int) -> tuple[list[int], dict[int, list[int]]]:
    """The member's newest works, and each of those works' own "more from the artist" list.

    Every other work of the member shows the newest ``RELATED_LIMIT``; one of the newest shows
    the newest but itself.
    """
    limit = compute.RELATED_LIMIT
    newest = compute.newest_of_member(member_id, limit + 1)
    own = {asset_id: [i for i in newest if i != asset_id][:limit] for asset_id in newest}
    return newest[:limit], own


def _refresh_artist_lists(session: Session, member_id: int) -> None:
    """Bring every stored row of the member's for-sale work up to date (two statements)."""
    newest, own = _artist_lists(member_id)
    for asset_id, ids in own.items():
        session.execute(
            sa.update(RelatedWorks).where(RelatedWorks.asset_id == asset_id).values(artist_ids=ids)
        )
    others = sa.select(Asset.id).where(
        Asset.member_id == member_id, *compute.for_sale(), Asset.id.not_in(list(own) or [0])
    )
    session.execute(
        sa.update(RelatedWorks)
        .where(RelatedWorks.asset_id.in_(others))
        .values(artist_ids=newest)
        .execution_options(synchronize_session=False)
    )


def _own_artist_ids(asset: Asset) -> list[int]:
    """The asset's "more from the artist": the member's newest for-sale work but itself."""
    newest = compute.newest_of_member(asset.member_id, compute.RELATED_LIMIT + 1)
    return [i for i in newest if i != asset.id][: compute.RELATED_LIMIT]


def _row(asset: Asset, artist_ids: list[int]) -> dict[str, Any]:
    return {
        "asset_id": asset.id,
        "similar_ids": compute.similar_ids(asset, compute.SIMILAR_KEPT),
        "artist_ids": artist_ids,
        "computed_at": utcnow(),
    }


def refresh(asset_id: int) -> bool:
    """Recompute the related work of one asset and of the pages it appears on.

    Work for sale gets its row (and the works found similar to it get theirs recomputed);
    work no longer for sale loses it. Returns whether the asset is for sale. Idempotent.
    """
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        if asset is None:
            return False
        if not asset.for_sale:
            session.execute(sa.delete(RelatedWorks).where(RelatedWorks.asset_id == asset_id))
            _refresh_artist_lists(session, asset.member_id)
            return False
        row = _row(asset, _own_artist_ids(asset))
        _upsert(session, [row])
        _refresh_artist_lists(session, asset.member_id)
        neighbours = session.execute(
            sa.select(Asset)
            .join(RelatedWorks, RelatedWorks.asset_id == Asset.id)
            .where(Asset.id.in_(row["similar_ids"][: compute.RELATED_LIMIT]), *compute.for_sale())
        ).scalars()
        _upsert(session, [_recomputed_similar(session, n) for n in neighbours])
    return True


def _recomputed_similar(session: Session, asset: Asset) -> dict[str, Any]:
    current = session.get(RelatedWorks, asset.id)
    artist_ids = list(current.artist_ids) if current is not None else []
    return _row(asset, artist_ids)


def refresh_all(*, missing_only: bool = True, batch: int = BACKFILL_BATCH) -> int:
    """Compute the row of every for-sale work (only those without one, by default).

    Commits every ``batch`` works, so a long backfill can be stopped and started again.
    Returns how many rows were written.
    """
    written = 0
    after = 0
    while True:
        with unit_of_work() as session:
            query = sa.select(Asset).where(*compute.for_sale(), Asset.id > after)
            if missing_only:
                query = query.where(
                    ~sa.exists().where(RelatedWorks.asset_id == Asset.id).correlate(Asset)
                )
            assets = list(session.execute(query.order_by(Asset.id).limit(batch)).scalars())
            if not assets:
                return written
            _upsert(session, [_row(asset, _own_artist_ids(asset)) for asset in assets])
            written += len(assets)
            after = assets[-1].id


def refresh_some(asset_ids: Iterable[int]) -> int:
    """Compute the rows of the given works only (those for sale); returns how many."""
    written = 0
    for asset_id in asset_ids:
        written += refresh(asset_id)
    return written


# --- which commits change related work ---------------------------------------------------------


def _changed(asset: Asset, names: tuple[str, ...]) -> bool:
    attrs: Any = sa.inspect(asset).attrs
    return any(attrs[name].history.has_changes() for name in names)


def _before(asset: Asset, name: str) -> Any:
    history: Any = sa.inspect(asset).attrs[name].history
    if history.deleted:
        return history.deleted[0]
    return getattr(asset, name)


def _needs_refresh(asset: Asset, *, new: bool) -> bool:
    """Did this flush put the asset on sale, take it off, or change it while on sale?"""
    if new:
        return bool(asset.for_sale)
    if asset.for_sale:
        return _changed(asset, SALE_COLUMNS + LIKENESS_COLUMNS)
    return _before(asset, "status") == "published" and _before(asset, "withdrawn_at") is None


@event.listens_for(Session, "after_flush")
def _queue_refreshes(session: Session, flush_context: UOWTransaction) -> None:
    # Sent after the commit (marketplace.background), dropped on rollback.
    queued = session.info.get(PENDING_KEY, [])
    for obj, new in [(o, True) for o in session.new] + [(o, False) for o in session.dirty]:
        if not isinstance(obj, Asset) or obj.id is None or not _needs_refresh(obj, new=new):
            continue
        if (TASK, (obj.id,)) not in queued:
            enqueue(session, TASK, obj.id)
            queued = session.info[PENDING_KEY]
