"""Which licence covers which, and what one costs: plain Python, no Flask or database.

Licence kinds and sizes each form a ladder. A licence someone holds covers the one they want
when it is at least as high on both ladders: an extended XL covers a standard M, a standard XL
does not cover an extended S. Photo and video sizes are separate ladders that never cover
each other.
"""

from __future__ import annotations

KIND_LADDER = ("standard", "extended")
SIZE_LADDERS = (("S", "M", "L", "XL"), ("HD", "4K"))
BASIS_POINTS = 10_000


def kind_rank(kind: str) -> int | None:
    """The kind's place on its ladder (0 lowest), or None for a kind we do not sell."""
    return KIND_LADDER.index(kind) if kind in KIND_LADDER else None


def size_rank(size: str) -> tuple[int, int] | None:
    """(ladder, place on it) for a size, or None for a size we do not sell."""
    for ladder_number, ladder in enumerate(SIZE_LADDERS):
        if size in ladder:
            return ladder_number, ladder.index(size)
    return None


def covers(held_kind: str, held_size: str, wanted_kind: str, wanted_size: str) -> bool:
    """True when a held licence allows everything the wanted one would.

    Unknown kinds or sizes never cover and are never covered.
    """
    held_k, wanted_k = kind_rank(held_kind), kind_rank(wanted_kind)
    held_s, wanted_s = size_rank(held_size), size_rank(wanted_size)
    if held_k is None or wanted_k is None or held_s is None or wanted_s is None:
        return False
    same_ladder = held_s[0] == wanted_s[0]
    return same_ladder and held_k >= wanted_k and held_s[1] >= wanted_s[1]


def licence_price_cents(size_cents: int, surcharge_cents: int) -> int:
    """The price of a licence: the size's price plus the licence kind's surcharge."""
    if size_cents < 0 or surcharge_cents < 0:
        raise ValueError("prices and surcharges are never negative")
    return size_cents + surcharge_cents


def royalty_percent(royalty_bps: int) -> float:
    """A royalty rate in basis points as a percentage for people (5000 -> 50.0); never money."""
    return royalty_bps * 100 / BASIS_POINTS
