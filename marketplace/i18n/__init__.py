"""Languages: which one a reader gets, and the catalogues that translate into it.

Flask-Babel does the gettext work; the catalogues are the ``.po`` files under
``marketplace/translations/<language>/``, read into memory on first use (there is no compile
step to forget: what is in the checkout is what runs). One language may have several files
(one per area of the product); they are merged.
"""

from __future__ import annotations

from flask import Flask, g, has_request_context, request
from flask_babel import get_locale, gettext
from flask_login import current_user

from marketplace.extensions import login_manager
from marketplace.i18n.catalogues import CatalogueBabel, install_template_gettext
from marketplace.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES
from marketplace.i18n.markers import N_

LANGUAGE_COOKIE = "language"


def select_language() -> str:
    """The reader's language: the account's choice, else the visitor's cookie (the switcher),
    else the best match for ``Accept-Language``, else the co-op's default (also outside a
    request: a task or command writes in the default unless it forces a language)."""
    if not has_request_context():
        return DEFAULT_LANGUAGE
    # An API call's token owner (set by api_support.token_required), else the signed-in person.
    reader = g.get("api_user") or current_user
    if reader and reader.is_authenticated:
        chosen = getattr(reader, "locale", None)
        if chosen in LANGUAGES:
            return str(chosen)
    cookie = request.cookies.get(LANGUAGE_COOKIE)
    if cookie in LANGUAGES:
        return str(cookie)
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT_LANGUAGE


def current_language() -> str:
    """The code of the language this page is written in (for ``<html lang>`` and the switcher)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def init_i18n(app: Flask) -> None:
    CatalogueBabel(app, default_locale=DEFAULT_LANGUAGE, locale_selector=select_language)
    install_template_gettext(app)
    # Flask-Login flashes its message through this, in the reader's language (it is kept in
    # the session, so it must be a plain string by then, not a lazy one).
    login_manager.login_message = N_("Please sign in to see that page.")
    login_manager.localize_callback = gettext
    app.add_template_global(current_language)
    app.jinja_env.globals["languages"] = LANGUAGES
