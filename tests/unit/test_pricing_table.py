"""The size price table (``marketplace.pricing``) and licence prices (``licensing.tiers``).

Written against what a buyer is offered and charged: which sizes an original reaches (edges
exactly at a threshold included, never upscaled), every amount in the table to the cent, and
the order of the price list the asset page shows.
"""

from __future__ import annotations

import pytest

from marketplace.licensing.tiers import licence_price_cents, royalty_percent
from marketplace.pricing import (
    DEFAULT_SURCHARGES,
    PHOTO_SIZES,
    VIDEO_SIZES,
    Price,
    offered_size,
    offered_sizes,
    price_list,
    sizes_for,
)


def _codes(kind: str, width: int | None, height: int | None) -> list[str]:
    return [size.code for size in offered_sizes(kind, width, height)]


def test_the_table_to_the_cent() -> None:
    assert [(s.code, s.min_long_edge, s.min_short_edge, s.amount_cents) for s in PHOTO_SIZES] == [
        ("S", 800, 0, 1500),
        ("M", 2000, 0, 4500),
        ("L", 4000, 0, 9500),
        ("XL", 6000, 0, 12500),
    ]
    assert [(s.code, s.min_long_edge, s.min_short_edge, s.amount_cents) for s in VIDEO_SIZES] == [
        ("HD", 1280, 720, 7900),
        ("4K", 3840, 2160, 19900),
    ]
    assert DEFAULT_SURCHARGES == {"standard": 0, "extended": 10000}


@pytest.mark.parametrize(
    ("width", "height", "codes"),
    [
        (6000, 4000, ["S", "M", "L", "XL"]),
        (4000, 6000, ["S", "M", "L", "XL"]),
        (5999, 100, ["S", "M", "L"]),
        (2000, 1, ["S", "M"]),
        (1999, 1999, ["S"]),
        (800, 600, ["S"]),
        (600, 800, ["S"]),
        (799, 799, []),
    ],
)
def test_a_photo_is_offered_in_every_size_its_long_edge_reaches(
    width: int, height: int, codes: list[str]
) -> None:
    assert _codes("photo", width, height) == codes


@pytest.mark.parametrize(
    ("width", "height", "codes"),
    [
        (3840, 2160, ["HD", "4K"]),
        (2160, 3840, ["HD", "4K"]),
        (3840, 2159, ["HD"]),
        (3839, 2160, ["HD"]),
        (1280, 720, ["HD"]),
        (720, 1280, ["HD"]),
        (1280, 719, []),
        (1279, 720, []),
        (1920, 700, []),
    ],
)
def test_a_video_needs_both_edges_of_a_size(width: int, height: int, codes: list[str]) -> None:
    assert _codes("video", width, height) == codes


@pytest.mark.parametrize(("width", "height"), [(None, 4000), (6000, None), (0, 4000), (6000, 0)])
def test_an_original_of_unknown_size_is_offered_in_none(
    width: int | None, height: int | None
) -> None:
    assert offered_sizes("photo", width, height) == []
    assert price_list("photo", width, height, "USD") == []


def test_only_photos_use_the_photo_ladder() -> None:
    assert sizes_for("photo") == PHOTO_SIZES
    assert sizes_for("video") == VIDEO_SIZES
    assert _codes("video", 6000, 4000) == ["HD", "4K"]


def test_offered_size_names_one_size_only_when_it_is_reached() -> None:
    assert offered_size("photo", 4000, 3000, "L") == PHOTO_SIZES[2]
    assert offered_size("photo", 4000, 3000, "M") == PHOTO_SIZES[1]
    assert offered_size("photo", 3999, 3000, "L") is None
    assert offered_size("photo", 4000, 3000, "4K") is None
    assert offered_size("video", 3840, 2160, "4K") == VIDEO_SIZES[1]


def test_the_price_list_is_each_licence_then_each_size_with_its_surcharge() -> None:
    assert price_list("photo", 2500, 1600, "EUR") == [
        Price("standard", "S", 1500, "EUR"),
        Price("standard", "M", 4500, "EUR"),
        Price("extended", "S", 11500, "EUR"),
        Price("extended", "M", 14500, "EUR"),
    ]


def test_the_price_list_follows_the_surcharges_given() -> None:
    surcharges = {"extended": 2500, "standard": 100}
    assert price_list("video", 1920, 1080, "USD", surcharges) == [
        Price("extended", "HD", 10400, "USD"),
        Price("standard", "HD", 8000, "USD"),
    ]
    assert price_list("video", 1920, 1080, "USD", {}) == price_list("video", 1920, 1080, "USD")


def test_a_licence_costs_its_size_plus_its_surcharge() -> None:
    assert licence_price_cents(4500, 10000) == 14500
    assert licence_price_cents(0, 0) == 0
    with pytest.raises(ValueError, match="^prices and surcharges are never negative$"):
        licence_price_cents(-1, 0)
    with pytest.raises(ValueError, match="^prices and surcharges are never negative$"):
        licence_price_cents(0, -1)


@pytest.mark.parametrize(
    ("bps", "percent"), [(5000, 50.0), (1234, 12.34), (0, 0.0), (10000, 100.0)]
)
def test_a_royalty_rate_reads_as_a_percentage(bps: int, percent: float) -> None:
    assert royalty_percent(bps) == percent
