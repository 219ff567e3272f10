"""Search engines behind one small interface: SQLite FTS5 (demo) and PostgreSQL (production).

The work is bounded on purpose, because ranking every match of a common word in a million
assets costs 90-140 ms: with words, the candidates are the newest ``RANK_CAP`` matching
uploads (plus one, to know there are more), which every sort (relevance, newest, most
licensed) then orders among themselves; the page and the total come from one query. The total
is exact up to ``RANK_CAP``; beyond, it is an estimate and the API says so. Without words,
partial indexes give the sort's order over the whole catalogue. The selective filters (video,
square, panoramic; on SQLite also people and portrait) are terms of the full-text index
(migration 0006), so the index intersects them with the words. On SQLite, the candidates'
columns come from an index of their own (migration 0017), and a query with a phrase ranks
fewer matches (``PHRASE_RANK_CAP``). A co-op that outgrows PostgreSQL can add an OpenSearch
engine with the same method.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.selectable import Join

from marketplace.assets.models import Asset
from marketplace.catalogue.pg_query import tsquery_in_every_language
from marketplace.catalogue.query import ParsedQuery, fts5_match, fts5_terms
from marketplace.membership.models import Member

# At most this many matches are ranked and counted (the newest, or most licensed).
RANK_CAP = 5000
# SQLite, a query with a phrase: FTS5 reads the word positions of every document holding all
# the phrase's words. For two common words that is 20-30 ms to find 5,000 matches at a million
# assets, and the relevance reads them again for the title. So phrases rank the newest 1,000.
PHRASE_RANK_CAP = 1000
# Weighted RGB distance (green counts most, as the eye sees it): about 45 levels per channel.
COLOUR_WEIGHTS = (2, 4, 3)
COLOUR_DISTANCE_MAX = sum(COLOUR_WEIGHTS) * 45**2
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
    # The engine stopped counting at its cap: "more than" total (else an estimate, "about").
    total_is_lower_bound: bool = False


class SearchEngine(Protocol):
    def search(
        self, session: Session, filters: SearchFilters, page: int, per_page: int
    ) -> SearchPage:
        """The ids of one page of for-sale assets matching ``filters``, best first."""


def _catalogue_conditions(filters: SearchFilters) -> list[Any]:
    """What every engine filters on, on the assets table: only work that is for sale."""
    # A literal, not a parameter: the planners prove from it that the partial indexes of the work
    # for sale (migrations 0006, 0017) hold every row wanted; SQLite uses none otherwise.
    for_sale = sa.literal("published", literal_execute=True)
    conditions: list[Any] = [Asset.status == for_sale, Asset.withdrawn_at.is_(None)]
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
        # Bound as BIGINT: a large minimum is not a 32-bit integer on PostgreSQL.
        conditions.append(
            Asset.width * Asset.height >= sa.literal(filters.min_pixels, sa.BigInteger)
        )
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


# The filters that are terms of the full-text index (migration 0006: every filter of kind,
# orientation and people is there): the selective ones, each under a tenth of a catalogue.
INDEXED_FILTERS = {
    ("kind", "video"): "facetkindvideo",
    ("orientation", "square"): "facetsquare",
    ("orientation", "panoramic"): "facetpanoramic",
}
# SQLite: also those that keep about a third (people, portrait: 35 % and 31 % of a million in
# bench/search.py). FTS5 walks its index newest first, and a word ANDed with one of these
# reads fewer entries than the rows the join would read and reject (1.4-2x faster measured).
# Not those that keep most (no people, landscape, photo: 65-92 %), where it is the reverse.
SQLITE_INDEXED_FILTERS = {
    **INDEXED_FILTERS,
    ("people", "yes"): "facetpeople",
    ("orientation", "portrait"): "facetportrait",
}


def _indexed_filters(
    filters: SearchFilters, indexed: dict[tuple[str, str], str]
) -> tuple[list[str], SearchFilters]:
    """The filters that become index terms, and the filters left for the SQL conditions."""
    terms: list[str] = []
    if (term := indexed.get(("kind", filters.kind or ""))) is not None:
        terms.append(term)
        filters = replace(filters, kind=None)
    if (term := indexed.get(("orientation", filters.orientation or ""))) is not None:
        terms.append(term)
        filters = replace(filters, orientation=None)
    people = {True: "yes", False: "no", None: ""}[filters.people]
    if (term := indexed.get(("people", people))) is not None:
        terms.append(term)
        filters = replace(filters, people=None)
    return terms, filters


_CANDIDATE_COLUMNS = (
    Asset.id.label("id"),
    Asset.published_at.label("published_at"),
    Asset.times_licensed.label("times_licensed"),
)


def _browse_order(filters: SearchFilters) -> list[Any]:
    """Without words, the candidates follow the sort along a partial index (migration 0006)."""
    if filters.sort == "most_licensed":
        return [Asset.times_licensed.desc(), Asset.id.desc()]
    return [Asset.published_at.desc(), Asset.id.desc()]


def _page(
    session: Session,
    candidates: Any,
    filters: SearchFilters,
    page: int,
    per_page: int,
    cap: int | None = None,
) -> SearchPage:
    """One page of the candidates (at most ``cap`` + 1, RANK_CAP by default), best first,
    counted in the same query."""
    cap = RANK_CAP if cap is None else cap
    capped = candidates.subquery("candidates")
    order: list[Any]
    if filters.sort == "most_licensed":
        order = [capped.c.times_licensed.desc()]
    elif filters.sort == "newest" or "rank" not in capped.c:
        order = [capped.c.published_at.desc()]
    else:
        order = [capped.c.rank.desc(), capped.c.published_at.desc()]
    offset = (page - 1) * per_page
    # The extra candidate only tells that there are more: it is never shown.
    shown = min(per_page, cap - offset)
    rows = (
        session.execute(
            sa.select(capped.c.id, sa.func.count().over().label("total"))
            .order_by(*order, capped.c.id.desc())
            .limit(shown)
            .offset(offset)
        ).all()
        if shown > 0
        else []
    )
    if rows:
        total = int(rows[0].total)
    elif page == 1:
        total = 0
    else:  # past the last page (or the cap): count what there is
        total = int(session.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one())
    return SearchPage(
        ids=[row.id for row in rows],
        total=min(total, cap),
        total_exact=total <= cap,
        total_is_lower_bound=total > cap,
    )


def _browse(session: Session, filters: SearchFilters, page: int, per_page: int) -> SearchPage:
    """No words: work for sale in the sort's order, along a partial index (migration 0006)."""
    candidates = (
        sa.select(*_CANDIDATE_COLUMNS)
        .where(*_catalogue_conditions(filters))
        .order_by(*_browse_order(filters))
        .limit(RANK_CAP + 1)
    )
    return _page(session, candidates, filters, page, per_page)


