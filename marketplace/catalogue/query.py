"""Reading what a buyer typed into the search box. Pure: no database.

Words narrow the results (AND), "quoted words" match as a phrase, -word excludes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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


def fts5_match(query: ParsedQuery) -> str:
    """The FTS5 MATCH expression for a parsed query (which must not be empty)."""
    positive = [_quote(w) for w in query.words] + [_quote(" ".join(p)) for p in query.phrases]
    expression = " AND ".join(positive)
    for word in query.excluded:
        expression += f" NOT {_quote(word)}"
    return expression


def websearch_text(query: ParsedQuery) -> str:
    """The same query in PostgreSQL's ``websearch_to_tsquery`` syntax."""
    parts = list(query.words) + ['"' + " ".join(p) + '"' for p in query.phrases]
    parts += [f"-{w}" for w in query.excluded]
    return " ".join(parts)
