"""Sniffing: types decided from bytes alone, and polyglots found after the end of an image."""

from __future__ import annotations

import io
import os
import struct
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

from marketplace.media.sniff import JPEG, PNG, TIFF, WEBP, detect_type, find_trailing_payload
from marketplace.media.types import DetectedType, MediaRejected
from tests.fixtures import media_files as mf


def head_of(path: Path) -> bytes:
    with path.open("rb") as fh:
        return fh.read(4096)


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("make", "mime", "extension"),
    [
        (mf.make_jpeg, "image/jpeg", "jpg"),
        (mf.make_png, "image/png", "png"),
        (mf.make_tiff, "image/tiff", "tif"),
        (mf.make_webp, "image/webp", "webp"),
        (mf.make_heic, "image/heic", "heic"),
    ],
)
def test_real_photos_are_recognised(
    tmp_path: Path, make: Callable[..., Path], mime: str, extension: str
) -> None:
    detected = detect_type(head_of(make(tmp_path / "upload.bin", 640, 480)))
    assert detected == DetectedType("photo", mime, extension)


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video/mp4"),
        (ftyp(b"mp42", b"mp42", b"isom"), "video/mp4"),
        (ftyp(b"M4V ", b"M4V ", b"mp42"), "video/mp4"),
        (ftyp(b"qt  ", b"qt  "), "video/quicktime"),
        (b"\x00\x00\x00\x08wide\x00\x00\x10\x00mdat", "video/quicktime"),
        (b"\x00\x00\x01\x00moov\x00\x00\x00\x6cmvhd", "video/quicktime"),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "video/webm"),
        (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "video/x-matroska"),
        (b"RIFF\x00\x10\x00\x00AVI LIST", "video/x-msvideo"),
        (ftyp(b"heic", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"mif1", b"mif1", b"heic"), "image/heic"),
        (ftyp(b"msf1", b"msf1", b"hevc"), "image/heic"),
        (ftyp(b"mif1", b"mif1"), "image/heif"),
    ],
)
def test_video_and_heif_brands(head: bytes, mime: str) -> None:
    assert detect_type(head + bytes(64)).mime == mime


