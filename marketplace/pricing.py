"""The default price table, until the licensing issue makes prices data.

Pure: no Flask, no database. Amounts are integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Size:
    code: str
    min_long_edge: int  # a photo or video is offered in a size only when it reaches it
    min_short_edge: int
    amount_cents: int


PHOTO_SIZES = (
    Size("S", 800, 0, 1500),
    Size("M", 2000, 0, 4500),
    Size("L", 4000, 0, 9500),
    Size("XL", 6000, 0, 12500),
)
VIDEO_SIZES = (
    Size("HD", 1280, 720, 7900),
    Size("4K", 3840, 2160, 19900),
)
EXTENDED_SURCHARGE_CENTS = 10000
LICENCES = ("standard", "extended")


@dataclass(frozen=True)
class Price:
    licence: str
    size: str
    amount_cents: int
    currency: str


def offered_sizes(kind: str, width: int | None, height: int | None) -> list[Size]:
    """The sizes this original can be delivered in (never upscaled)."""
    if not width or not height:
        return []
    long_edge, short_edge = max(width, height), min(width, height)
    sizes = PHOTO_SIZES if kind == "photo" else VIDEO_SIZES
    return [s for s in sizes if long_edge >= s.min_long_edge and short_edge >= s.min_short_edge]


def price_list(kind: str, width: int | None, height: int | None, currency: str) -> list[Price]:
    """Every licence × size on offer for an asset, standard first."""
    prices = []
    for licence in LICENCES:
        surcharge = EXTENDED_SURCHARGE_CENTS if licence == "extended" else 0
        for size in offered_sizes(kind, width, height):
            prices.append(Price(licence, size.code, size.amount_cents + surcharge, currency))
    return prices
