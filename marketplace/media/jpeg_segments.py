"""Editing a JPEG's metadata without touching its image data: a marker-segment rewriter.

A JPEG is a run of marker segments (SOI, APPn, DQT, SOF, DHT, SOS + entropy-coded scan, ...,
EOI). Metadata lives in APPn and COM segments; the picture lives in everything else. The
rewriter copies every non-metadata segment and every scan byte for byte, keeps only the APPn
segments that describe how to decode the pixels (JFIF, the ICC profile, Adobe's colour
transform), puts the EXIF it is given in place of the original's, and stops at the first EOI,
so images appended after it (an MPO's second frame, a hidden payload) are dropped too.

Pure: bytes in, bytes out (any buffer: ``bytes`` or an ``mmap`` of a large original).
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass

SOI, EOI, SOS = b"\xff\xd8", 0xD9, 0xDA
APP0, APP1, APP2, APP13, APP14, COM = 0xE0, 0xE1, 0xE2, 0xED, 0xEE, 0xFE
EXIF_HEADER = b"Exif\x00\x00"
XMP_HEADER = b"http://ns.adobe.com/xap/1.0/\x00"
ICC_HEADER = b"ICC_PROFILE\x00"
# A marker segment's payload holds at most 65,533 bytes (its length field counts itself).
MAX_PAYLOAD = 65533
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RSTn carry no length


# bytes, or a memory map of a large original (read without loading it whole).
Buffer = bytes | mmap.mmap


class NotAJpeg(ValueError):
    """The bytes are not a JPEG this rewriter can follow."""


@dataclass(frozen=True)
class Segment:
    marker: int
    start: int  # offset of the 0xFF of the marker
    end: int  # offset just past the segment (for SOS: past its header, not its scan)

    def payload(self, data: Buffer) -> bytes:
        return bytes(data[self.start + 4 : self.end])


@dataclass(frozen=True)
class Rewritten:
    """A JPEG's new header (SOI, kept APPn, then every other segment up to the first scan),
    where an XMP segment may be inserted, and the span of the original that follows as is."""

    header: bytes
    insert_at: int  # offset in ``header`` just past the JFIF and EXIF segments
    scan_start: int  # the original's first SOS marker
    scan_end: int  # just past the original's EOI


def segment(marker: int, payload: bytes) -> bytes:
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"a JPEG segment holds at most {MAX_PAYLOAD} bytes")
    return bytes((0xFF, marker)) + struct.pack(">H", len(payload) + 2) + payload


def header_segments(data: Buffer) -> tuple[list[Segment], int]:
    """The segments before the first scan, and the offset of that scan's SOS marker."""
    if bytes(data[:2]) != SOI:
        raise NotAJpeg("no SOI marker")
    found: list[Segment] = []
    pos = 2
    while True:
        pos = _next_marker(data, pos)
        marker = data[pos + 1]
        if marker == SOS:
            return found, pos
        if marker == EOI:
            raise NotAJpeg("EOI before any scan")
        if marker in _STANDALONE:
            pos += 2
            continue
        if pos + 4 > len(data):
            raise NotAJpeg("truncated segment header")
        (length,) = struct.unpack(">H", bytes(data[pos + 2 : pos + 4]))
        end = pos + 2 + length
        if length < 2 or end > len(data):
            raise NotAJpeg("segment runs past the end of the file")
        found.append(Segment(marker, pos, end))
        pos = end


def end_of_image(data: Buffer, scan_start: int) -> int:
    """The offset just past the EOI that ends the image whose first scan is at ``scan_start``.

    Inside entropy-coded data 0xFF is always followed by 0x00 (a stuffed byte) or RSTn, so the
    first other marker there ends the scan; segments between scans (DHT, SOS of a progressive
    JPEG) are stepped over by their lengths.
    """
    raw = data
    pos = scan_start
    while pos + 2 <= len(raw):
        marker = raw[pos + 1]
        if marker == EOI:
            return pos + 2
        if pos + 4 > len(raw):
            break
        (length,) = struct.unpack(">H", raw[pos + 2 : pos + 4])
        pos += 2 + length
        if marker != SOS:
            continue
        while True:  # the entropy-coded data after an SOS header
            pos = raw.find(b"\xff", pos)
            if pos < 0 or pos + 1 >= len(raw):
                raise NotAJpeg("no EOI after the scan")
            following = raw[pos + 1]
            if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
                pos += 1 if following == 0xFF else 2
                continue
            break
    raise NotAJpeg("no EOI after the scan")


def rewrite(data: Buffer, exif: bytes) -> Rewritten:
    """The header of ``data`` with its metadata replaced: JFIF, ICC and Adobe segments kept,
    ``exif`` (a TIFF-structured EXIF block, or empty for none) as the only APP1, nothing else.
    The image data (``data[scan_start:scan_end]``) is to follow the header unchanged."""
    segments, scan_start = header_segments(data)
    jfif = [s for s in segments if s.marker == APP0 and s.payload(data).startswith(b"JFIF\x00")]
    first = b"".join(bytes(data[s.start : s.end]) for s in jfif[:1])
    if exif:
        first += segment(APP1, EXIF_HEADER + exif.removeprefix(EXIF_HEADER))
    rest = b"".join(bytes(data[s.start : s.end]) for s in segments if _kept(s, data))
    return Rewritten(
        header=SOI + first + rest,
        insert_at=len(SOI) + len(first),
        scan_start=scan_start,
        scan_end=end_of_image(data, scan_start),
    )


def exif_payload(data: Buffer) -> bytes:
    """The original's EXIF block (after "Exif\\0\\0"), or empty bytes."""
    segments, _ = header_segments(data)
    for s in segments:
        if s.marker == APP1 and s.payload(data).startswith(EXIF_HEADER):
            return s.payload(data)[len(EXIF_HEADER) :]
    return b""


def xmp_segment(packet: bytes) -> bytes:
    """An APP1 segment carrying an XMP packet."""
    return segment(APP1, XMP_HEADER + packet)


def _kept(s: Segment, data: Buffer) -> bool:
    if s.marker == COM or s.marker == APP0:  # comments, and JFIF (placed first already)
        return False
    if APP0 < s.marker <= 0xEF:
        head = bytes(data[s.start + 4 : s.start + 4 + 14])
        return (s.marker == APP2 and head.startswith(ICC_HEADER)) or (
            s.marker == APP14 and head.startswith(b"Adobe")
        )
    return True


def _next_marker(data: Buffer, pos: int) -> int:
    # Fill bytes (0xFF 0xFF ...) may precede a marker.
    while pos + 1 < len(data) and data[pos] == 0xFF and data[pos + 1] == 0xFF:
        pos += 1
    if pos + 1 >= len(data) or data[pos] != 0xFF:
        raise NotAJpeg(f"no marker at offset {pos}")
    return pos
