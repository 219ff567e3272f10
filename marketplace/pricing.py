"""The size price table: what each size of a photo or video costs under a standard licence.

Pure: no Flask, no database. Amounts are integer cents. A licence kind adds its surcharge on top
(the surcharge and the royalty rate are data: ``marketplace.licensing`` keeps them with the
versioned licence terms; ``EXTENDED_SURCHARGE_CENTS`` is only the first version's).
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
    sizes = sizes_for(kind)
    return [s for s in sizes if long_edge >= s.min_long_edge and short_edge >= s.min_short_edge]


def sizes_for(kind: str) -> tuple[Size, ...]:
    """Every size sold for a kind of asset ("photo" or "video"), smallest first."""
    return PHOTO_SIZES if kind == "photo" else VIDEO_SIZES


def offered_size(kind: str, width: int | None, height: int | None, code: str) -> Size | None:
    """The size named ``code`` when this original reaches it, else None."""
    return next((s for s in offered_sizes(kind, width, height) if s.code == code), None)


DEFAULT_SURCHARGES = {"standard": 0, "extended": EXTENDED_SURCHARGE_CENTS}


def price_list(
    kind: str,
    width: int | None,
    height: int | None,
    currency: str,
    surcharges: dict[str, int] | None = None,
) -> list[Price]:
    """Every licence × size on offer for an asset, in the order of ``surcharges`` (licence ->
    surcharge in cents; standard then extended at their first terms' surcharges by default)."""
    prices = []
    for licence, surcharge in (surcharges or DEFAULT_SURCHARGES).items():
        for size in offered_sizes(kind, width, height):
            prices.append(Price(licence, size.code, size.amount_cents + surcharge, currency))
    return prices
