"""Deciding what an upload is from its bytes, never from its name or declared type.

``detect_type`` reads only the first bytes; ``find_trailing_payload`` walks the file's structure
to find data hidden after the end of the image (a "polyglot" that is also a ZIP or a web page).
"""

from __future__ import annotations

import mmap
import re
import struct
from pathlib import Path

from marketplace.i18n.markers import N_
from marketplace.media.types import DetectedType, MediaRejected

ACCEPTED = "photos (JPEG, PNG, TIFF, WebP, HEIC) and videos (MP4, MOV, MKV, WebM, AVI)"
RAW = N_("Camera raw files are not accepted; please export a JPEG or TIFF from your raw editor.")

JPEG = DetectedType("photo", "image/jpeg", "jpg")
PNG = DetectedType("photo", "image/png", "png")
TIFF = DetectedType("photo", "image/tiff", "tif")
WEBP = DetectedType("photo", "image/webp", "webp")
HEIC = DetectedType("photo", "image/heic", "heic")
HEIF = DetectedType("photo", "image/heif", "heif")
MP4 = DetectedType("video", "video/mp4", "mp4")
MOV = DetectedType("video", "video/quicktime", "mov")
MKV = DetectedType("video", "video/x-matroska", "mkv")
WEBM = DetectedType("video", "video/webm", "webm")
AVI = DetectedType("video", "video/x-msvideo", "avi")

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MP4_BRANDS = {
    *(b"iso" + bytes([c]) for c in b"m23456789"),
    b"mp41", b"mp42", b"mp71", b"avc1", b"M4V ", b"M4VH", b"M4VP", b"dash", b"mmp4", b"f4v ",
    b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"MSNV", b"XAVC", b"hvc1",
}  # fmt: skip
# QuickTime files written without an ftyp box start straight with one of these atoms.
_QT_FIRST_ATOMS = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"}

_ARCHIVE = "This is {}; please upload each photo or video on its own, not packed."
_Signatures = tuple[tuple[bytes | tuple[bytes, ...], str], ...]
_ARCHIVES: _Signatures = (
    ((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"), "a ZIP archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"\xfd7zXZ\x00", "an xz archive"),
    (b"\x28\xb5\x2f\xfd", "a Zstandard archive"),
)
_OTHER_KNOWN: _Signatures = (
    ((b"GIF87a", b"GIF89a"), "GIF images are not accepted"),
    (b"8BPS", "Photoshop documents are not accepted; please export a JPEG, PNG or TIFF"),
    ((b"\x7fELF", b"MZ"), "programs are not accepted"),
)
_MARKUP_START = re.compile(rb"^(?:\xef\xbb\xbf)?[\s\x00]*<", re.ASCII)

# Signatures that must never follow an image: what a ZIP reader or a browser would pick up.
_PAYLOAD = re.compile(
    rb"(PK\x03\x04|PK\x01\x02|Rar!\x1a\x07|7z\xbc\xaf\x27\x1c|%PDF-"
    rb"|<\?php|<script|<html|<svg|<!doctype|<iframe|<body|<object|<embed)",
    re.IGNORECASE,
)
_LONG_PAYLOAD = re.compile(
    rb"(Rar!\x1a\x07|7z\xbc\xaf\x27\x1c|%PDF-|<\?php|<script|<html|<!doctype|<iframe)",
    re.IGNORECASE,
)
TRAILING_ALLOWANCE = 64  # unexplained bytes tolerated after an image: editors leave stray bytes
_JPEG_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")


def detect_type(head: bytes) -> DetectedType:
    """Return the type that the leading bytes prove, or raise ``MediaRejected``.

    ``head`` should be at least the first 4096 bytes (or the whole file if shorter). Only formats
    the co-op renders are accepted; markup (SVG, HTML, XML), archives, PDFs and anything not
    recognised are refused with a sentence meant for the member.
    """
    if not head:
        raise MediaRejected(N_("The file is empty."), code="empty_file")
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        if head[8:10] == b"CR":  # Canon's CR2 raw is a TIFF with this mark
            raise MediaRejected(RAW, code="camera_raw")
        return TIFF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        # The EBML header names the DocType within its first few dozen bytes.
        return WEBM if b"webm" in head[:64] else MKV
    if len(head) >= 8 and head[4:8] in _QT_FIRST_ATOMS:
        # An atom's size is 0 (to the end), 1 (a 64-bit size follows) or at least its header.
        (size,) = struct.unpack(">I", head[:4])
        if size in (0, 1) or size >= 8:
            return MOV
    _reject_known(head)
    raise MediaRejected(
        f"We couldn't recognise this file. The co-op accepts {ACCEPTED}.", code="unknown_type"
    )


def _iso_media(head: bytes) -> DetectedType:
    """Classify an ISO base media file (HEIF, MP4, QuickTime) by its ftyp brands."""
    (box_size,) = struct.unpack(">I", head[:4])
    major = head[8:12]
    end = min(max(box_size, 16), len(head), 4096)
    compatible = {head[i : i + 4] for i in range(16, end - 3, 4)}
    brands = {major} | compatible
    avif_only = bool(brands & _AVIF_BRANDS) and not brands & _HEIC_BRANDS
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and avif_only):
        raise MediaRejected(
            f"AVIF images are not accepted yet. The co-op accepts {ACCEPTED}.", code="unknown_type"
        )
    if major in _HEIC_BRANDS:
        return HEIC
    if major in _HEIF_BRANDS:
        return HEIC if brands & _HEIC_BRANDS else HEIF
    if major == b"qt  ":
        return MOV
    if major in _MP4_BRANDS:
        return MP4
    audio = major in (b"M4A ", b"M4B ", b"M4P ")
    what = "Audio files are not accepted" if audio else "We couldn't recognise this media file"
    raise MediaRejected(f"{what}. The co-op accepts {ACCEPTED}.", code="unknown_type")


