"""The catalogue's vocabulary: the words members use, for "did you mean" suggestions."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.extensions import db


class SearchTerm(db.Model):  # type: ignore[name-defined]
    """A keyword of published work and in how many assets it appears (refreshed by a task)."""

    __tablename__ = "search_terms"

    term: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    documents: Mapped[int] = mapped_column(sa.Integer, nullable=False)
