"""Catalogues read from the ``.po`` files at first use, merged per language, kept per process."""

from __future__ import annotations

import io
import threading
from functools import cached_property
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask
from flask.globals import _cv_app
from flask_babel import Babel, Domain, get_locale
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

_loaded: dict[str, Translations] = {}
# English is the source language: its "translations" return the text as written. One object,
# since every string a page shows asks for it.
_SOURCE = NullTranslations()
_lock = threading.Lock()


def catalogue_files(language: str) -> list[Path]:
    return sorted((TRANSLATIONS / language).glob("*.po"))


def merged_catalogue(language: str) -> Catalog:
    """Every ``.po`` file of a language as one catalogue (the first translation of a message
    wins; fuzzy and empty entries are left out, so English shows until a translator confirms)."""
    merged = Catalog(locale=Locale.parse(language))
    for path in catalogue_files(language):
        with path.open("rb") as handle:
            part = read_po(handle, locale=language)
        for message in part:
            if not message.id or message.fuzzy or not message.string:
                continue
            if merged.get(message.id, message.context) is None:
                merged[message.id] = message
    return merged


def translations_for(language: str) -> Translations:
    found = _loaded.get(language)
    if found is not None:  # read once per language and process, then only looked up
        return found
    with _lock:
        found = _loaded.get(language)
        if found is None:
            buffer = io.BytesIO()
            write_mo(buffer, merged_catalogue(language))
            buffer.seek(0)
            found = _loaded[language] = Translations(fp=buffer)
        return found


def _translations_of_locale() -> Translations | NullTranslations:
    locale = get_locale()
    if locale is None or locale.language == "en":
        return _SOURCE
    return translations_for(locale.language)


def current_translations() -> Translations | NullTranslations:
    """The reader's translations, found once per request (and per ``force_locale``).

    A page asks for some seventy texts; through Flask-Babel each one looked up the locale and
    the domain again, six reads of ``g`` through its proxy: 15 µs a text, a third of an
    asset page's CPU. The translations are kept where Flask-Babel itself keeps them for the
    context (``babel_translations``: ``force_locale`` and ``refresh`` clear it), and read back
    through the app context directly.
    """
    app_context = _cv_app.get(None)
    if app_context is None:
        return _translations_of_locale()
    babel_context = vars(app_context.g).get("_flask_babel")
    found = getattr(babel_context, "babel_translations", None)
    if found is not None:
        return found
    found = _translations_of_locale()
    # get_locale() made the context's namespace if there was none.
    vars(app_context.g)["_flask_babel"].babel_translations = found
    return found


# A template's texts without variables ("Type", "Keywords"...), as their Markup, per catalogue:
# one lookup instead of a translation, a format and a Markup for each of a page's forty. The
# catalogues are kept for the process, so the key holds one of a handful of objects.
_PLAIN_TEXTS_KEPT = 20_000
_plain_texts: dict[tuple[Translations | NullTranslations, str], Markup] = {}


# Positional-only, as Jinja's own: a template's variables may be called "num", "string"...
@pass_eval_context
def _template_gettext(eval_context: EvalContext, string: str, /, **variables: Any) -> str:
    translations = current_translations()
    if variables or not eval_context.autoescape:
        return _finish(eval_context, translations.ugettext(string), variables)
    key = (translations, string)
    found = _plain_texts.get(key)
    if found is None:
        if len(_plain_texts) >= _PLAIN_TEXTS_KEPT:  # texts made up at run time, not written
            _plain_texts.clear()
        found = _plain_texts[key] = Markup(translations.ugettext(string) % {})  # noqa: S704
    return found


@pass_eval_context
def _template_ngettext(
    eval_context: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    variables.setdefault("num", num)
    text = current_translations().ungettext(singular, plural, num)
    return _finish(eval_context, text, variables)


@pass_eval_context
def _template_pgettext(
    eval_context: EvalContext, context: str, string: str, /, **variables: Any
) -> str:
    return _finish(eval_context, current_translations().upgettext(context, string), variables)


@pass_eval_context
def _template_npgettext(
    eval_context: EvalContext,
    context: str,
    singular: str,
    plural: str,
    num: int,
    /,
    **variables: Any,
) -> str:
    variables.setdefault("num", num)
    text = current_translations().unpgettext(context, singular, plural, num)
    return _finish(eval_context, text, variables)


def _finish(eval_context: EvalContext, text: str, variables: dict[str, Any]) -> str:
    """What Jinja's "newstyle" gettext returns: the text formatted with its variables (always,
    so ``%%`` is a percent sign), escaped into Markup in an HTML template."""
    # The catalogues' text is trusted as the templates are (Jinja marks it safe the same way);
    # the variables are escaped by Markup's "%".
    if not variables:
        text = text % variables
        return Markup(text) if eval_context.autoescape else text  # noqa: S704
    if eval_context.autoescape:
        return Markup(text) % variables  # noqa: S704
    return text % variables


def install_template_gettext(app: Flask) -> None:
    """Templates translate through ``current_translations``.

    Flask-Babel's callables looked the locale and domain up again for each text, and Jinja's
    "newstyle" wrappers went through two ``Context.call`` each (``_`` is an alias that calls
    ``gettext``): 35 µs a text. These do the same in one call, with the same results
    (tests/unit/test_template_gettext.py compares them).
    """
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals.update(
        _=_template_gettext,
        gettext=_template_gettext,
        ngettext=_template_ngettext,
        pgettext=_template_pgettext,
        npgettext=_template_npgettext,
    )


class CatalogueDomain(Domain):
    """The default domain, translated from the in-memory catalogues."""

    def get_translations(self) -> Translations | NullTranslations:
        return current_translations()


class CatalogueBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain()