def _reject_known(head: bytes) -> None:
    """Raise a specific ``MediaRejected`` for formats we recognise but refuse."""
    lowered = head[:4096].lower()
    if b"%pdf-" in lowered[:1024]:
        raise MediaRejected(N_("PDF documents are not accepted."), code="pdf")
    if head[257:262] == b"ustar":
        raise MediaRejected(_ARCHIVE.format("a tar archive"), code="archive")
    for signature, what in _ARCHIVES:
        if head.startswith(signature):
            raise MediaRejected(_ARCHIVE.format(what), code="archive")
    utf16 = head[:2] in (b"\xff\xfe", b"\xfe\xff") and b"<" in head[2:4]
    if _MARKUP_START.match(head) or utf16:
        if b"<svg" in lowered or b"<\x00s\x00v\x00g" in lowered:
            reason = "SVG images can carry scripts, so they are not accepted; please export a PNG."
        else:
            reason = "HTML and XML files can carry scripts, so they are not accepted."
        raise MediaRejected(reason, code="active_content")
    for signature, what in _OTHER_KNOWN:
        if head.startswith(signature):
            raise MediaRejected(
                f"This file can't be sold here: {what}. The co-op accepts {ACCEPTED}.",
                code="unknown_type",
            )


def find_trailing_payload(path: Path, detected: DetectedType) -> str | None:
    """Return what is hidden in ``path`` besides its media (e.g. ``"a ZIP archive"``), or None.

    Guarantees: in any format, a ZIP whose end record closes the file is found (that is all a
    ZIP reader needs). For JPEG, PNG and WebP the image's structure is walked to its real end;
    bytes after it are reported when they hold archive, PDF or markup signatures, or when they
    exceed ``TRAILING_ALLOWANCE`` without being padding, further JPEG images (MPF), a motion
    photo's video or a Samsung trailer. A truncated file is not a polyglot: it yields None and
    fails when decoded.
    """
    size = path.stat().st_size
    if size == 0:
        return None
    with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if _zip_closes_file(data, size):
            return "a ZIP archive"
        strict = True
        if detected.mime == "image/jpeg":
            end = _jpeg_images_end(data)
            if end == _MALFORMED:
                # Unwalkable structure: fall back to the last end-of-image marker and report
                # signatures only, since the walk could not prove where the image stops.
                end, strict = data.rfind(b"\xff\xd9") + 2, False
        elif detected.mime == "image/png":
            end = _png_end(data, size)
        elif detected.mime == "image/webp":
            riff_size = struct.unpack_from("<I", data, 4)[0] if size >= 8 else size
            end = 8 + riff_size + (riff_size & 1)
            end = _TRUNCATED if end > size else end
        else:
            return None
        if end < 2:  # truncated (or no end marker at all in a malformed JPEG)
            return None
        return _classify_trailing(data, end, size, strict=strict)


