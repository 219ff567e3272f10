"""Cleaning what members type and what uploads are called."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import gettext

from marketplace.errors import InvalidInput

MAX_KEYWORDS = 50
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def display_filename(filename: str | None) -> str:
    """The upload's name for people to read. Never used to store or locate anything."""
    name = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE_NAME.sub("", name).strip(" .")
    return name[:255] or "upload"


def clean_text(value: str, field: str, max_chars: int) -> str:
    value = " ".join(value.split()) if field == "title" else value.strip()
    if len(value) > max_chars:
        # A sentence per field, so that each names its field in the reader's language.
        if field == "title":
            message = gettext("Keep the title under %(count)s characters.", count=max_chars)
        elif field == "description":
            message = gettext("Keep the description under %(count)s characters.", count=max_chars)
        else:
            message = gettext(
                "Keep the %(field)s under %(count)s characters.", field=field, count=max_chars
            )
        raise InvalidInput(message, fields={field: gettext("Too long.")})
    return value


def clean_keywords(keywords: str | list[str]) -> list[str]:
    """Lower-case, de-duplicated keywords in the member's order, from a list or "a, b, c"."""
    raw = keywords.split(",") if isinstance(keywords, str) else keywords
    seen: dict[str, None] = {}
    for word in raw:
        if not isinstance(word, str):
            raise InvalidInput(
                gettext("Keywords must be text."), fields={"keywords": gettext("Invalid.")}
            )
        cleaned = " ".join(word.lower().split())[:60]
        if cleaned:
            seen.setdefault(cleaned, None)
    if len(seen) > MAX_KEYWORDS:
        raise InvalidInput(
            gettext("Use at most %(count)s keywords.", count=MAX_KEYWORDS),
            fields={"keywords": gettext("Too many.")},
        )
    return list(seen)
