"""SQLite's index holds text stemmed in its language; a buyer's words are looked for in every
language's form (marketplace.catalogue.stemming, pure)."""

from __future__ import annotations

import pytest

from marketplace.catalogue.query import fts5_match, parse
from marketplace.catalogue.stemming import fold, forms, index_text


@pytest.mark.parametrize(
    ("text", "language", "indexed"),
    [
        ("Bateaux au port", "fr", "bateau au port"),
        ("Église, églises, EGLISE", "fr", "eglis eglis eglis"),
        ("Les chevaux", "fr", "le cheval"),
        ("Woman running on beaches", "en", "woman run on beach"),
        ("Barcos en el puerto", "es", "barc en el puert"),
        ("Boote im Hafen", "de", "boote im hafen"),
        ("L'église", "fr-CA", "l eglis"),
        ("", "fr", ""),
        (None, "en", ""),
    ],
)
def test_text_is_indexed_stemmed_in_its_language(
    text: str | None, language: str, indexed: str
) -> None:
    assert index_text(text, language) == indexed


def test_accents_and_ligatures_fold_as_unaccent_does() -> None:
    assert fold("Œuvre Crème Straße") == "oeuvre creme strasse"


def test_a_word_is_looked_for_in_every_languages_form() -> None:
    assert forms("bateaux") == ["bateaux", "bateau"]
    assert forms("Églises") == ["eglises", "eglis"]
    assert forms("port") == ["port"]
    assert forms("l'église") == ["l eglise", "l eglis"]
    assert forms("'") == []


def test_the_fts5_expression_ors_the_forms_and_excludes_every_form() -> None:
    assert fts5_match(parse('bateaux "phares au port" -voiliers')) == (
        '(("bateaux" OR "bateau") AND ("phares au port" OR "phare au port" OR "phar au port"))'
        ' NOT ("voiliers" OR "voilier" OR "voili")'
    )
    assert fts5_match(parse("port")) == '"port"'


def test_postgresql_keeps_only_the_branches_that_can_find_more() -> None:
    from marketplace.catalogue.pg_query import _needed

    # The same parse in every language: one branch.
    assert _needed(["'food'", "'food'", "'food'", "'food'"]) == ["'food'"]
    # A stop word in one language only: the parse that also asks for it finds nothing more.
    assert _needed(["'boat'", "'the' & 'boat'", "'the' & 'boat'", "'the' & 'boats'"]) == [
        "'boat'",
        "'the' & 'boats'",
    ]
    assert _needed(["'bateaux'", "'bateau'", "", "'bateaux'"]) == ["'bateaux'", "'bateau'"]
    # Phrases are kept as they are.
    assert _needed(["'lighthous' <2> 'dusk'", "'lighthous' <-> 'at' <-> 'dusk'"]) == [
        "'lighthous' <2> 'dusk'",
        "'lighthous' <-> 'at' <-> 'dusk'",
    ]
    assert _needed(["", ""]) == []
