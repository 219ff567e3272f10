"""Cleaning what members type and what uploads are called."""

from __future__ import annotations

import re
import unicodedata

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
        raise InvalidInput(
            f"Keep the {field} under {max_chars} characters.", fields={field: "Too long."}
        )
    return value


def clean_keywords(keywords: str | list[str]) -> list[str]:
    """Lower-case, de-duplicated keywords in the member's order, from a list or "a, b, c"."""
    raw = keywords.split(",") if isinstance(keywords, str) else keywords
    seen: dict[str, None] = {}
    for word in raw:
        if not isinstance(word, str):
            raise InvalidInput("Keywords must be text.", fields={"keywords": "Invalid."})
        cleaned = " ".join(word.lower().split())[:60]
        if cleaned:
            seen.setdefault(cleaned, None)
    if len(seen) > MAX_KEYWORDS:
        raise InvalidInput(
            f"Use at most {MAX_KEYWORDS} keywords.", fields={"keywords": "Too many."}
        )
    return list(seen)