@pytest.mark.parametrize(
    ("head", "code", "words"),
    [
        (b"", "empty_file", "empty"),
        (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">', "active_content", "SVG"),
        (b"\xef\xbb\xbf  \n<svg><script>alert(1)</script></svg>", "active_content", "SVG"),
        (b"<!DOCTYPE html><html><body>hi</body></html>", "active_content", "HTML"),
        (b"\n\n<html><script>x()</script>", "active_content", "HTML"),
        (b'<?xml version="1.0"?><root/>', "active_content", "XML"),
        ("<svg/>".encode("utf-16"), "active_content", "SVG"),
        (mf.zip_bytes(), "archive", "ZIP"),
        (b"\x1f\x8b\x08\x00" + bytes(40), "archive", "gzip"),
        (b"Rar!\x1a\x07\x01\x00" + bytes(40), "archive", "RAR"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "pdf", "PDF"),
        (b"GIF89a\x10\x00\x10\x00", "unknown_type", "GIF"),
        (b"II*\x00\x10\x00\x00\x00CR\x02\x00", "camera_raw", "raw"),
        (b"MZ\x90\x00\x03\x00\x00\x00", "unknown_type", "programs"),
        (ftyp(b"avif", b"avif", b"mif1"), "unknown_type", "AVIF"),
        (ftyp(b"M4A ", b"M4A "), "unknown_type", "Audio"),
        (b"just some text that is no media at all", "unknown_type", "recognise"),
        (bytes(range(256)) * 4, "unknown_type", "recognise"),
    ],
)
def test_refused_with_a_reason(head: bytes, code: str, words: str) -> None:
    with pytest.raises(MediaRejected) as rejected:
        detect_type(head)
    assert rejected.value.code == code
    assert words in rejected.value.reason


def test_tar_archives_are_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(mf.make_jpeg(tmp_path / "a.jpg", 640, 480), arcname="a.jpg")
    with pytest.raises(MediaRejected, match="tar archive"):
        detect_type(buffer.getvalue()[:4096])


def test_the_name_is_ignored(tmp_path: Path) -> None:
    assert detect_type(head_of(mf.make_mismatched(tmp_path / "holiday.jpg"))) == PNG


def test_fixture_files_for_bad_inputs_are_refused(tmp_path: Path) -> None:
    for make in (mf.make_zip, mf.make_svg, mf.make_html, mf.make_pdf, mf.make_zero_byte):
        with pytest.raises(MediaRejected):
            detect_type(head_of(make(tmp_path / "upload.jpg")))


@pytest.mark.parametrize(
    ("make", "detected", "found"),
    [
        (mf.make_polyglot_jpeg_zip, JPEG, "a ZIP archive"),
        (mf.make_polyglot_jpeg_html, JPEG, "HTML or script code"),
        (mf.make_polyglot_png, PNG, "HTML or script code"),
        (lambda p: mf.make_polyglot_png(p, mf.zip_bytes()), PNG, "a ZIP archive"),
    ],
)
def test_polyglots_are_found(
    tmp_path: Path, make: Callable[[Path], Path], detected: DetectedType, found: str
) -> None:
    path = make(tmp_path / "upload.bin")
    assert detect_type(head_of(path)) == detected  # the head looks innocent
    assert find_trailing_payload(path, detected) == found


def append(path: Path, data: bytes) -> Path:
    path.write_bytes(path.read_bytes() + data)
    return path


def test_zip_appended_to_any_format_is_found(tmp_path: Path) -> None:
    tiff = append(mf.make_tiff(tmp_path / "a.tif", 640, 480), mf.zip_bytes())
    assert find_trailing_payload(tiff, TIFF) == "a ZIP archive"
    webp = append(mf.make_webp(tmp_path / "a.webp", 640, 480), b"<?php system($_GET['c']); ?>")
    assert find_trailing_payload(webp, WEBP) == "a PHP script"


def test_unexplained_trailing_data_is_refused_beyond_a_small_allowance(tmp_path: Path) -> None:
    small = append(mf.make_jpeg(tmp_path / "small.jpg", 640, 480), b"\x00\x01junk-from-an-editor")
    assert find_trailing_payload(small, JPEG) is None
    padded = append(mf.make_jpeg(tmp_path / "padded.jpg", 640, 480), b"\x00" * 20_000)
    assert find_trailing_payload(padded, JPEG) is None
    big = append(mf.make_jpeg(tmp_path / "big.jpg", 640, 480), os.urandom(10_000))
    assert find_trailing_payload(big, JPEG) == "unexpected data"


def test_legitimate_camera_trailers_pass(tmp_path: Path) -> None:
    second = io.BytesIO()
    Image.new("RGB", (160, 120), (1, 2, 3)).save(second, "JPEG")
    multi = append(mf.make_jpeg(tmp_path / "mpf.jpg", 640, 480), second.getvalue())
    assert find_trailing_payload(multi, JPEG) is None
    motion = ftyp(b"mp42", b"isom") + os.urandom(50_000)
    assert find_trailing_payload(append(mf.make_jpeg(tmp_path / "mv.jpg"), motion), JPEG) is None
    samsung = b"\x00\x00SEFH" + os.urandom(3000) + b"SEFT"
    assert find_trailing_payload(append(mf.make_jpeg(tmp_path / "s.jpg"), samsung), JPEG) is None


def test_clean_and_truncated_files_have_no_payload(tmp_path: Path) -> None:
    photo = mf.make_jpeg(tmp_path / "real.jpg", image=mf.realistic_image(1600, 1200))
    assert find_trailing_payload(photo, JPEG) is None
    progressive = tmp_path / "progressive.jpg"
    Image.open(photo).save(progressive, "JPEG", progressive=True, quality=90)
    assert find_trailing_payload(progressive, JPEG) is None
    assert find_trailing_payload(mf.make_truncated_jpeg(tmp_path / "cut.jpg"), JPEG) is None
    assert find_trailing_payload(mf.make_png(tmp_path / "p.png", 640, 480), PNG) is None
    assert find_trailing_payload(mf.make_webp(tmp_path / "w.webp", 640, 480), WEBP) is None
