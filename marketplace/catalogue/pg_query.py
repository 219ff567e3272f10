"""A buyer's words as a PostgreSQL tsquery that finds work in whichever language it is in.

Each work is indexed with its language's text search configuration (migration 0033), so the
query is parsed with each of them and the parses are ORed: "bateaux" is 'bateau' to French
and 'bateaux' to English. Most parses are the same ('food' in every language), and each branch
costs: every candidate row is matched and ranked against the whole query (four identical
branches made a common word's page about 40 % slower at 100,000 assets). So PostgreSQL parses
the words once per configuration in one round trip, and the tsquery keeps only the distinct
branches, and not a branch that asks for more than another one does ('the' & 'boat' in French
finds nothing that 'boat' in English does not). Exclusions apply in every form.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.catalogue.query import ParsedQuery, websearch_text

# Migration 0033's configurations: PostgreSQL's own stemmers, each with unaccent first; the
# languages without one are indexed with coop_simple (word for word).
POSTGRESQL_CONFIGS = {"en": "coop_english", "fr": "coop_french", "es": "coop_spanish"}
POSTGRESQL_OTHER_CONFIG = "coop_simple"
ALL_CONFIGS = [*POSTGRESQL_CONFIGS.values(), POSTGRESQL_OTHER_CONFIG]

_PARSES = sa.text(
    "SELECT 0 AS part, websearch_to_tsquery(c::regconfig, :text)::text AS parsed "
    "FROM unnest(CAST(:configs AS text[])) AS c(c) "
    "UNION ALL SELECT 1, plainto_tsquery(c::regconfig, w)::text "
    "FROM unnest(CAST(:configs AS text[])) AS c(c), unnest(CAST(:excluded AS text[])) AS w(w)"
)
# A parse made only of lexemes ANDed together: "'the' & 'boat'".
_CONJUNCTION = re.compile(r"^'(?:[^']|'')*'(?: & '(?:[^']|'')*')*$")


def _terms(parsed: str) -> frozenset[str] | None:
    """The lexemes of a plain conjunction, or None for anything else (phrases, ORs, NOTs)."""
    if not _CONJUNCTION.match(parsed):
        return None
    return frozenset(parsed.split(" & "))


def _needed(branches: list[str]) -> list[str]:
    """The distinct branches, without those that imply another (a superset of its lexemes)."""
    distinct = list(dict.fromkeys(b for b in branches if b))
    kept = []
    for branch in distinct:
        terms = _terms(branch)
        implied = terms is not None and any(
            other != branch and (other_terms := _terms(other)) is not None and other_terms < terms
            for other in distinct
        )
        if not implied:
            kept.append(branch)
    return kept


def tsquery_in_every_language(session: Session, query: ParsedQuery) -> str | None:
    """The query's tsquery text (for ``CAST(... AS tsquery)``), or None when no configuration
    finds a word to look for (stop words only)."""
    rows = session.execute(
        _PARSES,
        {"text": websearch_text(query), "configs": ALL_CONFIGS, "excluded": query.excluded},
    ).all()
    wanted = _needed([parsed for part, parsed in rows if part == 0])
    if not wanted:
        return None
    unwanted = list(dict.fromkeys(parsed for part, parsed in rows if part == 1 and parsed))
    text = " | ".join(f"( {branch} )" for branch in wanted) if len(wanted) > 1 else wanted[0]
    if unwanted:
        text = f"( {text} ) & !( {' | '.join(unwanted)} )"
    return text
