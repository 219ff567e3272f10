"""Photos: the cheap check at upload, and the worker's full render of thumbnail and preview.

Pillow decodes every format here (HEIC through pillow-heif's plugin). Policies for untrusted
images are enforced on every call: ``PhotoLimits`` is the decompression-bomb limit (Pillow's own
guard is kept as a backstop at or above it), truncated files are never half-decoded, and Pillow's
warnings are handled here rather than reaching the caller.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import struct
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pillow_heif
from PIL import Image, ImageFile, UnidentifiedImageError

from marketplace.i18n.markers import N_
from marketplace.media import colour, decoding, metadata
from marketplace.media.phash import hamming_distance, perceptual_hash
from marketplace.media.sniff import RAW, detect_type, find_trailing_payload
from marketplace.media.types import DetectedType, MediaRejected, PhotoFacts, PhotoLimits
from marketplace.media.watermark import PREVIEW_STRENGTH, THUMBNAIL_STRENGTH, apply_watermark

__all__ = ["PREVIEW_EDGE", "THUMBNAIL_EDGE", "check_photo", "hamming_distance", "process_photo"]

log = logging.getLogger(__name__)

PREVIEW_EDGE = 1600
THUMBNAIL_EDGE = 400
JPEG_QUALITY = 85
# A box reduction down to at least this many times the final size before Lanczos: the same look
# as plain Lanczos, several times faster.
REDUCING_GAP = 3.0
_PILLOW_FORMATS = {
    "image/jpeg": ("JPEG",),  # JPEGs with extra MPF images open with format "MPO"
    "image/png": ("PNG",),
    "image/tiff": ("TIFF",),
    "image/webp": ("WEBP",),
    "image/heic": ("HEIF",),
    "image/heif": ("HEIF",),
}
_FORMAT_NAMES = {"PNG": "PNG", "TIFF": "TIFF", "WEBP": "WebP", "HEIF": "HEIC"}
# What a decoder raises on damaged data, across Pillow's plugins and pillow-heif.
_DECODE_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    IndexError,
    RuntimeError,
)
_SWAPS_AXES = {5, 6, 7, 8}
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def check_photo(source: Path, detected: DetectedType, limits: PhotoLimits) -> tuple[int, int]:
    """Check an upload cheaply (headers and structure, no pixel decoding); return its upright size.

    Raises ``MediaRejected`` when the header can't be read or isn't of the ``detected`` type,
    when the declared size is over ``limits.max_pixels`` or under ``limits.min_pixels``, or when
    the file carries a hidden payload after the image (a polyglot). The size honours the EXIF
    orientation (5–8 swap width and height).
    """
    with _pillow_policy(limits), _open(source, detected, limits) as im:
        width, height = im.size
        if _is_camera_raw(im):
            raise MediaRejected(RAW, code="camera_raw")
        _check_size(width, height, limits)
        _check_memory(im, limits)
        # PNG keeps EXIF found after the image data only once decoded: not worth a full decode.
        skip_exif = im.format == "PNG" and "exif" not in im.info
        turn = 1 if skip_exif else metadata.orientation(im.getexif())
    payload = find_trailing_payload(source, detected)
    if payload is not None:
        raise MediaRejected(
            f"This file hides {payload} after the image data, so we can't accept it. "
            "Please export the photo again from your editing software.",
            code="polyglot",
        )
    return (height, width) if turn in _SWAPS_AXES else (width, height)


def process_photo(
    source: Path, thumbnail_out: Path, preview_out: Path, *, watermark: str, limits: PhotoLimits
) -> PhotoFacts:
    """Render the thumbnail (≤ 400 px) and watermarked preview (≤ 1600 px) JPEGs; return facts.

    Repeats every ``check_photo`` check, then decodes fully: a damaged or truncated file raises
    ``MediaRejected``. JPEGs are decoded at the smallest DCT scale that still covers the
    preview. Both outputs are upright, 8-bit sRGB (converted from the embedded ICC profile,
    transparency on white), never larger than the original, carry only an sRGB profile and the
    EXIF Artist/Copyright, and each appears complete or not at all. The thumbnail carries a
    lighter watermark than the preview.
    """
    with source.open("rb") as fh:
        detected = detect_type(fh.read(4096))
    if detected.kind != "photo":
        raise MediaRejected(N_("This is a video, not a photo."), code="not_a_photo")
    check_photo(source, detected, limits)
    with _pillow_policy(limits), _open(source, detected, limits) as im:
        original_size = im.size
        preview_size = _fit(original_size, PREVIEW_EDGE)
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB", preview_size)  # shrink-on-load: libjpeg scales the DCT by 1/2..1/8
        profile, profile_name = colour.read_profile(im.info.get("icc_profile"))
        try:
            im.load()
        except _DECODE_ERRORS as error:
            log.info("decoding %s failed: %s", source, error)
            raise MediaRejected(
                N_(
                    "The file is damaged or truncated, so we couldn't decode it. "
                    "Please upload it again."
                ),
                code="damaged",
            ) from error
        exif = im.getexif()
        described = metadata.describe(im, exif)
        turn = metadata.orientation(exif)
        credit = metadata.credit_exif(exif)
        file_format = "JPEG" if im.format == "MPO" else str(im.format)
        # A new image, made strip by strip, so the decoded one is freed as it closes here.
        preview = decoding.shrink(im, preview_size, REDUCING_GAP)
    preview = colour.to_srgb(preview, profile)
    if turn in _UPRIGHT:
        preview = preview.transpose(_UPRIGHT[turn])
    thumbnail = _resize(preview, _fit(preview.size, THUMBNAIL_EDGE))
    facts_hash = perceptual_hash(preview)
    palette = colour.dominant_colours(thumbnail)
    apply_watermark(preview, watermark, strength=PREVIEW_STRENGTH)
    apply_watermark(thumbnail, watermark, strength=THUMBNAIL_STRENGTH)
    _save_jpeg(preview, preview_out, credit)
    _save_jpeg(thumbnail, thumbnail_out, credit)
    width, height = original_size
    if turn in _SWAPS_AXES:
        width, height = height, width
    return PhotoFacts(
        width=width,
        height=height,
        format=file_format,
        colour_profile=profile_name,
        phash=facts_hash,
        dominant_colours=palette,
        camera_make=described.camera_make,
        camera_model=described.camera_model,
        lens=described.lens,
        taken_at=described.taken_at,
        title=described.title,
        description=described.description,
        keywords=described.keywords,
        creator=described.creator,
        copyright=described.copyright,
    )


@functools.cache
def _register_heif() -> None:
    # Only the primary image is wanted: thumbnails, depth maps and aux images stay undecoded.
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


@contextmanager
def _pillow_policy(limits: PhotoLimits) -> Iterator[None]:
    """Apply the decoding policy for untrusted images and keep Pillow's warnings in.

    Warnings are recorded and logged (the size checks, not Pillow's warning, decide what is a
    bomb). ``warnings.catch_warnings`` is process-wide before Python 3.14: fine for the worker's
    processes; a threaded caller may briefly see these filters.
    """
    _register_heif()
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    # Pillow refuses outright above twice its limit; keep that backstop at or above ours so
    # that our limit, with its clearer reason, decides. Only ever raised, so races are benign.
    if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < limits.max_pixels:
        Image.MAX_IMAGE_PIXELS = limits.max_pixels
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        log.info("Pillow: %s", warning.message)


@contextmanager
def _open(
    source: Path, detected: DetectedType, limits: PhotoLimits
) -> Iterator[ImageFile.ImageFile]:
    formats = _PILLOW_FORMATS.get(detected.mime)
    if formats is None:
        raise MediaRejected(N_("This is not a photo the co-op accepts."), code="not_a_photo")
    try:
        im = Image.open(source, formats=formats)
    except Image.DecompressionBombError as error:
        found = re.search(r"\((\d+) pixels\)", str(error))
        declared = f"{int(found.group(1)) / 1e6:,.0f} megapixels" if found else "too many pixels"
        raise MediaRejected(_too_large(declared, limits), code="too_large") from error
    except UnidentifiedImageError as error:
        raise _unreadable(source, detected) from error
    except _DECODE_ERRORS as error:
        raise MediaRejected(
            N_("We couldn't read this photo's header; the file may be damaged."), code="unreadable"
        ) from error
    with im:
        yield im


def _unreadable(source: Path, detected: DetectedType) -> MediaRejected:
    with source.open("rb") as fh:
        head = fh.read(4096)
    try:
        actual = detect_type(head)
    except MediaRejected as rejected:
        return rejected
    if actual.mime != detected.mime:
        return MediaRejected(
            f"This file's contents are {actual.mime}, not {detected.mime} as expected.",
            code="type_mismatch",
        )
    return MediaRejected(
        N_("We couldn't read this photo's header; the file may be damaged."), code="unreadable"
    )


def _is_camera_raw(im: Image.Image) -> bool:
    """DNG, NEF, ARW, PEF... are TIFFs whose first image is a small preview (NewSubfileType 1)
    or that declare a DNG version; Pillow would render that preview, not the photo."""
    tags = getattr(im, "tag_v2", None)
    if tags is None:
        return False
    subfile = tags.get(254, 0)
    return 50706 in tags or (isinstance(subfile, int) and bool(subfile & 1))


def _check_size(width: int, height: int, limits: PhotoLimits) -> None:
    pixels = width * height
    if pixels > limits.max_pixels:
        declared = f"{width:,} × {height:,} pixels"
        raise MediaRejected(_too_large(declared, limits), code="too_large")
    if pixels < limits.min_pixels:
        minimum = limits.min_pixels / 1e6
        message = (
            N_(
                "This photo is %(width)s × %(height)s pixels (%(megapixels)s megapixels); "
                "the minimum is %(minimum)s megapixel."
            )
            if minimum == 1
            else N_(
                "This photo is %(width)s × %(height)s pixels (%(megapixels)s megapixels); "
                "the minimum is %(minimum)s megapixels."
            )
        )
        values = {
            "width": str(width),
            "height": str(height),
            "megapixels": f"{pixels / 1e6:.1f}",
            "minimum": f"{minimum:g}",
        }
        raise MediaRejected(message, code="too_small", values=values)


def _check_memory(im: ImageFile.ImageFile, limits: PhotoLimits) -> None:
    """Refuse a file whose decoding would take more memory than a worker allows one photo."""
    needed = decoding.decode_bytes(im, _fit(im.size, PREVIEW_EDGE))
    if needed <= limits.max_decode_bytes:
        return
    progressive = im.info.get("progressive") or im.info.get("progression")
    kind = "progressive JPEG" if progressive else _FORMAT_NAMES.get(str(im.format), "file")
    pixels = im.size[0] * im.size[1]
    most = pixels * limits.max_decode_bytes / needed
    mib = decoding.MIB
    raise MediaRejected(
        f"Opening this {kind} of {pixels / 1e6:,.0f} megapixels would take about "
        f"{needed / mib:,.0f} MB of memory, more than the {limits.max_decode_bytes / mib:,.0f} MB "
        f"our workers give one photo: a {kind} like this one can be at most about "
        f"{most / 1e6:,.0f} megapixels. A baseline (not progressive) JPEG can be up to "
        f"{limits.max_pixels / 1e6:g} megapixels.",
        code="too_large",
    )


def _too_large(declared: str, limits: PhotoLimits) -> str:
    return (
        f"This image declares {declared} (the limit is {limits.max_pixels / 1e6:g} megapixels). "
        "Files like this are used to exhaust servers' memory, so we won't open it."
    )


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """``size`` scaled so that its long edge is ``edge``, never enlarged."""
    width, height = size
    scale = edge / max(width, height)
    if scale >= 1:
        return size
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    if im.size == size:
        return im.copy()
    return im.resize(size, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)


def _save_jpeg(im: Image.Image, out: Path, credit: bytes) -> None:
    """Write ``im`` to ``out`` atomically, with the sRGB profile and ``credit`` EXIF only."""
    # Derived images inherit the original's info (comments, XMP...), which Pillow's writer
    # may copy; start from nothing so that only what is passed below is written.
    im.info = {}
    partial = out.with_name(out.name + ".part")
    im.save(partial, "JPEG", quality=JPEG_QUALITY, icc_profile=colour.SRGB_ICC, exif=credit)
    os.replace(partial, out)
