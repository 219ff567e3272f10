"""The catalogue's own words: "did you mean" for misspellings, broader searches for none.

The vocabulary is the keywords of published work with their language and document counts,
rebuilt by a periodic task (aggregating a million assets' keywords on every publish would be
wasteful). A correction is looked for among the words of the query's language first: the
language of the query's other words when the vocabulary knows them, else the reader's.
"""

from __future__ import annotations

import difflib

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.catalogue.engines import SearchFilters, engine_for
from marketplace.catalogue.models import SearchTerm
from marketplace.catalogue.query import ParsedQuery
from marketplace.database import unit_of_work
from marketplace.extensions import db
from marketplace.i18n.languages import DEFAULT_LANGUAGE

MAX_BROADER = 3


def refresh_vocabulary() -> int:
    """Rebuild the vocabulary from the keywords of work for sale; returns its size."""
    with unit_of_work() as session:
        dialect = session.get_bind().dialect.name
        if dialect == "postgresql":
            # Two rebuilds at once (a beat tick while another still runs, or two worker children)
            # would both delete, then the second insert would collide with the first's rows. This
            # mode conflicts with itself but not with the searches reading the vocabulary.
            session.execute(sa.text("LOCK TABLE search_terms IN SHARE ROW EXCLUSIVE MODE"))
        session.execute(sa.delete(SearchTerm))
        if dialect == "postgresql":
            words = (
                "SELECT lower(value) AS term, assets.language, count(*) FROM assets, "
                "json_array_elements_text(assets.keywords) AS value"
            )
        else:
            words = (
                "SELECT lower(value) AS term, assets.language, count(*) "
                "FROM assets, json_each(assets.keywords)"
            )
        session.execute(
            sa.text(
                f"INSERT INTO search_terms (term, language, documents) {words} "
                "WHERE assets.status = 'published' AND assets.withdrawn_at IS NULL "
                "AND length(value) BETWEEN 2 AND 60 GROUP BY lower(value), assets.language"
            )
        )
        size = session.execute(sa.select(sa.func.count()).select_from(SearchTerm)).scalar_one()
    return int(size)


def _known(session: Session, words: list[str]) -> dict[str, set[str]]:
    """The query's words the vocabulary holds, each with the languages it is a word of."""
    known: dict[str, set[str]] = {}
    rows = session.execute(
        sa.select(SearchTerm.term, SearchTerm.language).where(SearchTerm.term.in_(words))
    )
    for term, language in rows:
        known.setdefault(term, set()).add(language)
    return known


def _closest(session: Session, word: str, language: str) -> str | None:
    """The vocabulary's word nearest ``word``, one of ``language`` when one is near enough."""
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(
            sa.text(
                "SELECT term FROM search_terms WHERE term % :word "
                "ORDER BY language = :language DESC, similarity(term, :word) DESC, "
                "documents DESC LIMIT 1"
            ),
            {"word": word, "language": language},
        ).scalar_one_or_none()
    # SQLite: compare with the words that share the first letter (a bounded set), those of the
    # language first.
    rows = session.execute(
        sa.select(SearchTerm.term, SearchTerm.language)
        .where(SearchTerm.term.like(f"{word[:1]}%"))
        .order_by(SearchTerm.documents.desc())
        .limit(5000)
    ).all()
    for candidates in (
        [term for term, of in rows if of == language],
        [term for term, of in rows if of != language],
    ):
        matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
        if matches:
            return matches[0]
    return None


def _query_language(known: dict[str, set[str]], reader_language: str) -> str:
    """The language the query's known words share, else the reader's."""
    shared = set.intersection(*known.values()) if known else set()
    if reader_language in shared or not shared:
        return reader_language
    return sorted(shared)[0]


def did_you_mean(query: ParsedQuery, reader_language: str = DEFAULT_LANGUAGE) -> str | None:
    """The query with unknown words replaced by the closest catalogue words, if any changed;
    words of the query's language first (``reader_language`` when the query does not say)."""
    if not query.words:
        return None
    session = db.session()
    known = _known(session, query.words)
    language = _query_language(known, reader_language)
    changed = False
    corrected = []
    for word in query.words:
        replacement = None if word in known else _closest(session, word, language)
        changed = changed or (replacement is not None and replacement != word)
        corrected.append(replacement or word)
    if not changed:
        return None
    parts = corrected + ['"' + " ".join(p) + '"' for p in query.phrases]
    return " ".join(parts + [f"-{w}" for w in query.excluded])


def broader_searches(filters: SearchFilters) -> list[str]:
    """Queries with one word fewer that do find something (for a search that found nothing)."""
    words = filters.query.words
    if len(words) < 2:
        return []
    session = db.session()
    engine = engine_for(session)
    found = []
    for left_out in words:
        narrower = [w for w in words if w != left_out]
        query = ParsedQuery(narrower, filters.query.phrases, filters.query.excluded)
        attempt = SearchFilters(**{**filters.__dict__, "query": query})
        if engine.search(session, attempt, 1, 1).ids:
            found.append(" ".join(narrower))
        if len(found) == MAX_BROADER:
            break
    return found