_TRUNCATED = -1
_MALFORMED = -2
_NOT_PADDING = re.compile(rb"[^\x00\xff \t\r\n]")
_NEXT_IMAGE = re.compile(rb"\xff\xd8\xff|[^\x00\xff \t\r\n]")


def _zip_closes_file(data: mmap.mmap, size: int) -> bool:
    """True if an end-of-central-directory record, with its comment, ends exactly at EOF."""
    floor = max(0, size - 22 - 0xFFFF)
    pos = data.rfind(b"PK\x05\x06", floor)
    while pos >= 0:
        if pos + 22 <= size and pos + 22 + struct.unpack_from("<H", data, pos + 20)[0] == size:
            return True
        pos = data.rfind(b"PK\x05\x06", floor, pos)
    return False


def _jpeg_end(data: mmap.mmap, pos: int) -> int:
    """Offset just past the EOI of the JPEG starting at ``pos``, or _TRUNCATED / _MALFORMED."""
    size = len(data)
    pos += 2  # SOI
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            return _MALFORMED
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
        elif marker == 0xD9:
            return pos + 2
        elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
        else:
            if pos + 4 > size:
                return _TRUNCATED
            (length,) = struct.unpack_from(">H", data, pos + 2)
            if length < 2:
                return _MALFORMED
            pos += 2 + length
            if marker == 0xDA:
                # Entropy-coded data: a real marker is FF followed by neither 00 (stuffing)
                # nor a restart marker. The regex scans in C, so a 20 MB file takes milliseconds.
                found = _JPEG_MARKER.search(data, min(pos, size))
                if found is None:
                    return _TRUNCATED
                pos = found.start()
    return _TRUNCATED


def _jpeg_images_end(data: mmap.mmap) -> int:
    """End of the primary JPEG and of any JPEG images concatenated after it (MPF/MPO)."""
    end = _jpeg_end(data, 0)
    while end > 0:
        found = _NEXT_IMAGE.search(data, end)
        if found is None or found.group() != b"\xff\xd8\xff":
            break
        following = _jpeg_end(data, found.start())
        if following < 0:
            break
        end = following
    return end


def _png_end(data: mmap.mmap, size: int) -> int:
    pos = 8
    while pos + 12 <= size:
        length, kind = struct.unpack_from(">I4s", data, pos)
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= size else _TRUNCATED
    return _TRUNCATED


def _classify_trailing(data: mmap.mmap, end: int, size: int, *, strict: bool) -> str | None:
    found_start = _NOT_PADDING.search(data, end)
    if found_start is None:
        return None
    first = found_start.start()
    # A motion photo's video or a Samsung phone's trailer is legitimate; it is only searched for
    # long signatures, as four-byte ones turn up by chance in megabytes of compressed video.
    # (The video's box size starts with zero bytes, which were skipped as padding.)
    benign = b"ftyp" in data[end : first + 8] or data[size - 4 : size] == b"SEFT"
    found = (_LONG_PAYLOAD if benign else _PAYLOAD).search(data, first)
    if found is not None:
        return _describe(found.group().lower())
    if benign or not strict or size - first <= TRAILING_ALLOWANCE:
        return None
    return "unexpected data"


def _describe(signature: bytes) -> str:  # fmt: skip
    names = (
        (b"pk", "a ZIP archive"),
        (b"rar", "a RAR archive"),
        (b"7z", "a 7-Zip archive"),
        (b"%pdf", "a PDF document"),
        (b"<?php", "a PHP script"),
        (b"<svg", "an SVG image"),
    )
    return next(
        (name for prefix, name in names if signature.startswith(prefix)), "HTML or script code"
    )
