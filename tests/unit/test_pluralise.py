"""Counts in words: "1 member", never "1 members"."""

from __future__ import annotations

import pytest

from marketplace.templating import pluralise


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (0, "0 members"),
        (1, "1 member"),
        (2, "2 members"),
        (1204, "1,204 members"),
        (None, "0 members"),
    ],
)
def test_a_count_takes_the_noun_that_fits_it(count: int | None, words: str) -> None:
    assert pluralise(count, "member") == words


def test_irregular_nouns_pass_their_plural() -> None:
    assert pluralise(1, "person", "people") == "1 person"
    assert pluralise(3, "person", "people") == "3 people"
    assert pluralise(1, "entry", "entries") == "1 entry"
    assert pluralise(2, "entry", "entries") == "2 entries"
