"""Numbered pages of a long list that cost no more at the end than at the start.

``OFFSET n`` makes the database read and drop ``n`` rows, so with plain offset pagination the
last page of a million orders reads the whole table. ``two_way_paginate`` reads a page from
whichever end of the list is nearer: the same select in the opposite order, a small offset,
the rows turned back round. The first and the last pages cost one short index scan each, a
page in the middle at most half the list; the count is the same ``count(*)`` as before, and
the ``Pagination`` object is Flask-SQLAlchemy's own, so templates do not change.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy.orm import Session


class _TwoWayPagination(SelectPagination):
    _total_rows: int | None = None

    def _query_count(self) -> int:
        if self._total_rows is None:
            self._total_rows = super()._query_count()
        return self._total_rows

    def _query_items(self) -> list[Any]:
        total = self._query_count()
        offset = self._query_offset
        if offset * 2 <= total:
            return super()._query_items()
        rows_left = total - offset
        if rows_left <= 0:
            return []
        # Rows offset .. offset + per_page - 1 counted from the start are, counted from the
        # end, rows total - offset - per_page .. total - offset - 1 (fewer on the last page).
        from_end = max(total - offset - self.per_page, 0)
        select = self._query_args["backwards"].limit(min(self.per_page, rows_left))
        session: Session = self._query_args["session"]
        found = list(session.execute(select.offset(from_end)).unique().scalars())
        found.reverse()
        return found


def two_way_paginate(
    select: sa.Select[Any],
    backwards: sa.Select[Any],
    session: Session,
    page: int,
    per_page: int,
) -> Pagination:
    """One page of ``select``; ``backwards`` is the same select ordered exactly the other way.

    Both orders must end in a unique column (an id), so that the two agree row for row.
    """
    return _TwoWayPagination(
        select=select,
        backwards=backwards,
        session=session,
        page=page,
        per_page=per_page,
        error_out=False,
    )
