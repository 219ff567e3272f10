"""The catalogue's own words: "did you mean" for misspellings, broader searches for none.

The vocabulary is the keywords of published work with their document counts, rebuilt by a
periodic task (aggregating a million assets' keywords on every publish would be wasteful).
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
                "SELECT lower(value) AS term, count(*) FROM assets, "
                "json_array_elements_text(assets.keywords) AS value"
            )
        else:
            words = "SELECT lower(value) AS term, count(*) FROM assets, json_each(assets.keywords)"
        session.execute(
            sa.text(
                f"INSERT INTO search_terms (term, documents) {words} "
                "WHERE assets.status = 'published' AND assets.withdrawn_at IS NULL "
                "AND length(value) BETWEEN 2 AND 60 GROUP BY lower(value)"
            )
        )
        size = session.execute(sa.select(sa.func.count()).select_from(SearchTerm)).scalar_one()
    return int(size)


def _known(session: Session, words: list[str]) -> set[str]:
    return set(
        session.execute(sa.select(SearchTerm.term).where(SearchTerm.term.in_(words))).scalars()
    )


def _closest(session: Session, word: str) -> str | None:
    if session.get_bind().dialect.name == "postgresql":
        return session.execute(
            sa.text(
                "SELECT term FROM search_terms WHERE term % :word "
                "ORDER BY similarity(term, :word) DESC, documents DESC LIMIT 1"
            ),
            {"word": word},
        ).scalar_one_or_none()
    # SQLite: compare with the words that share the first letter (a bounded set).
    candidates = list(
        session.execute(
            sa.select(SearchTerm.term)
            .where(SearchTerm.term.like(f"{word[:1]}%"))
            .order_by(SearchTerm.documents.desc())
            .limit(5000)
        ).scalars()
    )
    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.75)
    return matches[0] if matches else None


def did_you_mean(query: ParsedQuery) -> str | None:
    """The query with unknown words replaced by the closest catalogue words, if any changed."""
    if not query.words:
        return None
    session = db.session()
    known = _known(session, query.words)
    changed = False
    corrected = []
    for word in query.words:
        replacement = None if word in known else _closest(session, word)
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
