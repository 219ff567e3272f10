"""What the pipeline learns of a photo: colours, captions, camera, hash; and colour conversion."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from marketplace.media.phash import hamming_distance, perceptual_hash
from marketplace.media.photos import process_photo
from marketplace.media.types import PhotoFacts, PhotoLimits
from tests.fixtures import media_files as mf

LIMITS = PhotoLimits(min_pixels=100_000)
SRGB_PRIMARIES = ((0.64, 0.33), (0.30, 0.60), (0.15, 0.06))


def facts_and_preview(path: Path) -> tuple[PhotoFacts, np.ndarray]:
    preview = path.with_name("preview.jpg")
    facts = process_photo(
        path, path.with_name("thumb.jpg"), preview, watermark="Co-op Stock", limits=LIMITS
    )
    with Image.open(preview) as im:
        return facts, np.asarray(im, dtype=float)


def expected_srgb(profile: str, rgb: tuple[int, int, int]) -> np.ndarray:
    """The sRGB encoding of ``rgb`` in ``profile``, computed from the primaries alone."""
    value = np.array(rgb) / 255
    if profile == "adobe_rgb":
        linear = value**mf.ADOBE_GAMMA
    else:
        linear = np.where(value <= 0.04045, value / 12.92, ((value + 0.055) / 1.055) ** 2.4)
    srgb = np.linalg.solve(
        mf.rgb_to_xyz(SRGB_PRIMARIES), mf.rgb_to_xyz(mf.PRIMARIES[profile]) @ linear
    )
    srgb = np.clip(srgb, 0, 1)
    encoded = np.where(srgb <= 0.0031308, 12.92 * srgb, 1.055 * srgb ** (1 / 2.4) - 0.055)
    return encoded * 255


@pytest.mark.parametrize(
    ("profile", "colour", "name"),
    [
        ("adobe_rgb", (120, 200, 90), "Adobe RGB (1998) compatible"),
        ("display_p3", (200, 100, 50), "Display P3 compatible"),
        ("display_p3", (230, 60, 160), "Display P3 compatible"),
    ],
)
def test_wide_gamut_colours_are_converted_not_relabelled(
    tmp_path: Path, profile: str, colour: tuple[int, int, int], name: str
) -> None:
    path = mf.make_jpeg(tmp_path / "wide.jpg", 800, 600, fill=colour, icc=profile, quality=98)
    facts, preview = facts_and_preview(path)
    assert facts.colour_profile == name
    # The watermark covers well under half of the picture: the median is the plain colour.
    seen = np.median(preview.reshape(-1, 3), axis=0)
    expected = expected_srgb(profile, colour)
    assert np.abs(seen - expected).max() <= 4, (seen, expected)
    assert np.abs(np.array(colour) - expected).max() > 10  # so relabelling would have failed


def test_untagged_photos_are_taken_as_srgb(tmp_path: Path) -> None:
    path = mf.make_jpeg(tmp_path / "plain.jpg", 800, 600, fill=(120, 200, 90), icc=None)
    facts, preview = facts_and_preview(path)
    assert facts.colour_profile == "sRGB (assumed)"
    assert np.abs(np.median(preview.reshape(-1, 3), axis=0) - (120, 200, 90)).max() <= 3


@pytest.mark.parametrize(
    ("make", "left_column"),
    [
        (lambda p: mf.make_png(p, 800, 600, mode="RGBA"), (255, 255, 255)),  # transparent → white
        (lambda p: mf.make_png(p, 800, 600, mode="P"), mf.QUADRANTS["top_left"]),
        (lambda p: mf.make_png(p, 800, 600, mode="L"), None),
        (lambda p: mf.make_png(p, 800, 600, mode="I;16"), None),
        (lambda p: mf.make_tiff(p, 800, 600, mode="CMYK"), mf.QUADRANTS["top_left"]),
        (
            lambda p: mf.make_jpeg(p, image=mf.quadrants(800, 600, "CMYK"), icc=None),
            mf.QUADRANTS["top_left"],
        ),
        (lambda p: mf.make_tiff(p, 800, 600, mode="RGBA"), mf.QUADRANTS["top_left"]),
    ],
)
def test_every_pixel_mode_becomes_8_bit_srgb(
    tmp_path: Path, make: object, left_column: tuple[int, int, int] | None
) -> None:
    path = make(tmp_path / "upload")  # type: ignore[operator]
    facts, preview = facts_and_preview(path)
    assert preview.shape == (600, 800, 3)
    edge = np.median(preview[40:260, :6].reshape(-1, 3), axis=0)
    if left_column is None:  # greyscale: equal channels, the red quadrant's brightness
        assert np.ptp(edge) <= 3
        assert 60 < edge[0] < 120
    else:
        assert np.abs(edge - left_column).max() <= 12, edge


def test_captions_keywords_and_camera(tmp_path: Path) -> None:
    path = mf.make_jpeg(
        tmp_path / "described.jpg", 800, 600,
        iptc_title="IPTC title", iptc_caption="Boats in the harbour at dawn",
        iptc_keywords=["harbour", "dawn", "Boats"],
        xmp_title="Harbour at dawn", xmp_keywords=["Harbour", "boats", "fog"],
        xmp_creator="Ada Lovelace", xmp_rights="© 2024 Ada Lovelace", offset="+02:00",
    )  # fmt: skip
    facts, _ = facts_and_preview(path)
    assert facts.title == "Harbour at dawn"  # XMP wins over IPTC
    assert facts.description == "Boats in the harbour at dawn"  # only IPTC had one
    assert facts.keywords == ["Harbour", "boats", "fog", "dawn"]
    assert (facts.creator, facts.copyright) == ("Ada Lovelace", "© 2024 Ada Lovelace")
    assert (facts.camera_make, facts.camera_model) == ("Canon", "EOS R5")
    assert facts.lens == "RF24-105mm F4 L IS USM"
    assert facts.taken_at == datetime(2024, 5, 1, 8, 20, 30, tzinfo=UTC)


def test_iptc_alone_and_exif_credit(tmp_path: Path) -> None:
    path = mf.make_jpeg(
        tmp_path / "iptc.jpg", 800, 600, iptc_title="Fjord", iptc_keywords=["fjord", "Ålesund"],
        artist="Bjørn Berg", copyright="© Bjørn Berg",
    )  # fmt: skip
    facts, _ = facts_and_preview(path)
    assert (facts.title, facts.keywords) == ("Fjord", ["fjord", "Ålesund"])
    assert (facts.creator, facts.copyright) == ("Bjørn Berg", "© Bjørn Berg")
    assert facts.taken_at == datetime(2024, 5, 1, 10, 20, 30, tzinfo=UTC)  # no offset: as UTC


def test_hostile_xmp_is_ignored(tmp_path: Path) -> None:
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;</x:xmpmeta>'
    )
    facts, _ = facts_and_preview(mf.make_jpeg(tmp_path / "a.jpg", 800, 600, xmp_raw=laughs))
    assert facts.title is None
    facts, _ = facts_and_preview(mf.make_jpeg(tmp_path / "b.jpg", 800, 600, xmp_raw=b"<x:not"))
    assert facts.keywords == []


def test_dominant_colours_most_dominant_first(tmp_path: Path) -> None:
    picture = Image.new("RGB", (900, 600), (210, 30, 40))
    ImageDraw.Draw(picture).rectangle((0, 0, 359, 600), (30, 60, 200))  # blue: 40 %
    facts, _ = facts_and_preview(mf.make_jpeg(tmp_path / "two.jpg", image=picture))
    assert 2 <= len(facts.dominant_colours) <= 5
    first, second = (
        np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) for c in facts.dominant_colours[:2]
    )
    assert np.abs(first - (210, 30, 40)).max() < 30
    assert np.abs(second - (30, 60, 200)).max() < 30


def test_perceptual_hash_matches_copies_not_other_photos(tmp_path: Path) -> None:
    picture = mf.realistic_image(1200, 900, seed=7)
    original, _ = facts_and_preview(mf.make_jpeg(tmp_path / "o.jpg", image=picture))
    smaller = picture.resize((800, 600), Image.Resampling.BICUBIC)
    copy, _ = facts_and_preview(mf.make_jpeg(tmp_path / "c.jpg", image=smaller, quality=60))
    other, _ = facts_and_preview(
        mf.make_jpeg(tmp_path / "x.jpg", image=mf.realistic_image(1200, 900, seed=8))
    )
    assert re.fullmatch(r"[0-9a-f]{16}", original.phash)
    assert hamming_distance(original.phash, copy.phash) <= 6
    assert hamming_distance(original.phash, other.phash) > 16


def test_hash_helpers() -> None:
    grey = Image.linear_gradient("L").convert("RGB")
    assert perceptual_hash(grey) == perceptual_hash(grey.resize((64, 64)))
    assert hamming_distance("0" * 16, "f" * 16) == 64
    assert hamming_distance("00000000000000ff", "0000000000000000") == 8
    with pytest.raises(ValueError, match="64-bit"):
        hamming_distance("abc", "0" * 16)
