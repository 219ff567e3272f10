"""What every delivered file carries and drops: the co-op's one metadata policy.

The same policy applies to the original (its metadata segments edited, its image data left as
it is) and to every smaller rendition. README "What a buyer receives" and API.md say the same.

- EXIF is rebuilt from an allow-list (``KEPT_IFD0``, ``KEPT_EXIF``): the creator (Artist), the
  copyright, the camera and exposure settings and the capture date. Everything else goes: the
  GPS IFD and every other location, serial numbers (BodySerialNumber, LensSerialNumber, the
  maker notes where InternalSerialNumber lives), owner names (CameraOwnerName; OwnerName is a
  maker-note field), ImageUniqueID, Software, ProcessingSoftware, user comments, the embedded
  thumbnail (it may show the uncropped frame).
- XMP and IPTC of the original are dropped whole (they carry location, history and editing
  software); the delivered XMP is written new: dc:creator, dc:rights, photoshop:Credit, and the
  licence (xmpRights:Marked, xmpRights:WebStatement = the public verification address,
  xmpRights:UsageTerms, plus:LicenseID = the licence number, plus:Licensee, plus:Licensor).
- JPEG comments and vendor APPn segments are dropped; the ICC profile is kept (it is how the
  pixels' colours are meant to be read).

Pure: Pillow is used only to read and write the EXIF structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from PIL import Image

from marketplace.media.metadata import _raw

EXIF_IFD, GPS_IFD, INTEROP_IFD = 0x8769, 0x8825, 0xA005
ORIENTATION = 0x0112
# The allow-list. Tags by number, names as EXIF 2.32 spells them.
KEPT_IFD0 = {
    0x010F: "Make",
    0x0110: "Model",
    0x0112: "Orientation",  # originals only: renditions are made upright
    0x011A: "XResolution",
    0x011B: "YResolution",
    0x0128: "ResolutionUnit",
    0x013B: "Artist",
    0x8298: "Copyright",
}
KEPT_EXIF = {
    0x829A: "ExposureTime",
    0x829D: "FNumber",
    0x8822: "ExposureProgram",
    0x8827: "ISOSpeedRatings",
    0x9003: "DateTimeOriginal",
    0x9204: "ExposureBiasValue",
    0x9207: "MeteringMode",
    0x9209: "Flash",
    0x920A: "FocalLength",
    0xA001: "ColorSpace",
    0xA403: "WhiteBalance",
    0xA405: "FocalLengthIn35mmFilm",
    0xA433: "LensMake",
    0xA434: "LensModel",
}
# Named here so that tests and the README can list what is certain to go.
DROPPED = (
    "GPS (the whole GPS IFD), OffsetTime* (a time zone narrows down a place)",
    "BodySerialNumber, LensSerialNumber, MakerNote (InternalSerialNumber, OwnerName)",
    "CameraOwnerName, ImageUniqueID, UserComment, ImageDescription",
    "Software, ProcessingSoftware, DateTime, HostComputer, XMP history, IPTC, comments",
)
MAX_FIELD = 500


@dataclass(frozen=True)
class Credits:
    """The photographer's credit as the original states it (any may be missing)."""

    creator: str | None
    copyright: str | None
    credit: str | None


@dataclass(frozen=True)
class LicenceMark:
    """The licence written into a delivered file."""

    number: str
    verify_url: str
    holder_name: str
    licence_name: str
    licensor_name: str
    licensor_url: str
    credits: Credits


def clean_exif(payload: bytes, *, keep_orientation: bool) -> bytes:
    """EXIF (TIFF-structured, without "Exif\\0\\0") holding only the allow-listed tags, or empty
    bytes when none remain. Unreadable EXIF yields empty bytes: dropping it is always safe."""
    if not payload:
        return b""
    source = Image.Exif()
    try:
        source.load(payload)
        details = dict(source.get_ifd(EXIF_IFD))
    except (OSError, SyntaxError, ValueError, KeyError, TypeError, IndexError, EOFError):
        return b""
    kept = Image.Exif()
    for tag in KEPT_IFD0:
        if tag == ORIENTATION and not keep_orientation:
            continue
        if tag in source:
            kept[tag] = _value(source[tag])
    chosen = {tag: details[tag] for tag in KEPT_EXIF if tag in details}
    if chosen:
        kept.get_ifd(EXIF_IFD).update(chosen)
    return kept.tobytes() if len(kept) or chosen else b""


def licence_xmp(mark: LicenceMark) -> bytes:
    """The XMP packet every delivered file carries: credit, rights and the licence."""
    credits = mark.credits
    usage = (
        f"Licensed to {mark.holder_name} under the {mark.licence_name} licence, licence number "
        f"{mark.number}. Check it at {mark.verify_url}"
    )
    fields = [
        _seq("dc:creator", credits.creator),
        _alt("dc:rights", credits.copyright),
        _simple("photoshop:Credit", credits.credit or credits.creator),
        "<xmpRights:Marked>True</xmpRights:Marked>",
        _simple("xmpRights:WebStatement", mark.verify_url),
        _alt("xmpRights:UsageTerms", usage),
        _simple("plus:LicenseID", mark.number),
        _struct("plus:Licensee", {"plus:LicenseeName": mark.holder_name}),
        _struct(
            "plus:Licensor",
            {"plus:LicensorName": mark.licensor_name, "plus:LicensorURL": mark.licensor_url},
        ),
    ]
    body = "".join(f for f in fields if f)
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/">'
        f"{body}</rdf:Description></rdf:RDF></x:xmpmeta>"
        '<?xpacket end="r"?>'
    ).encode()


def read_credit_line(im: Image.Image) -> str | None:
    """The original's credit line: IPTC 2:110 Credit, else XMP photoshop:Credit."""
    from PIL import IptcImagePlugin

    try:
        records = IptcImagePlugin.getiptcinfo(im) or {}  # type: ignore[arg-type]
    except (OSError, SyntaxError, ValueError, IndexError, KeyError, TypeError):
        records = {}
    raw = records.get((2, 110))
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if isinstance(raw, bytes) and raw.strip():
        return raw.decode("utf-8", "replace").strip()[:MAX_FIELD]
    packet = im.info.get("xmp")
    if isinstance(packet, bytes):
        start = packet.find(b"photoshop:Credit")
        if start >= 0:
            text = packet[start:].split(b">", 1)[-1].split(b"<", 1)[0]
            if text.strip() and b"=" not in text:
                return text.decode("utf-8", "replace").strip()[:MAX_FIELD]
    return None


def _value(value: object) -> object:
    # Pillow reads EXIF text as Latin-1: encoding back gives the camera's own bytes.
    return _raw(value) if isinstance(value, str) else value


def _text(value: str) -> str:
    return escape(value.replace("\x00", "")[:MAX_FIELD])


def _simple(name: str, value: str | None) -> str:
    return f"<{name}>{_text(value)}</{name}>" if value else ""


def _seq(name: str, value: str | None) -> str:
    if not value:
        return ""
    return f"<{name}><rdf:Seq><rdf:li>{_text(value)}</rdf:li></rdf:Seq></{name}>"


def _alt(name: str, value: str | None) -> str:
    if not value:
        return ""
    item = f"<rdf:li xml:lang={quoteattr('x-default')}>{_text(value)}</rdf:li>"
    return f"<{name}><rdf:Alt>{item}</rdf:Alt></{name}>"


def _struct(name: str, fields: dict[str, str]) -> str:
    inner = "".join(_simple(key, value) for key, value in fields.items())
    return f'<{name}><rdf:Seq><rdf:li rdf:parseType="Resource">{inner}</rdf:li></rdf:Seq></{name}>'
