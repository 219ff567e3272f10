"""Counting views of a work's page: one row per work and UTC day, bumped by a single upsert.

The asset page is served from the page cache, so the server does not see most views; the page
asks for ``assets.count_view`` from the browser instead (templates/assets/_view_beacon.html).
Its owner's own views are not counted, nor views of work that is not on sale.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from marketplace.accounts.models import User
from marketplace.assets.models import Asset, AssetViewDay
from marketplace.database import unit_of_work
from marketplace.membership.models import membership_of


def count_view(viewer: User | None, asset_id: int, today: date) -> bool:
    """Add one view of ``asset_id`` on ``today``; False (nothing counted) when the asset is not
    on sale or the viewer is its owner."""
    with unit_of_work() as session:
        row = session.execute(
            sa.select(Asset.member_id, Asset.status, Asset.withdrawn_at).where(Asset.id == asset_id)
        ).one_or_none()
        if row is None:
            return False
        member_id, status, withdrawn_at = row
        if status != "published" or withdrawn_at is not None:
            return False
        if viewer is not None and viewer.is_authenticated:
            own = membership_of(viewer)
            if own is not None and own.id == member_id:
                return False
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = dialect.insert(AssetViewDay).values(asset_id=asset_id, day=today, views=1)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=[AssetViewDay.asset_id, AssetViewDay.day],
                set_={"views": AssetViewDay.views + 1},
            )
        )
    return True
