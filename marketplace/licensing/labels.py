"""Licence kinds and statuses as people read them, in the reader's language.

The kinds' codes are stable and machine-readable; their names in the database are the English
ones the co-op was founded with. Pages, emails and certificates show these labels instead, so a
French reader sees « Licence standard » while the API keeps ``standard``.
"""

from __future__ import annotations

from flask_babel import LazyString, gettext, lazy_gettext, pgettext

from marketplace.i18n.catalogues import current_translations
from marketplace.licensing.founding_terms import FOUNDING_WORDS
from marketplace.licensing.models import LicenceKind

_SHORT: dict[str, LazyString] = {
    "standard": lazy_gettext("Standard"),
    "extended": lazy_gettext("Extended"),
}
_FOUNDING = frozenset(FOUNDING_WORDS)
_FULL: dict[str, LazyString] = {
    "standard": lazy_gettext("Standard licence"),
    "extended": lazy_gettext("Extended licence"),
}


def licence_label(code: str) -> str:
    """The kind's short name ("Standard"); an unknown code as it is, capitalised."""
    found = _SHORT.get(code)
    return str(found) if found is not None else code.capitalize()


def licence_name(code: str) -> str:
    """The full name of the kind with this code ("Standard licence")."""
    found = _FULL.get(code)
    return str(found) if found is not None else gettext("%(kind)s licence", kind=code.capitalize())


def kind_name(kind: LicenceKind) -> str:
    """The kind's full name ("Standard licence"); a kind added later shows its stored name."""
    found = _FULL.get(kind.code)
    return str(found) if found is not None else kind.name


def licence_status_label(status: str) -> str:
    """A licence's status for people ("Valid"); an unknown one as it is, capitalised.

    With a context: a licence is feminine in French, unlike other things said "Refunded"."""
    words = {
        "valid": pgettext("licence status", "Valid"),
        "refunded": pgettext("licence status", "Refunded"),
        "disputed": pgettext("licence status", "Disputed"),
    }
    return words.get(status) or status.capitalize()


def terms_words(text: str) -> str:
    """A stored terms text (summary, permission, paragraph) in the reader's language when it
    is the co-op's founding words; any other text as its admin wrote it."""
    words = text.strip()
    if words not in _FOUNDING:
        return text
    # The request's translations straight away: an asset page shows a dozen of these texts,
    # and Flask-Babel's gettext looks up the locale and the domain again for each.
    return text.replace(words, current_translations().ugettext(words))
