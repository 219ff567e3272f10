"""The text of a PDF that fpdf2 wrote with an embedded TrueType font, for tests to read back.

fpdf2 writes such text as two-byte glyph ids (``Identity-H``) and gives each font a
``ToUnicode`` map from glyph ids to characters; this reads the content streams, follows the
font each text run is set in, and maps its glyphs back. Only what fpdf2 writes is handled
(literal strings shown with ``Tj`` or ``TJ``), which is all the co-op's PDFs need.
"""

from __future__ import annotations

import re
import zlib

_OBJECT = re.compile(rb"(\d+) 0 obj")
_LENGTH = re.compile(rb"/Length (\d+)")
_CONTENTS = re.compile(rb"/Contents (\d+) 0 R")
_FONT_RESOURCE = re.compile(rb"/(F\d+) (\d+) 0 R")
_TO_UNICODE = re.compile(rb"/ToUnicode (\d+) 0 R")
_BFCHAR = re.compile(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>")
_TEXT_OPS = re.compile(rb"/(F\d+) [\d.]+ Tf|(\((?:\\.|[^\\)])*\))\s*Tj|\[(.*?)\]\s*TJ|(ET)", re.S)
_LITERAL = re.compile(rb"\((?:\\.|[^\\)])*\)", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _objects(pdf: bytes) -> dict[int, tuple[bytes, bytes]]:
    """Each object's dictionary and its stream's bytes (decompressed), by object number.

    A stream is read by its ``/Length``: compressed bytes may happen to hold "endobj"."""
    found: dict[int, tuple[bytes, bytes]] = {}
    for match in _OBJECT.finditer(pdf):
        start = match.end()
        end = pdf.find(b"endobj", start)
        head_end = pdf.find(b"stream", start)
        if head_end == -1 or head_end > end:
            found[int(match.group(1))] = (pdf[start:end], b"")
            continue
        head = pdf[start:head_end]
        length = _LENGTH.search(head)
        if length is None:
            continue
        data_start = head_end + len(b"stream")
        data_start += 2 if pdf[data_start : data_start + 2] == b"\r\n" else 1
        data = pdf[data_start : data_start + int(length.group(1))]
        found[int(match.group(1))] = (
            head,
            zlib.decompress(data) if b"/FlateDecode" in head else data,
        )
    return found


def _unescape(literal: bytes) -> bytes:
    out = bytearray()
    body, i = literal[1:-1], 0
    while i < len(body):
        char = body[i : i + 1]
        if char != b"\\":
            out += char
            i += 1
            continue
        following = body[i + 1 : i + 2]
        octal = re.match(rb"[0-7]{1,3}", body[i + 1 : i + 4])
        if octal:
            out.append(int(octal.group(0), 8))
            i += 1 + len(octal.group(0))
        else:
            out += _ESCAPES.get(following, following)
            i += 2
    return bytes(out)


def _cmap(data: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for glyph, text in _BFCHAR.findall(data):
        mapping[int(glyph, 16)] = bytes.fromhex(text.decode()).decode("utf-16-be")
    return mapping


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, one line per text object, in the order it is drawn."""
    objects = _objects(pdf)
    fonts: dict[bytes, dict[int, str]] = {}
    for name, number in _FONT_RESOURCE.findall(pdf):
        to_unicode = _TO_UNICODE.search(objects.get(int(number), (b"", b""))[0])
        if to_unicode:
            fonts[name] = _cmap(objects[int(to_unicode.group(1))][1])
    lines: list[str] = []
    for number in _CONTENTS.findall(pdf):
        content = objects[int(number)][1]
        mapping: dict[int, str] = {}
        line = ""
        for match in _TEXT_OPS.finditer(content):
            font, shown, array, end = match.groups()
            if font:
                mapping = fonts.get(font, {})
            elif end:
                if line:
                    lines.append(line)
                line = ""
            else:
                literals = [shown] if shown else _LITERAL.findall(array)
                for literal in literals:
                    codes = _unescape(literal)
                    line += "".join(
                        mapping.get(int.from_bytes(codes[i : i + 2], "big"), "\ufffd")
                        for i in range(0, len(codes) - 1, 2)
                    )
    return "\n".join(lines)


def pdf_words(pdf: bytes) -> str:
    """The PDF's text with every run of spaces and line breaks as one space, so a sentence
    wrapped over lines reads as written (no-break spaces, which French numbers use, stay)."""
    return re.sub(r"[ \t\r\n]+", " ", pdf_text(pdf)).strip()
