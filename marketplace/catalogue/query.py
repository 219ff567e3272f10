"""Reading what a buyer typed into the search box. Pure: no database.

Words narrow the results (AND), "quoted words" match as a phrase, -word excludes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from marketplace.catalogue import stemming

_TOKEN = re.compile(r'(-?)"([^"]*)"|(-?)(\S+)')
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
MAX_TERMS = 12


@dataclass(frozen=True)
class ParsedQuery:
    words: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Nothing to match on (exclusions alone cannot select anything)."""
        return not self.words and not self.phrases


def _words(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def parse(text: str) -> ParsedQuery:
    words: list[str] = []
    phrases: list[list[str]] = []
    excluded: list[str] = []
    for negated_phrase, phrase, negated, token in _TOKEN.findall(text or ""):
        if phrase or negated_phrase:
            parts = _words(phrase)
            if not parts:
                continue
            if negated_phrase:
                excluded.extend(parts[:1])
            elif len(parts) == 1:
                words.append(parts[0])
            else:
                phrases.append(parts)
        else:
            parts = _words(token)
            (excluded if negated and parts else words).extend(parts)
    return ParsedQuery(words[:MAX_TERMS], phrases[:MAX_TERMS], excluded[:MAX_TERMS])


def _quote(word: str) -> str:
    # FTS5 strings are double-quoted; our words hold no quotes, but be safe.
    return '"' + word.replace('"', '""') + '"'


def _any_form(text: str) -> str | None:
    """An FTS5 expression for a word or phrase in whichever language's form it is indexed."""
    quoted = [_quote(form) for form in stemming.forms(text)]
    if len(quoted) <= 1:
        return quoted[0] if quoted else None
    return "(" + " OR ".join(quoted) + ")"


def fts5_terms(query: ParsedQuery) -> list[str]:
    """One FTS5 expression per word and phrase of the query, each in any language's form."""
    texts = list(query.words) + [" ".join(p) for p in query.phrases]
    return [term for term in map(_any_form, texts) if term is not None]


def fts5_match(query: ParsedQuery) -> str | None:
    """The FTS5 MATCH expression for a parsed query; None when no word is left to match."""
    positive = fts5_terms(query)
    if not positive:
        return None
    excluded = [form for word in query.excluded for form in stemming.forms(word)]
    expression = " AND ".join(positive)
    if excluded:
        expression = f"({expression}) NOT ({' OR '.join(map(_quote, excluded))})"
    return expression


def websearch_text(query: ParsedQuery) -> str:
    """The query's words and phrases (not its exclusions) in PostgreSQL's
    ``websearch_to_tsquery`` syntax."""
    return " ".join(list(query.words) + ['"' + " ".join(p) + '"' for p in query.phrases])
