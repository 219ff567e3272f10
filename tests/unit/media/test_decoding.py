"""Shrinking strip by strip gives the picture one whole conversion and resize would give."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageChops

from marketplace.media import colour, decoding
from tests.fixtures import media_files as mf


def _whole(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    return colour.flatten(colour.normalise_mode(im)).resize(size, Image.Resampling.LANCZOS)


def _photo(mode: str) -> Image.Image:
    grain = np.random.default_rng(3).integers(0, 60, (900, 1200, 3), dtype=np.uint8)
    picture = Image.fromarray(np.asarray(mf.quadrants(1200, 900)) // 2 + grain)
    if mode == "RGBA":
        picture.putalpha(Image.linear_gradient("L").resize(picture.size))
        return picture
    if mode == "I;16":
        return Image.fromarray(np.asarray(picture.convert("L"), dtype=np.uint16) * 257)
    return picture.convert(mode)


@pytest.mark.parametrize("mode", ["RGBA", "P", "I;16", "LA", "1"])
@pytest.mark.parametrize("size", [(100, 75), (700, 525)], ids=["reduced", "resampled"])
def test_strips_match_one_whole_resize(
    monkeypatch: pytest.MonkeyPatch, mode: str, size: tuple[int, int]
) -> None:
    monkeypatch.setattr(decoding, "_STRIP_BYTES", 64 * 1024)  # dozens of strips
    im = _photo(mode)
    shrunk = decoding.shrink(im, size, reducing_gap=3.0)
    expected = _whole(im, size)
    assert shrunk.size == size
    assert shrunk.mode == expected.mode
    difference = np.asarray(ImageChops.difference(shrunk, expected), dtype=np.float64)
    # Box-reducing first is not bit-identical to Lanczos alone, but never visibly apart.
    assert difference.mean() < 1.5
    assert np.percentile(difference, 99.9) < 24


def test_a_progressive_jpeg_costs_its_coefficients(tmp_path: Path) -> None:
    path = tmp_path / "p.jpg"
    mf.quadrants(1600, 1200).save(path, "JPEG", progressive=True, subsampling=0)
    with Image.open(path) as im:
        full = decoding.decode_bytes(im, (400, 300))
    baseline = tmp_path / "b.jpg"
    mf.quadrants(1600, 1200).save(baseline, "JPEG", subsampling=0)
    with Image.open(baseline) as im:
        reduced = decoding.decode_bytes(im, (400, 300))
    coefficients = 1600 * 1200 * 3 * 2
    assert full - reduced == coefficients
