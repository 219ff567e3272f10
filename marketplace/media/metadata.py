"""Reading what a photo says about itself (EXIF, IPTC, XMP), and what derived files may keep.

Everything here is best effort: broken metadata never rejects a photo, it is simply not read.
Only the photographer's credit (EXIF Artist and Copyright) is ever copied to derived files.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from PIL import Image, IptcImagePlugin

# EXIF tags: in the first IFD...
ORIENTATION, ARTIST, COPYRIGHT, MAKE, MODEL = 0x0112, 0x013B, 0x8298, 0x010F, 0x0110
# ...and in the Exif IFD that it points to.
EXIF_IFD, LENS = 0x8769, 0xA434
DATE_ORIGINAL, DATE_DIGITIZED, OFFSET_ORIGINAL = 0x9003, 0x9004, 0x9011
MAX_TEXT, MAX_KEYWORD, MAX_KEYWORDS, MAX_XMP = 2000, 200, 50, 4 * 1024 * 1024
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_OFFSET = re.compile(r"^([+-])(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class Described:
    """The photo's own account of itself, merged from EXIF, IPTC and XMP (XMP wins)."""

    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    taken_at: datetime | None = None
    title: str | None = None
    description: str | None = None
    keywords: list[str] = field(default_factory=list)
    creator: str | None = None
    copyright: str | None = None


def orientation(exif: Image.Exif) -> int:
    """The EXIF orientation (1–8); 1 when absent or nonsensical."""
    value = exif.get(ORIENTATION)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def credit_exif(exif: Image.Exif) -> bytes:
    """EXIF bytes holding only Artist and Copyright (empty bytes when the original had neither)."""
    kept = Image.Exif()
    for tag in (ARTIST, COPYRIGHT):
        value = exif.get(tag)
        if _text(value):
            # Pillow reads EXIF text as Latin-1; encoding back gives the camera's bytes exactly.
            kept[tag] = _raw(value)
    return kept.tobytes() if len(kept) else b""


def describe(im: Image.Image, exif: Image.Exif) -> Described:
    """Collect camera, lens, capture time and the photographer's captions from ``im``.

    ``taken_at`` is always timezone-aware: with EXIF OffsetTimeOriginal it is the true instant
    in UTC; without it, the camera's clock reading is taken to be UTC (cameras rarely record a
    zone, and a date is all the catalogue needs). Texts are capped at 2000 characters;
    keywords (XMP's first, then IPTC's) at 50 of 200 characters, de-duplicated ignoring case.
    """
    details = exif.get_ifd(EXIF_IFD)
    iptc = _iptc(im)
    xmp = _xmp(im)
    keywords: list[str] = []
    for word in [*xmp.get("subject", []), *iptc.get("keywords", [])]:
        if word and word.casefold() not in {k.casefold() for k in keywords}:
            keywords.append(word[:MAX_KEYWORD])
    return Described(
        camera_make=_text(exif.get(MAKE)),
        camera_model=_text(exif.get(MODEL)),
        lens=_text(details.get(LENS)),
        taken_at=_taken_at(details),
        title=_first(xmp.get("title"), iptc.get("title")),
        description=_first(xmp.get("description"), iptc.get("caption")),
        keywords=keywords[:MAX_KEYWORDS],
        creator=_first(xmp.get("creator"), iptc.get("byline"), _text(exif.get(ARTIST))),
        copyright=_first(xmp.get("rights"), iptc.get("copyright"), _text(exif.get(COPYRIGHT))),
    )


def _first(*values: object) -> str | None:
    for value in values:
        if isinstance(value, list):
            value = ", ".join(value)
        if isinstance(value, str) and value.strip():
            return value.strip()[:MAX_TEXT]
    return None


def _raw(value: object) -> bytes:
    if isinstance(value, bytes):
        return value
    try:
        return str(value).encode("latin-1")
    except UnicodeEncodeError:
        return str(value).encode("utf-8")


def _text(value: object) -> str | None:
    """Clean text from an EXIF value; UTF-8 (as most software writes it) is recognised."""
    if not isinstance(value, str | bytes):
        return None
    raw = _raw(value)
    try:
        value = raw.decode("utf-8")
    except UnicodeDecodeError:
        value = raw.decode("latin-1")
    cleaned = value.replace("\x00", "").strip()
    return cleaned[:MAX_TEXT] or None


