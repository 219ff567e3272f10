"""The visible watermark on previews: the text repeated diagonally across the whole picture.

Each mark is white with a dark outline, both semi-transparent, so it reads on light and dark
areas alike and cannot be cropped away: rows are staggered and cover every part of the image.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator

from PIL import Image, ImageDraw, ImageFont

FONT_FILES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
ANGLE = 30  # degrees, counter-clockwise
PREVIEW_STRENGTH = 1.0
THUMBNAIL_STRENGTH = 0.6  # thumbnails are small enough to be useless unmarked, so marked lightly
_FILL_ALPHA = 0.45  # of the white letters, at strength 1
_OUTLINE_ALPHA = 0.35  # of the dark outline, at strength 1

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.lru_cache(maxsize=8)
def font(size: int) -> Font:
    """DejaVu Sans Bold (Debian's fonts-dejavu-core) at ``size`` px, else Pillow's own font."""
    for path in FONT_FILES:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def apply_watermark(im: Image.Image, text: str, *, strength: float = PREVIEW_STRENGTH) -> None:
    """Draw ``text`` tiled diagonally over the RGB image ``im``, in place.

    The letter height is about a twentieth of the long edge (80 px on a 1600 px preview), and
    consecutive marks are at most about three letter-heights apart in every direction.
    """
    width, height = im.size
    size = max(10, round(max(width, height) / 20))
    shade, opacity, step = _mark(text, size, strength)
    # Each stamp blends straight into the picture through its own opacity, which is zero outside
    # its letters, so overlapping corners of neighbouring stamps leave each other untouched.
    for x, y in _lattice(im.size, shade.size, step):
        im.paste(shade, (round(x - shade.width / 2), round(y - shade.height / 2)), opacity)


@functools.lru_cache(maxsize=16)
def _mark(
    text: str, size: int, strength: float
) -> tuple[Image.Image, Image.Image, tuple[int, int]]:
    """One turned mark (its RGB shades and its opacity) and the lattice steps; cached, since a
    worker stamps the same member's text at the same size again and again."""
    outline = max(1, size // 16)
    letters = font(size)
    left, top, right, bottom = letters.getbbox(text, stroke_width=outline)
    tile_w, tile_h = max(1, int(right - left)), max(1, int(bottom - top))
    # Band L: white letters, black outline; band A: their opacity.
    tile = Image.new("LA", (tile_w, tile_h), (0, 0))
    fill_alpha = round(255 * _FILL_ALPHA * strength)
    outline_alpha = round(255 * _OUTLINE_ALPHA * strength)
    ImageDraw.Draw(tile).text(
        (-left, -top), text, fill=(255, fill_alpha), font=letters,
        stroke_width=outline, stroke_fill=(0, outline_alpha),
    )  # fmt: skip
    shade, opacity = tile.rotate(ANGLE, Image.Resampling.BICUBIC, expand=True).split()
    return (
        Image.merge("RGB", (shade, shade, shade)),
        opacity,
        (tile_w + 2 * size, tile_h + 2 * size),
    )


def _lattice(
    size: tuple[int, int], mark: tuple[int, int], step: tuple[int, int]
) -> Iterator[tuple[float, float]]:
    """Centres of the marks touching the picture: a staggered grid turned by ``ANGLE``."""
    (width, height), (step_x, step_y) = size, step
    cos, sin = math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))
    reach = math.hypot(width, height) / 2 + max(step_x, step_y)
    rows, columns = math.ceil(reach / step_y), math.ceil(reach / step_x)
    for row in range(-rows, rows + 1):
        stagger = (row % 2) * step_x / 2
        for column in range(-columns, columns + 1):
            dx, dy = column * step_x + stagger, row * step_y
            # Turning counter-clockwise on screen, where y grows downwards.
            x, y = width / 2 + dx * cos + dy * sin, height / 2 - dx * sin + dy * cos
            if (
                abs(x - width / 2) < (width + mark[0]) / 2
                and abs(y - height / 2) < (height + mark[1]) / 2
            ):
                yield x, y
