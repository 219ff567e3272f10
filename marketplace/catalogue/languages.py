"""The languages a work's title, description and keywords may be written in.

Wider than the languages the site speaks (``marketplace.i18n.languages``): an artist may
describe work in their own language although the pages are not translated into it. Search
stems English, French and Spanish; the others are indexed word for word (migration 0033).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext, lazy_gettext

from marketplace.errors import InvalidInput
from marketplace.i18n.languages import DEFAULT_LANGUAGE

# Code (ISO 639-1) -> the language's own name, as the form lists it.
WORK_LANGUAGES: dict[str, str] = {
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "de": "Deutsch",
    "it": "Italiano",
    "pt": "Português",
    "nl": "Nederlands",
}

# The studio form's field (marketplace/assets/forms.py), worded here with the search it serves.
LANGUAGE_LABEL = lazy_gettext("Written in")
LANGUAGE_HELP = lazy_gettext(
    "The language of the title, description and keywords: search matches other forms of "
    "each word (plurals, accents) by its rules."
)


def default_work_language(user: Any) -> str:
    """An artist's work is in their account's language when they chose one, else the co-op's."""
    chosen = getattr(user, "locale", None)
    return chosen if chosen in WORK_LANGUAGES else DEFAULT_LANGUAGE


def work_language(code: object) -> str:
    """A known work language's code, or InvalidInput naming the field."""
    value = code.strip().lower() if isinstance(code, str) else code
    if not isinstance(value, str) or value not in WORK_LANGUAGES:
        raise InvalidInput(
            gettext("language must be one of %(codes)s.", codes=", ".join(WORK_LANGUAGES)),
            fields={"language": gettext("Invalid.")},
        )
    return value