# The columns a candidate needs (the sort's, the filters'), in a partial index of the work for
# sale (migration 0017): reading them there costs about a fifth of reading the wide assets row.
SQLITE_CANDIDATES_INDEX = "ix_assets_search_candidates"


class _CandidatesJoin(Join):
    """The full-text matches joined to assets through SQLITE_CANDIDATES_INDEX: SQLite's planner
    otherwise always looks the rowid up in the table itself."""

    inherit_cache = True


@compiles(_CandidatesJoin, "sqlite")
def _compile_candidates_join(join: _CandidatesJoin, compiler: SQLCompiler, **kw: Any) -> str:
    kw.pop("asfrom", None)
    # The on-clause also tells SQLAlchemy's FROM linter that the two sides are joined.
    assert join.onclause is not None  # noqa: S101 - built with one below, always
    return (
        compiler.process(join.left, asfrom=True, **kw)
        + " JOIN "
        + compiler.process(join.right, asfrom=True, **kw)
        + f" INDEXED BY {SQLITE_CANDIDATES_INDEX} ON "
        + compiler.process(join.onclause, **kw)
    )


class SqliteSearchEngine:
    """FTS5 over text stemmed in each work's language (``stemming``; migration 0033), each
    word of a query looked for in every language's form. Relevance: every word in the title
    or keywords first. FTS5's columns keep each field's positions apart: a phrase matches
    within one field.

    Not bm25: FTS5's bm25 first counts the documents holding each term, 40-60 ms for a word
    found in most of a million assets, whatever the LIMIT. Among the newest matches, those
    with all the words in the title or keywords rank first, then the newest. The work, at a
    million assets: FTS5 walking its index newest first (1-30 ms: the more words and index
    terms, or the rarer their conjunction, the longer), 1.5-2.5 us a candidate in the
    candidates' index, and the same walk again, column-filtered, for the relevance.
    """

    def search(
        self, session: Session, filters: SearchFilters, page: int, per_page: int
    ) -> SearchPage:
        if filters.query.is_empty:
            return _browse(session, filters, page, per_page)
        facets, rest = _indexed_filters(filters, SQLITE_INDEXED_FILTERS)
        cap = min(PHRASE_RANK_CAP, RANK_CAP) if filters.query.phrases else RANK_CAP
        expression = fts5_match(filters.query)
        if expression is None:  # nothing FTS5 indexes as a word (a lone combining accent)
            return SearchPage(ids=[], total=0, total_exact=True)
        # The filters' index terms, ANDed to both full-text queries below: the second then reads
        # the candidates, not every match of the words since the oldest candidate.
        in_facets = f" AND search_facets : ({' AND '.join(facets)})" if facets else ""
        expression = f"({expression}){in_facets}" if facets else expression
        fts = sa.table("asset_search", sa.column("rowid"))
        matching = (
            sa.select(*_CANDIDATE_COLUMNS)
            .select_from(_CandidatesJoin(fts, Asset.__table__, Asset.id == fts.c.rowid))
            .where(sa.text("asset_search MATCH :match").bindparams(match=expression))
            .where(*_catalogue_conditions(rest))
            # The newest uploads: FTS5 walks its index backwards and stops at the cap.
            .order_by(fts.c.rowid.desc())
            .limit(cap + 1)
        )
        if filters.sort != "relevance":
            return _page(session, matching, filters, page, per_page, cap)
        newest = matching.cte("newest")
        terms = fts5_terms(filters.query)
        titled = sa.table("asset_search", sa.column("rowid")).alias("titled")
        in_title = (
            sa.select(titled.c.rowid)
            .where(
                sa.text("titled.asset_search MATCH :in_title").bindparams(
                    in_title="{title keywords_text} : (" + " AND ".join(terms) + ")" + in_facets
                )
            )
            # Only among the candidates: FTS5 seeks its index to the oldest one.
            .where(titled.c.rowid >= sa.select(sa.func.min(newest.c.id)).scalar_subquery())
            .subquery("in_title")
        )
        ranked = sa.select(
            newest.c.id,
            newest.c.published_at,
            newest.c.times_licensed,
            sa.case((in_title.c.rowid.is_not(None), 1), else_=0).label("rank"),
        ).select_from(newest.outerjoin(in_title, in_title.c.rowid == newest.c.id))
        return _page(session, ranked, filters, page, per_page, cap)


