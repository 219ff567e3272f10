"""The catalogue's vocabulary ("did you mean") and each asset's related work, prepared ahead."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class SearchTerm(db.Model):  # type: ignore[name-defined]
    """A keyword of published work in one language, and in how many assets it appears
    (refreshed by a task)."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    language: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    documents: Mapped[int] = mapped_column(sa.Integer, nullable=False)


class RelatedWorks(db.Model):  # type: ignore[name-defined]
    """An asset's related work, prepared by a worker so that its page never computes it.

    Ids of other for-sale work, best first, as they were when ``computed_at``: the page still
    shows only those for sale when it is viewed. No row yet means not computed yet.
    """

    __tablename__ = "related_works"

    asset_id: Mapped[int] = mapped_column(
        sa.ForeignKey("assets.id", ondelete="CASCADE"), primary_key=True
    )
    similar_ids: Mapped[list[int]] = mapped_column(sa.JSON, nullable=False, default=list)
    artist_ids: Mapped[list[int]] = mapped_column(sa.JSON, nullable=False, default=list)
    computed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
