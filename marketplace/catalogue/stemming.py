"""Words reduced to their stems in the language they are written in, for SQLite's index.

Pure (no Flask, no database). PostgreSQL stems with its own text search configurations
(migration 0033); SQLite's FTS5 only has an English stemmer (porter), so the SQLite engine
indexes text already stemmed here, with the Snowball stemmers (the ``snowballstemmer``
package: the same algorithms as PostgreSQL's ``*_stem`` dictionaries, pure Python), and
FTS5's ``unicode61 remove_diacritics 2`` tokenizer splits and folds what it is given.

Why this and not another tokenizer: FTS5 cannot take a tokenizer written in Python through
the standard ``sqlite3`` module, ``trigram`` finds substrings but no plural ("bateaux" is not
a substring-neighbour of "bateau" in the way buyers mean it), and ``porter`` knows English
only ("bateaux", "églises" stay as they are). Stemming before indexing keeps FTS5's own
tokenizer and its speed, and handles French plurals (-s, -x, -aux) and accents: accents are
folded before stemming (as PostgreSQL's ``unaccent`` does before its stemmers), so "eglise",
"église" and "églises" all become "eglis".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

import snowballstemmer

# The languages with a stemmer; work in any other language is indexed word for word.
STEMMERS = {"en": "english", "fr": "french", "es": "spanish"}
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def fold(word: str) -> str:
    """Lower case without accents ("Église" -> "eglise"; "œ" -> "oe", as ``unaccent``)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("œ", "oe").replace("æ", "ae").replace("ß", "ss")


@lru_cache(maxsize=1)
def _stemmers() -> dict[str, Any]:
    return {code: snowballstemmer.stemmer(name) for code, name in STEMMERS.items()}


# A catalogue's words are few (tens of thousands) and repeat: stemming each once is what
# makes indexing a million assets affordable.
@lru_cache(maxsize=200_000)
def stem(word: str, language: str) -> str:
    """One folded word's stem in ``language`` (the word itself without a stemmer)."""
    stemmer = _stemmers().get(language)
    return str(stemmer.stemWord(word)) if stemmer is not None else word


def tokens(text: str) -> list[str]:
    """The words of ``text``, folded, split as FTS5's unicode61 tokenizer splits them."""
    return _TOKEN.findall(fold(text))


def index_text(text: str | None, language: str | None) -> str:
    """What SQLite's full-text index holds for ``text`` written in ``language``."""
    if not text:
        return ""
    code = (language or "").split("-")[0].lower()
    return " ".join(stem(token, code) for token in tokens(text))


def forms(text: str) -> list[str]:
    """A buyer's word or phrase as each language's index holds it, distinct, as typed first.

    The words may be in any language, so a search looks for every form: "bateaux" is
    "bateau" in French work and "bateaux" in work in a language without a stemmer. A phrase
    is stemmed in one language throughout; a word that splits (an elision, "l'église")
    becomes a phrase of its parts ("l eglis").
    """
    parts = tokens(text)
    if not parts:
        return []
    found = [" ".join(parts)]
    for code in STEMMERS:
        form = " ".join(stem(part, code) for part in parts)
        if form not in found:
            found.append(form)
    return found