# PostgreSQL visits a heap row for each candidate (rank, status, date): about 2 us each in id
# order, 6-15 us in a bitmap's random order. The window bounds those visits whatever the
# words: the newest WINDOW_ROWS assets first; the whole catalogue only when the planner
# expects the full-text index to give at most FULL_SCAN_MAX rows.
WINDOW_ROWS = 20_000
FULL_SCAN_MAX = 4_000


class PostgresSearchEngine:
    """A weighted tsvector generated in each work's language, with a GIN index; ts_rank_cd
    orders the candidates. A gap of positions between title, keywords and description keeps
    a phrase within one field (migration 0033)."""

    def search(
        self, session: Session, filters: SearchFilters, page: int, per_page: int
    ) -> SearchPage:
        if filters.query.is_empty:
            return _browse(session, filters, page, per_page)
        facets, rest = _indexed_filters(filters, INDEXED_FILTERS)
        parsed = tsquery_in_every_language(session, filters.query)
        if parsed is None:  # only stop words
            return SearchPage(ids=[], total=0, total_exact=True)
        words: Any = sa.cast(sa.literal(parsed), TSQUERY)
        wanted = words
        if facets:
            wanted = words.op("&&")(
                sa.func.to_tsquery(sa.literal_column("'simple'::regconfig"), " & ".join(facets))
            )
        vector: Any = sa.literal_column("assets.search_vector")
        match = vector.op("@@")(wanted)
        matching = (
            sa.select(*_CANDIDATE_COLUMNS, sa.func.ts_rank_cd(vector, words).label("rank"))
            .where(match)
            .where(*_catalogue_conditions(rest))
        )
        newest_id = int(session.execute(sa.select(sa.func.max(Asset.id))).scalar() or 0)
        # A literal, not a parameter: the plan (also psycopg's prepared, generic one) sees it.
        start = sa.literal(newest_id - WINDOW_ROWS, literal_execute=True)
        windowed = matching.where(Asset.id > start).order_by(Asset.id.desc()).limit(RANK_CAP + 1)
        found = _page(session, windowed, filters, page, per_page)
        if newest_id <= WINDOW_ROWS or not found.total_exact:
            return found
        estimate = round(found.total * newest_id / WINDOW_ROWS)
        # The planner misjudges ORed words (the words parsed differently in several languages,
        # "femme gens": 2,101 expected, 10,410 at 100,000 assets) and would rank them all: then
        # the window's share of the catalogue must also say that few match. Not otherwise: the
        # matches of a word in fashion are mostly in the window.
        ored = " | " in parsed
        if (not ored or estimate <= FULL_SCAN_MAX) and self._expected_rows(
            session, match
        ) <= FULL_SCAN_MAX:
            # "id + 0": sort the bitmap's rows; walking pk_assets backwards could read them all.
            everything = matching.order_by((Asset.id + 0).desc()).limit(RANK_CAP + 1)
            return _page(session, everything, filters, page, per_page)
        # Common words, rarer together: the newest matches, the total extrapolated from the
        # window (the page shows "about").
        return SearchPage(ids=found.ids, total=max(estimate, found.total), total_exact=False)

    @staticmethod
    def _expected_rows(session: Session, match: Any) -> int:
        """The planner's estimate of the assets matching ``match``."""
        visited = sa.select(sa.literal(1)).select_from(Asset).where(match)
        compiled = visited.compile(dialect=session.get_bind().dialect)
        plan = (
            session.connection()
            .exec_driver_sql("EXPLAIN (FORMAT JSON) " + str(compiled), compiled.params)
            .scalar_one()
        )
        return int(plan[0]["Plan"]["Plan Rows"])


def engine_for(session: Session) -> SearchEngine:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return PostgresSearchEngine()
    if dialect == "sqlite":
        return SqliteSearchEngine()
    raise RuntimeError(f"No search engine for the {dialect} database.")
