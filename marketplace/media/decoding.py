"""How much memory decoding a photo takes, and shrinking a decoded photo without copying it whole.

A worker renders previews at most 1,600 px long, yet decoders work on the whole picture. JPEGs
are decoded straight at 1/2 to 1/8 scale (``Image.draft``, libjpeg's DCT scaling), so a 200 MP
baseline JPEG costs a few tens of MB. Nothing else shrinks on load: progressive JPEGs keep every
DCT coefficient of the whole image until the last scan (2 bytes per sample), and PNG, TIFF,
WebP and HEIC decode at full size. ``decode_bytes`` estimates that cost from the header alone,
so that the upload check can refuse a file before a worker runs out of memory on it;
``shrink`` then reduces the decoded picture strip by strip, so that no full-size copy is made
on top of the decode itself.
"""

from __future__ import annotations

import math

from PIL import Image, ImageFile

from marketplace.media import colour

MIB = 1024 * 1024
# What decoding costs per pixel beyond the few MB every photo needs, measured with
# bench/photo_memory.py on Pillow 13 / pillow-heif 1.x and rounded up. Pillow stores 3- and
# 4-channel pixels in 4 bytes; WebP and HEIC go through their libraries' own full-size buffers
# before Pillow's.
_BYTES_PER_PIXEL = {"WEBP": 16.0, "HEIF": 10.0, "TIFF": 6.5}
_MODE_BYTES_PER_PIXEL = {"1": 2.0, "L": 2.0, "P": 3.0, "I;16": 2.5, "I;16B": 2.5, "I;16L": 2.5}
_OTHER_MODES_BYTES_PER_PIXEL = 5.5
# Rows of a strip converted at once while shrinking: about 8 MB of 4-byte pixels.
_STRIP_BYTES = 8 * MIB
_FIXED_BYTES = 16 * MIB


def decode_bytes(im: ImageFile.ImageFile, target: tuple[int, int]) -> int:
    """An upper estimate of the memory needed to decode ``im`` (opened, not loaded) for a
    rendering of ``target`` size, from its header alone."""
    width, height = im.size
    if im.format in ("JPEG", "MPO"):
        scale = _draft_scale(im.size, target)
        decoded = math.ceil(width / scale) * math.ceil(height / scale) * 4
        if im.info.get("progressive") or im.info.get("progression"):
            return _FIXED_BYTES + decoded + _coefficient_bytes(im)
        return _FIXED_BYTES + decoded
    per_pixel = _BYTES_PER_PIXEL.get(str(im.format)) or _MODE_BYTES_PER_PIXEL.get(
        im.mode, _OTHER_MODES_BYTES_PER_PIXEL
    )
    return _FIXED_BYTES + math.ceil(width * height * per_pixel)


def _draft_scale(size: tuple[int, int], target: tuple[int, int]) -> int:
    """The DCT scale Pillow's ``draft`` picks: the largest of 8, 4, 2 that still covers
    ``target``."""
    fits = min(size[0] // max(1, target[0]), size[1] // max(1, target[1]))
    return next(scale for scale in (8, 4, 2, 1) if fits >= scale)


def _coefficient_bytes(im: ImageFile.ImageFile) -> int:
    """A progressive JPEG's coefficient buffer: 64 two-byte coefficients per 8 × 8 block of
    every component, kept for the whole image until the last scan."""
    layers = getattr(im, "layer", None) or [("", 1, 1, 0)] * len(im.getbands())
    h_max = max(int(layer[1]) for layer in layers)
    v_max = max(int(layer[2]) for layer in layers)
    mcus_across = math.ceil(im.size[0] / (8 * h_max))
    mcus_down = math.ceil(im.size[1] / (8 * v_max))
    blocks = sum(mcus_across * int(h) * mcus_down * int(v) for _, h, v, _ in layers)
    return blocks * 64 * 2


def shrink(im: Image.Image, size: tuple[int, int], reducing_gap: float) -> Image.Image:
    """``im`` (decoded, any mode) resized to ``size`` (Lanczos) as a new image, in a mode that
    ``colour.to_srgb`` takes (RGB, L or CMYK: palettes expanded, 16-bit scaled, transparency
    flattened on white).

    No full-size copy is made, so the peak is the decoded picture plus one strip and the
    caller may free ``im`` at once: a picture that needs converting is converted one strip of
    rows at a time, box-reduced (by the whole factor that keeps it at least ``reducing_gap`` ×
    ``size``) or resampled as it goes.
    """
    if im.mode in _READY_MODES:
        return _resize(im, size, reducing_gap)
    width, height = im.size
    factor = max(1, int(min(width / size[0], height / size[1]) / reducing_gap))
    if factor > 1:
        return _resize(_reduce_in_strips(im, factor), size, reducing_gap)
    return _resize_in_strips(im, size)


_READY_MODES = ("RGB", "L", "CMYK")


def _converted(im: Image.Image, box: tuple[int, int, int, int]) -> Image.Image:
    return colour.flatten(colour.normalise_mode(im.crop(box)))


def _reduce_in_strips(im: Image.Image, factor: int) -> Image.Image:
    width, height = im.size
    # Whole multiples of the factor, so that every box of the reduction lies in one strip.
    rows = max(1, _STRIP_BYTES // (width * 4 * factor)) * factor
    tops = range(0, height, rows)
    first = _converted(im, (0, 0, width, min(height, rows))).reduce(factor)
    reduced = Image.new(first.mode, (math.ceil(width / factor), math.ceil(height / factor)))
    reduced.paste(first, (0, 0))
    for top in tops[1:]:
        part = _converted(im, (0, top, width, min(height, top + rows))).reduce(factor)
        reduced.paste(part, (0, top // factor))
    return reduced


def _resize_in_strips(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Lanczos, a band of output rows at a time, each from its source rows and the neighbours
    the filter reaches (3 lobes of the scale), so the result is that of one whole resize."""
    width, height = im.size
    scale = height / size[1]
    margin = math.ceil(3 * max(1.0, scale)) + 1
    band = max(1, int(_STRIP_BYTES // (width * 4) / scale))
    resized: Image.Image | None = None
    for first_row in range(0, size[1], band):
        last_row = min(size[1], first_row + band)
        top = max(0, math.floor(first_row * scale) - margin)
        bottom = min(height, math.ceil(last_row * scale) + margin)
        part = _converted(im, (0, top, width, bottom)).resize(
            (size[0], last_row - first_row),
            Image.Resampling.LANCZOS,
            box=(0, first_row * scale - top, width, last_row * scale - top),
        )
        if resized is None:
            resized = Image.new(part.mode, size)
        resized.paste(part, (0, first_row))
    return resized or Image.new("RGB", size)


def _resize(im: Image.Image, size: tuple[int, int], reducing_gap: float) -> Image.Image:
    if im.size == size:
        return im.copy()
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=reducing_gap)
