"""The queries ``bench.search`` times: the measured mix and the extras, the same on each engine.

``build_queries`` draws them from the catalogue's vocabulary (Zipf-weighted, as buyers type
what the catalogue holds) and from real titles (for phrases), with a seed, so both engines
answer the very same queries in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench.catalogue import TITLE_LINKS, CatalogueInfo
from bench.catalogue_french import plain, plural

PER_PAGE = 48
DEEP_PAGE = 20

# The measured mix (shares of --queries), and the extra kinds timed outside the targets.
MIX = {
    "one word, common": 0.12,
    "one word, rare": 0.12,
    "two words": 0.12,
    "phrase": 0.10,
    "filtered": 0.16,
    "newest": 0.12,
    "deep page 20": 0.12,
    # French words (for the catalogue's French-described share), often in the plural or
    # typed without their accents: "bateaux", "eglise", "plages soleil".
    "French, one word": 0.07,
    "French, two words": 0.07,
}
EXTRAS = {"browse, no words": 30, "misspelt word": 30}
FILTERS = (
    {"kind": "video"},
    {"orientation": "portrait"},
    {"orientation": "square"},
    {"orientation": "panoramic"},
    {"people": "yes"},
    {"people": "no"},
    {"kind": "photo", "orientation": "landscape"},
)


@dataclass(frozen=True)
class Query:
    kind: str
    args: dict[str, str]
    page: int = 1

    def label(self) -> str:
        parts = [f"q={self.args['q']!r}"] if self.args.get("q") else ["(no words)"]
        parts += [f"{k}={v}" for k, v in self.args.items() if k != "q"]
        if self.page != 1:
            parts.append(f"page={self.page}")
        return " ".join(parts)


def build_queries(
    info: CatalogueInfo, titles: Sequence[str], count: int, seed: int
) -> tuple[list[Query], list[Query]]:
    """The measured mix (``count`` queries, shuffled) and the extras; the same on every engine."""
    rng = np.random.default_rng([seed, 11])
    words = info.vocabulary
    weights = 1.0 / np.arange(1, len(words) + 1)
    cdf = np.cumsum(weights / weights.sum())

    def popular() -> str:  # what buyers type: common words more often, as the catalogue has them
        return words[min(int(np.searchsorted(cdf, rng.random())), len(words) - 1)]

    # The words French work has in French (the translated head), most common first.
    french = [w for w, english in zip(info.french_vocabulary, words, strict=False) if w != english]
    french_cdf = np.cumsum(1.0 / np.arange(1, len(french) + 1))
    french_cdf /= french_cdf[-1] if len(french) else 1.0

    def in_french() -> str:
        if not french:  # a catalogue without French: an English word instead
            return popular()
        word = french[min(int(np.searchsorted(french_cdf, rng.random())), len(french) - 1)]
        form = rng.random()
        if form < 0.3:
            return plural(word)
        return plain(word) if form < 0.5 else word

    def common() -> str:
        return words[int(rng.integers(0, 20))]

    def rare() -> str:
        return words[int(rng.integers(len(words) // 2, len(words)))]

    def two() -> str:
        first = popular()
        second = popular()
        while second == first:
            second = popular()
        return f"{first} {second}"

    def phrase() -> str:
        links = set(TITLE_LINKS)
        while True:
            title = titles[int(rng.integers(len(titles)))].lower().split()
            pairs = [
                (a, b)
                for a, b in zip(title, title[1:], strict=False)
                if a not in links and b not in links
            ]
            if pairs:
                a, b = pairs[int(rng.integers(len(pairs)))]
                return f'"{a} {b}"'

    def make(kind: str) -> Query:
        if kind == "one word, common":
            return Query(kind, {"q": common()})
        if kind == "one word, rare":
            return Query(kind, {"q": rare()})
        if kind == "two words":
            return Query(kind, {"q": two()})
        if kind == "phrase":
            return Query(kind, {"q": phrase()})
        if kind == "filtered":
            terms = popular() if rng.random() < 0.7 else two()
            return Query(kind, {"q": terms, **FILTERS[int(rng.integers(len(FILTERS)))]})
        if kind == "French, one word":
            return Query(kind, {"q": in_french()})
        if kind == "French, two words":
            first = in_french()
            second = in_french()
            while plain(second) == plain(first):
                second = in_french()
            return Query(kind, {"q": f"{first} {second}"})
        if kind == "newest":
            return Query(kind, {"q": popular(), "sort": "newest"})
        if kind == "deep page 20":
            return Query(kind, {"q": words[int(rng.integers(0, 50))]}, DEEP_PAGE)
        if kind == "browse, no words":
            extra = FILTERS[int(rng.integers(len(FILTERS)))] if rng.random() < 0.5 else {}
            return Query(kind, {"sort": "newest", **extra})
        if kind == "misspelt word":
            word = ""
            while len(word) < 4:
                word = words[int(rng.integers(0, 300))]
            i = int(rng.integers(1, len(word) - 1))
            return Query(kind, {"q": word[:i] + word[i + 1] + word[i] + word[i + 2 :] + "q"})
        raise ValueError(kind)

    measured = [make(kind) for kind, share in MIX.items() for _ in range(round(share * count))]
    while len(measured) < count:
        measured.append(make("one word, common"))
    measured = measured[:count]
    order = rng.permutation(len(measured))
    extras = [make(kind) for kind, n in EXTRAS.items() for _ in range(n)]
    return [measured[i] for i in order], extras
