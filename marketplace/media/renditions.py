"""Making the file a buyer downloads for one size of a photo, under the delivery policy.

Two kinds of rendition, both without licence fields (those are written per licence when the
file is served, see ``marketplace.licensing.delivery``):

- the largest size of a JPEG is the original's image data byte for byte: its marker segments
  are rewritten (``jpeg_segments``) with the policy's EXIF, and nothing is decoded;
- every smaller size (and, for originals that are not JPEG, the largest too) is decoded,
  resized and encoded: long edge as the size table says, never enlarged, upright, sRGB with
  the profile embedded.

Encoding settings, and why:
- Lanczos (3 lobes) after libjpeg's DCT shrink-on-load, which never goes below 2 × the target:
  the sharpest of Pillow's filters without visible ringing on photographs;
- JPEG quality 92: above ~90 artefacts stop being visible at 100 % on photographs while the file
  is still about a third of quality 100's;
- 4:4:4 chroma (no subsampling): at S and M a buyer sees the picture near 1:1, and 4:2:0 would
  halve the colour resolution (fringes on red type, foliage, fine coloured edges) to save only
  15–20 % of the bytes;
- optimised Huffman tables (a few % smaller, same pixels), baseline rather than progressive:
  cheaper to decode for the buyer's tools and for our own bounded-memory decoder.
"""

from __future__ import annotations

import io
import mmap
import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from marketplace.media import colour, decoding, delivery_policy, jpeg_segments, metadata, photos
from marketplace.media.delivery_policy import Credits
from marketplace.media.sniff import detect_type
from marketplace.media.types import DetectedType, MediaRejected, PhotoLimits

JPEG_QUALITY = 92
COPY_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Made:
    """A rendition written to disk: what the download needs to know about it."""

    width: int
    height: int
    mime: str
    insert_at: int | None  # where the per-licence XMP segment goes (None: nowhere, videos)
    credits: Credits


def make_photo_rendition(
    source: Path, out: Path, long_edge: int | None, limits: PhotoLimits
) -> Made:
    """Write the rendition of ``source`` whose long edge is ``long_edge`` (None: the original's
    size) to ``out``, atomically. Raises ``MediaRejected`` for a file the decoders refuse."""
    with source.open("rb") as fh:
        detected = detect_type(fh.read(4096))
    partial = out.with_name(out.name + ".part")
    if long_edge is None and detected.mime == "image/jpeg":
        made = _original_jpeg(source, detected, partial, limits)
    else:
        made = _resized(source, detected, partial, long_edge, limits)
    os.replace(partial, out)
    return made


def fit(size: tuple[int, int], edge: int | None) -> tuple[int, int]:
    """``size`` scaled so that its long edge is ``edge`` (None: as it is), never enlarged."""
    if edge is None:
        return size
    return photos._fit(size, edge)


def _original_jpeg(source: Path, detected: DetectedType, out: Path, limits: PhotoLimits) -> Made:
    with photos._pillow_policy(limits), photos._open(source, detected, limits) as im:
        credits, turn = _credits(im)
        width, height = im.size
    with source.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        try:
            exif = delivery_policy.clean_exif(
                jpeg_segments.exif_payload(data), keep_orientation=True
            )
            rewritten = jpeg_segments.rewrite(data, exif)
        except jpeg_segments.NotAJpeg as error:
            raise MediaRejected(f"Unreadable JPEG: {error}", code="damaged") from error
        with out.open("wb") as target:
            target.write(rewritten.header)
            for start in range(rewritten.scan_start, rewritten.scan_end, COPY_CHUNK):
                target.write(data[start : min(start + COPY_CHUNK, rewritten.scan_end)])
    if turn in photos._SWAPS_AXES:
        width, height = height, width
    return Made(width, height, "image/jpeg", rewritten.insert_at, credits)


def _resized(
    source: Path, detected: DetectedType, out: Path, long_edge: int | None, limits: PhotoLimits
) -> Made:
    with photos._pillow_policy(limits), photos._open(source, detected, limits) as im:
        size = fit(im.size, long_edge)
        if im.format in ("JPEG", "MPO"):
            im.draft("RGB", size)  # shrink-on-load: the decode stays within the upload's bounds
        profile, _ = colour.read_profile(im.info.get("icc_profile"))
        try:
            im.load()
        except photos._DECODE_ERRORS as error:
            raise MediaRejected("The original could not be decoded.", code="damaged") from error
        credits, turn = _credits(im)
        exif = delivery_policy.clean_exif(_exif_payload(im), keep_orientation=False)
        picture = decoding.shrink(im, size, photos.REDUCING_GAP)
    picture = colour.to_srgb(picture, profile)
    if turn in photos._UPRIGHT:
        picture = picture.transpose(photos._UPRIGHT[turn])
    picture.info = {}
    encoded = io.BytesIO()
    picture.save(
        encoded,
        "JPEG",
        quality=JPEG_QUALITY,
        subsampling=0,
        optimize=True,
        icc_profile=colour.SRGB_ICC,
        exif=exif,
    )
    data = encoded.getvalue()
    rewritten = jpeg_segments.rewrite(data, exif)
    out.write_bytes(rewritten.header + data[rewritten.scan_start : rewritten.scan_end])
    return Made(picture.width, picture.height, "image/jpeg", rewritten.insert_at, credits)


def _credits(im: Image.Image) -> tuple[Credits, int]:
    exif = im.getexif()
    described = metadata.describe(im, exif)
    credit = delivery_policy.read_credit_line(im)
    return Credits(described.creator, described.copyright, credit), metadata.orientation(exif)


def _exif_payload(im: Image.Image) -> bytes:
    raw = im.info.get("exif")
    return bytes(raw) if isinstance(raw, bytes | bytearray) else b""