def _taken_at(details: dict[int, object]) -> datetime | None:
    raw = _text(details.get(DATE_ORIGINAL)) or _text(details.get(DATE_DIGITIZED))
    if raw is None:
        return None
    try:
        naive = datetime.strptime(raw[:19].replace("-", ":"), "%Y:%m:%d %H:%M:%S")
    except ValueError:  # "0000:00:00 00:00:00" and other placeholders
        return None
    offset = _OFFSET.match(_text(details.get(OFFSET_ORIGINAL)) or "")
    if offset is None:
        return naive.replace(tzinfo=UTC)
    sign = -1 if offset.group(1) == "-" else 1
    zone = timezone(sign * timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    return naive.replace(tzinfo=zone).astimezone(UTC)


def _iptc(im: Image.Image) -> dict[str, str | list[str]]:
    """IPTC-IIM 2:05 title, 2:25 keywords, 2:120 caption, 2:80 by-line, 2:116 copyright."""
    try:
        records = IptcImagePlugin.getiptcinfo(im) or {}  # type: ignore[arg-type]
    except (OSError, SyntaxError, ValueError, IndexError, KeyError, TypeError):
        return {}
    utf8 = b"\x1b%G" in _as_list(records.get((1, 90)))
    names = {(2, 5): "title", (2, 25): "keywords", (2, 120): "caption", (2, 80): "byline",
             (2, 116): "copyright"}  # fmt: skip
    found: dict[str, str | list[str]] = {}
    for key, name in names.items():
        values = [_decode(raw, utf8) for raw in _as_list(records.get(key))]
        values = [v for v in values if v]
        if values:
            found[name] = values if name == "keywords" else values[0]
    return found


def _as_list(value: object) -> list[bytes]:
    if isinstance(value, bytes):
        return [value]
    return [v for v in value if isinstance(v, bytes)] if isinstance(value, list) else []


def _decode(raw: bytes, utf8: bool) -> str:
    try:
        return raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        # Without the UTF-8 declaration (1:90), old software wrote Latin-1.
        return "" if utf8 else raw.decode("latin-1").strip()


def _xmp(im: Image.Image) -> dict[str, list[str]]:
    """Dublin Core title, description, subject, creator and rights from the XMP packet."""
    packet = im.info.get("xmp") or im.info.get("XML:com.adobe.xmp")
    tags = getattr(im, "tag_v2", None)
    if packet is None and tags is not None:
        packet = tags.get(700)  # TIFF keeps XMP in tag 700
    if isinstance(packet, str):
        packet = packet.encode("utf-8")
    if not isinstance(packet, bytes) or len(packet) > MAX_XMP:
        return {}
    # Expat fetches no external entities, and refusing any DTD rules out entity expansion
    # ("billion laughs"); XMP never needs one.
    if re.search(rb"<!(DOCTYPE|ENTITY)", packet, re.IGNORECASE):
        return {}
    start, end = packet.find(b"<"), packet.rfind(b">")
    try:
        root = ET.fromstring(packet[start : end + 1])  # noqa: S314 - DTDs refused above
    except ET.ParseError:
        return {}
    found: dict[str, list[str]] = {}
    for name in ("title", "description", "subject", "creator", "rights"):
        element = root.find(f".//{_DC}{name}")
        if element is not None:
            found[name] = _rdf_values(element)
    return found


def _rdf_values(element: ET.Element) -> list[str]:
    """The items of an rdf:Alt/Bag/Seq; for a language alternative, x-default alone if present."""
    items = list(element.iter(f"{_RDF}li"))
    if not items:
        return [element.text.strip()] if element.text and element.text.strip() else []
    chosen = items
    if element.find(f"{_RDF}Alt") is not None:  # a language alternative: one text, not a list
        chosen = [li for li in items if li.get(_LANG) == "x-default"][:1] or items[:1]
    texts = [(li.text or "").strip() for li in chosen]
    return [t[:MAX_TEXT] for t in texts if t]
