"""The text to translate, found in the code and templates as ``make messages`` finds it.

``extract_catalogue()`` reads every marked message of marketplace/, workers/ and templates/
(``babel.cfg``; keywords ``gettext``, ``ngettext``, ``_``, ``lazy_gettext`` and the ``N_``
marker). ``python -m marketplace.i18n.extraction`` (``make messages``) writes, for each
language, ``translations/<language>/messages.po`` with the messages that none of that
language's files translates yet: the translators' to-do list. They translate there, or move an
entry into the area file it belongs to; every file of a language is merged when read.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import write_po

from marketplace.i18n.catalogues import TRANSLATIONS, merged_catalogue
from marketplace.i18n.languages import DEFAULT_LANGUAGE, LANGUAGES

ROOT = TRANSLATIONS.parent.parent
SOURCES = ("marketplace", "workers", "templates")
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "N_": None}
PENDING_FILE = "messages.po"


def extract_catalogue(root: Path = ROOT) -> Catalog:
    """Every message marked for translation, with where it is used."""
    with (root / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalogue = Catalog(project="Co-op Stock")
    found = extract_from_dir(
        root,
        method_map,
        options_map,
        keywords=KEYWORDS,
        directory_filter=_only_sources,
    )
    for filename, lineno, message, comments, context in found:
        catalogue.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalogue


def _only_sources(dirpath: str) -> bool:
    """Walk the sources (and their folders), not the virtualenv, the tests or the instance."""
    relative = Path(dirpath).resolve().relative_to(ROOT.resolve()).parts
    if not relative:
        return True
    return relative[0] in SOURCES and not any(part.startswith((".", "_")) for part in relative)


def untranslated(language: str, extracted: Catalog | None = None) -> Catalog:
    """The extracted messages that no file of ``language`` translates."""
    extracted = extracted or extract_catalogue()
    known = merged_catalogue(language)
    pending = Catalog(locale=language, project="Co-op Stock")
    for message in extracted:
        if not message.id:
            continue
        if known.get(message.id, message.context) is None:
            pending.add(
                message.id,
                locations=message.locations,
                flags=message.flags,
                auto_comments=message.auto_comments,
                context=message.context,
            )
    return pending


def write_pending(language: str, extracted: Catalog) -> int:
    """Write ``translations/<language>/messages.po`` (removed when nothing is left)."""
    path = TRANSLATIONS / language / PENDING_FILE
    # Its own entries are the to-do list: read the others' translations without them.
    if path.exists():
        path.unlink()
    pending = untranslated(language, extracted)
    if len(pending):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, pending, omit_header=False, sort_by_file=True, width=100)
    return len(pending)


def main() -> int:
    extracted = extract_catalogue()
    print(f"{len(extracted)} messages marked for translation")
    for language in LANGUAGES:
        if language != DEFAULT_LANGUAGE:
            count = write_pending(language, extracted)
            print(f"{language}: {count} to translate in translations/{language}/{PENDING_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
