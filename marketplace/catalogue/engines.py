"""Search engines behind one small interface: SQLite FTS5 (demo) and PostgreSQL (production).

The work is bounded on purpose: ranking considers at most ``RANK_CAP`` matches, and counting
stops at ``COUNT_CAP`` (the API then says the total is an estimate). A co-op that outgrows
PostgreSQL can add an OpenSearch engine with the same two methods.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.assets.models import Asset
from marketplace.catalogue.query import ParsedQuery, fts5_match, websearch_text
from marketplace.membership.models import Member

RANK_CAP = 5000
# Weighted RGB distance (green counts most, as the eye sees it): about 45 levels per channel.
COLOUR_WEIGHTS = (2, 4, 3)
COLOUR_DISTANCE_MAX = sum(COLOUR_WEIGHTS) * 45**2
COUNT_CAP = 10_000
PANORAMIC_RATIO = 2.0


@dataclass(frozen=True)
class SearchFilters:
    query: ParsedQuery = field(default_factory=ParsedQuery)
    kind: str | None = None
    orientation: str | None = None
    contributor: int | None = None  # member number
    people: bool | None = None
    min_pixels: int | None = None
    added_since: datetime | None = None
    colour: tuple[int, int, int] | None = None
    sort: str = "relevance"


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]
    total: int
    total_exact: bool


class SearchEngine(Protocol):
    def search(
        self, session: Session, filters: SearchFilters, page: int, per_page: int
    ) -> SearchPage:
        """The ids of one page of for-sale assets matching ``filters``, best first."""


def _catalogue_conditions(filters: SearchFilters) -> list[Any]:
    """What every engine filters on, on the assets table: only work that is for sale."""
    conditions: list[Any] = [Asset.status == "published", Asset.withdrawn_at.is_(None)]
    if filters.kind:
        conditions.append(Asset.kind == filters.kind)
    if filters.orientation == "landscape":
        conditions.append(Asset.width > Asset.height)
    elif filters.orientation == "portrait":
        conditions.append(Asset.height > Asset.width)
    elif filters.orientation == "square":
        conditions.append(Asset.width == Asset.height)
    elif filters.orientation == "panoramic":
        conditions.append(Asset.width >= Asset.height * PANORAMIC_RATIO)
    if filters.contributor is not None:
        conditions.append(
            Asset.member_id.in_(
                sa.select(Member.id).where(Member.member_number == filters.contributor)
            )
        )
    if filters.people is not None:
        conditions.append(Asset.has_people.is_(filters.people))
    if filters.min_pixels:
        conditions.append(Asset.width * Asset.height >= filters.min_pixels)
    if filters.added_since is not None:
        conditions.append(Asset.published_at >= filters.added_since)
    if filters.colour is not None:
        (r, g, b), (wr, wg, wb) = filters.colour, COLOUR_WEIGHTS
        distance = (
            wr * (Asset.colour_r - r) * (Asset.colour_r - r)
            + wg * (Asset.colour_g - g) * (Asset.colour_g - g)
            + wb * (Asset.colour_b - b) * (Asset.colour_b - b)
        )
        conditions.append(distance <= COLOUR_DISTANCE_MAX)
    return conditions


def _page(
    session: Session,
    candidates: sa.Select[Any],
    rank_order: Any,
    filters: SearchFilters,
    page: int,
    per_page: int,
) -> SearchPage:
    capped = candidates.limit(RANK_CAP).subquery("candidates")
    if filters.sort == "newest" or rank_order is None:
        order = [capped.c.published_at.desc(), capped.c.id.desc()]
    else:
        order = [rank_order(capped.c.rank), capped.c.id.desc()]
    ids = list(
        session.execute(
            sa.select(capped.c.id).order_by(*order).limit(per_page).offset((page - 1) * per_page)
        ).scalars()
    )
    counted = candidates.with_only_columns(sa.literal(1)).limit(COUNT_CAP + 1).subquery()
    total = int(session.execute(sa.select(sa.func.count()).select_from(counted)).scalar_one())
    return SearchPage(ids=ids, total=min(total, COUNT_CAP), total_exact=total <= COUNT_CAP)


class SqliteSearchEngine:
    """FTS5 with the porter stemmer; bm25 weights title and keywords over description."""

    def search(
        self, session: Session, filters: SearchFilters, page: int, per_page: int
    ) -> SearchPage:
        conditions = _catalogue_conditions(filters)
        columns: list[Any] = [Asset.id.label("id"), Asset.published_at.label("published_at")]
        if filters.query.is_empty:
            candidates = sa.select(*columns).where(*conditions)
            return _page(session, candidates, None, filters, page, per_page)
        fts = sa.table("asset_search", sa.column("rowid"))
        rank = sa.func.bm25(sa.literal_column("asset_search"), 10.0, 10.0, 1.0)
        candidates = (
            sa.select(*columns, rank.label("rank"))
            .select_from(fts.join(Asset, Asset.id == fts.c.rowid))
            .where(sa.text("asset_search MATCH :match").bindparams(match=fts5_match(filters.query)))
            .where(*conditions)
        )
        # bm25: lower is better.
        return _page(session, candidates, lambda column: column.asc(), filters, page, per_page)


class PostgresSearchEngine:
    """A weighted, generated tsvector with a GIN index; ts_rank_cd orders the matches."""

    def search(
        self, session: Session, filters: SearchFilters, page: int, per_page: int
    ) -> SearchPage:
        conditions = _catalogue_conditions(filters)
        columns: list[Any] = [Asset.id.label("id"), Asset.published_at.label("published_at")]
        if filters.query.is_empty:
            candidates = sa.select(*columns).where(*conditions)
            return _page(session, candidates, None, filters, page, per_page)
        tsquery = sa.func.websearch_to_tsquery(
            sa.literal_column("'english'::regconfig"), websearch_text(filters.query)
        )
        vector: Any = sa.literal_column("assets.search_vector")
        candidates = (
            sa.select(*columns, sa.func.ts_rank_cd(vector, tsquery).label("rank"))
            .where(vector.op("@@")(tsquery))
            .where(*conditions)
        )
        return _page(session, candidates, lambda column: column.desc(), filters, page, per_page)


def engine_for(session: Session) -> SearchEngine:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostgresSearchEngine()
    if dialect == "sqlite":
        return SqliteSearchEngine()
    raise RuntimeError(f"No search engine for the {dialect} database.")
