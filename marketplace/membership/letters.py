"""The language a letter to a member or applicant is written in.

An email about someone's membership is mostly composed while another person reads a page (an
admin deciding, a vote closing in a task): it follows the recipient's chosen language, not the
page's (``mail.queue_email`` falls back on the page's language for an account that chose none;
an admin's decision must not reach the applicant in the admin's language). Callers queue the
email inside ``flask_babel.force_locale`` with this language and pass a lazy subject, so the
subject and the body are written in it.
"""

from __future__ import annotations

from flask_babel import get_locale

from marketplace.accounts.models import User
from marketplace.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES


def language_of(user: User, *, reading_now: bool = False) -> str:
    """The account's chosen language; when ``user`` is the one reading this request
    (``reading_now``) and chose none, the page's; else the co-op's default."""
    chosen = user.locale
    if chosen in LANGUAGES:
        return str(chosen)
    if reading_now:
        current = get_locale()
        if current is not None and current.language in LANGUAGES:
            return current.language
    return DEFAULT_LANGUAGE


def language_code(locale: str | None) -> str:
    """A stored ``users.locale`` as a language the co-op writes in (the default otherwise)."""
    return locale if locale in LANGUAGES else DEFAULT_LANGUAGE
