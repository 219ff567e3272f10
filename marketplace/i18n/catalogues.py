"""Catalogues read from the ``.po`` files at first use, merged per language, kept per process."""

from __future__ import annotations

import io
import threading
from functools import cached_property
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask_babel import Babel, Domain, get_locale

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
    with _lock:
        found = _loaded.get(language)
        if found is None:
            buffer = io.BytesIO()
            write_mo(buffer, merged_catalogue(language))
            buffer.seek(0)
            found = _loaded[language] = Translations(fp=buffer)
        return found


class CatalogueDomain(Domain):
    """The default domain, translated from the in-memory catalogues."""

    def get_translations(self) -> Translations | NullTranslations:
        locale = get_locale()
        if locale is None or locale.language == "en":
            return _SOURCE
        return translations_for(locale.language)


class CatalogueBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain()
