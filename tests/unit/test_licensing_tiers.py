"""Which licence covers which, and what a licence costs: the pure core of licensing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace import pricing
from marketplace.licensing.tiers import (
    KIND_LADDER,
    SIZE_LADDERS,
    covers,
    licence_price_cents,
    royalty_percent,
)

PHOTO, VIDEO = SIZE_LADDERS
kinds = st.sampled_from(KIND_LADDER)
photo_sizes = st.sampled_from(PHOTO)
video_sizes = st.sampled_from(VIDEO)
any_size = st.sampled_from(PHOTO + VIDEO)


@pytest.mark.parametrize(
    ("held", "wanted", "expected"),
    [
        (("standard", "M"), ("standard", "M"), True),
        (("standard", "XL"), ("standard", "S"), True),
        (("standard", "S"), ("standard", "M"), False),
        (("extended", "M"), ("standard", "M"), True),
        (("extended", "XL"), ("standard", "S"), True),
        (("standard", "XL"), ("extended", "S"), False),
        (("extended", "S"), ("extended", "L"), False),
        (("extended", "4K"), ("standard", "HD"), True),
        (("standard", "HD"), ("standard", "4K"), False),
        (("extended", "HD"), ("extended", "HD"), True),
        # Photo and video sizes are separate ladders.
        (("extended", "XL"), ("standard", "HD"), False),
        (("extended", "4K"), ("standard", "S"), False),
        # Unknown kinds and sizes neither cover nor are covered.
        (("premium", "XL"), ("standard", "S"), False),
        (("extended", "XXL"), ("standard", "S"), False),
        (("extended", "XL"), ("editorial", "S"), False),
        (("extended", "XL"), ("standard", "XS"), False),
    ],
)
def test_covers(held: tuple[str, str], wanted: tuple[str, str], expected: bool) -> None:
    assert covers(*held, *wanted) is expected


@given(kinds, any_size)
def test_every_licence_covers_itself(kind: str, size: str) -> None:
    assert covers(kind, size, kind, size)


@given(kinds, photo_sizes, kinds, photo_sizes)
def test_covering_follows_both_ladders(hk: str, hs: str, wk: str, ws: str) -> None:
    expected = KIND_LADDER.index(hk) >= KIND_LADDER.index(wk) and PHOTO.index(hs) >= PHOTO.index(ws)
    assert covers(hk, hs, wk, ws) is expected


@given(kinds, any_size, kinds, any_size, kinds, any_size)
def test_covering_is_transitive(ak: str, as_: str, bk: str, bs: str, ck: str, cs: str) -> None:
    if covers(ak, as_, bk, bs) and covers(bk, bs, ck, cs):
        assert covers(ak, as_, ck, cs)


@given(kinds, any_size, kinds, any_size)
def test_two_different_licences_never_cover_each_other(ak: str, as_: str, bk: str, bs: str) -> None:
    if (ak, as_) != (bk, bs):
        assert not (covers(ak, as_, bk, bs) and covers(bk, bs, ak, as_))


@given(kinds, video_sizes, photo_sizes)
def test_video_and_photo_sizes_never_mix(kind: str, video: str, photo: str) -> None:
    assert not covers(kind, video, kind, photo)
    assert not covers(kind, photo, kind, video)


def test_price_is_the_size_price_plus_the_surcharge() -> None:
    assert licence_price_cents(4500, 0) == 4500
    assert licence_price_cents(4500, 10_000) == 14_500
    with pytest.raises(ValueError, match="negative"):
        licence_price_cents(-1, 0)
    with pytest.raises(ValueError, match="negative"):
        licence_price_cents(100, -1)


@given(st.integers(0, 10**12), st.integers(0, 10**12))
def test_price_never_below_either_part(size_cents: int, surcharge_cents: int) -> None:
    price = licence_price_cents(size_cents, surcharge_cents)
    assert isinstance(price, int)
    assert price >= size_cents
    assert price >= surcharge_cents


def test_royalty_percent() -> None:
    assert royalty_percent(5000) == 50
    assert royalty_percent(7500) == 75
    assert royalty_percent(0) == 0
    assert royalty_percent(10_000) == 100


@pytest.mark.parametrize(
    ("kind", "width", "height", "codes"),
    [
        ("photo", 3000, 2000, ["S", "M"]),
        ("photo", 2000, 3000, ["S", "M"]),
        ("photo", 6000, 4000, ["S", "M", "L", "XL"]),
        ("photo", 799, 600, []),
        ("photo", None, None, []),
        ("video", 1920, 1080, ["HD"]),
        ("video", 3840, 2160, ["HD", "4K"]),
        ("video", 3840, 1600, ["HD"]),  # cinema width, not 2160 high: no 4K
        ("video", 1280, 540, []),
    ],
)
def test_offered_sizes_never_upscale(
    kind: str, width: int | None, height: int | None, codes: list[str]
) -> None:
    assert [s.code for s in pricing.offered_sizes(kind, width, height)] == codes


def test_offered_size_by_code() -> None:
    size = pricing.offered_size("photo", 3000, 2000, "M")
    assert size is not None
    assert size.amount_cents == 4500
    assert pricing.offered_size("photo", 3000, 2000, "L") is None
    assert pricing.offered_size("photo", 3000, 2000, "HD") is None


def test_price_list_uses_the_surcharges_given() -> None:
    prices = pricing.price_list("photo", 3000, 2000, "EUR", {"standard": 0, "extended": 2500})
    assert [(p.licence, p.size, p.amount_cents, p.currency) for p in prices] == [
        ("standard", "S", 1500, "EUR"),
        ("standard", "M", 4500, "EUR"),
        ("extended", "S", 4000, "EUR"),
        ("extended", "M", 7000, "EUR"),
    ]


def test_price_list_defaults_to_the_first_terms() -> None:
    prices = pricing.price_list("video", 3840, 2160, "USD")
    assert {(p.licence, p.size): p.amount_cents for p in prices} == {
        ("standard", "HD"): 7900,
        ("standard", "4K"): 19900,
        ("extended", "HD"): 17900,
        ("extended", "4K"): 29900,
    }


def test_size_ladders_match_the_price_table() -> None:
    assert tuple(s.code for s in pricing.PHOTO_SIZES) == PHOTO
    assert tuple(s.code for s in pricing.VIDEO_SIZES) == VIDEO
    for sizes in (pricing.PHOTO_SIZES, pricing.VIDEO_SIZES):
        amounts = [s.amount_cents for s in sizes]
        assert amounts == sorted(amounts), "a bigger size never costs less"
