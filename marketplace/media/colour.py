"""Colour: bringing any decoded photo to 8-bit sRGB, and naming its dominant colours.

Conversion goes through LittleCMS (``PIL.ImageCms``) from the photo's embedded ICC profile, so
an Adobe RGB or Display P3 photo keeps its look in a browser instead of being merely relabelled.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageCms

SRGB_PROFILE = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
SRGB_ICC = SRGB_PROFILE.tobytes()
ASSUMED = "sRGB (assumed)"
WHITE = 255

# Which ICC colour space fits which Pillow mode; a profile that doesn't fit is ignored.
_PROFILE_MODES = {"RGB ": "RGB", "GRAY": "L", "CMYK": "CMYK"}
_SIXTEEN_BIT = {"I", "I;16", "I;16L", "I;16B", "I;16N"}


def read_profile(icc: bytes | None) -> tuple[ImageCms.ImageCmsProfile | None, str]:
    """The parsed embedded profile (None if absent or unreadable) and a name for people."""
    if not icc:
        return None, ASSUMED
    try:
        profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        description = ImageCms.getProfileDescription(profile).strip()
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None, ASSUMED
    return profile, description or "unnamed ICC profile"


def is_srgb(profile: ImageCms.ImageCmsProfile) -> bool:
    """True for the sRGB profiles cameras and editors embed ("sRGB IEC61966-2.1" and kin)."""
    return "srgb" in ImageCms.getProfileDescription(profile).lower()


def normalise_mode(im: Image.Image) -> Image.Image:
    """Return ``im`` in a mode that resizes well: RGB, RGBA, L, LA or CMYK.

    Palettes are expanded (resizing a palette image would fall back to nearest-neighbour),
    16-bit greys are scaled (not clipped) to 8 bits, and bilevel images become greyscale.
    """
    mode = im.mode
    if mode in ("RGB", "RGBA", "L", "LA", "CMYK"):
        return im
    if mode in ("P", "PA"):
        has_alpha = mode == "PA" or "transparency" in im.info
        return im.convert("RGBA" if has_alpha else "RGB")
    if mode in _SIXTEEN_BIT:
        return im.convert("I").point(lambda value: value * (1 / 257)).convert("L")
    if mode == "1":
        return im.convert("L")
    if mode in ("RGBa", "La"):
        return im.convert("RGBA" if mode == "RGBa" else "LA")
    if mode == "LAB":
        transform = ImageCms.buildTransform(
            ImageCms.createProfile("LAB"), SRGB_PROFILE, "LAB", "RGB"
        )
        return ImageCms.applyTransform(im, transform) or im
    return im.convert("RGB")


def flatten(im: Image.Image) -> Image.Image:
    """``im`` with any transparency (RGBA, LA) laid on white; other modes returned as they are.

    White is the same in every display profile, so this may come before the colour conversion.
    """
    if im.mode not in ("RGBA", "LA"):
        return im
    base = Image.new(im.mode[:-1], im.size, WHITE if im.mode == "LA" else (WHITE,) * 3)
    base.paste(im, mask=im.getchannel("A"))
    return base


def to_srgb(im: Image.Image, profile: ImageCms.ImageCmsProfile | None) -> Image.Image:
    """Return an 8-bit RGB copy of ``im`` (as left by ``normalise_mode``) in sRGB.

    Transparency is flattened onto white first (white is the same in every display profile).
    With a fitting profile, pixels are converted perceptually by LittleCMS; without one, RGB is
    taken to be sRGB already and CMYK is converted naively.
    """
    im = flatten(im)
    if profile is not None and _PROFILE_MODES.get(profile.profile.xcolor_space) == im.mode:
        if im.mode == "RGB" and is_srgb(profile):
            return im  # converting sRGB to sRGB would cost a tenth of a second for nothing
        transform = ImageCms.buildTransform(
            profile, SRGB_PROFILE, im.mode, "RGB", ImageCms.Intent.PERCEPTUAL
        )
        converted = ImageCms.applyTransform(im, transform)
        if converted is not None:
            return converted
    return im if im.mode == "RGB" else im.convert("RGB")


def dominant_colours(im: Image.Image, limit: int = 5, min_share: float = 0.02) -> list[str]:
    """Up to ``limit`` "#rrggbb" colours, most dominant first, each covering ≥ ``min_share``.

    A 64 × 64 copy is quantised to 8 colours; near-identical entries (JPEG noise splitting one
    flat area in two) are merged so that one area never fills two places in the list.
    """
    small = im.convert("RGB").resize((64, 64), Image.Resampling.BOX)
    quantised = small.quantize(colors=8, method=Image.Quantize.MEDIANCUT)
    palette = quantised.getpalette() or []
    merged: list[tuple[int, tuple[int, int, int]]] = []
    for count, index in sorted(quantised.getcolors() or [], reverse=True):
        if not isinstance(index, int):  # a palette image reports indices, but typing allows more
            continue
        colour = (palette[index * 3], palette[index * 3 + 1], palette[index * 3 + 2])
        for position, (kept_count, kept) in enumerate(merged):
            if math.dist(colour, kept) < 24:
                merged[position] = (kept_count + count, kept)
                break
        else:
            merged.append((count, colour))
    total = 64 * 64
    ranked = sorted(merged, key=lambda item: item[0], reverse=True)
    return [
        "#{:02x}{:02x}{:02x}".format(*colour)
        for count, colour in ranked[:limit]
        if count >= min_share * total
    ]
