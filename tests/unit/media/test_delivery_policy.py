"""The delivery policy and the JPEG segment rewriter: pure, on bytes."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from PIL import Image

from marketplace.media import delivery_policy, jpeg_segments
from marketplace.media.delivery_policy import Credits, LicenceMark
from tests.fixtures.media_files import exif_bytes, make_jpeg, make_mpo


def _scans(jpeg: bytes) -> bytes:
    _, scan = jpeg_segments.header_segments(jpeg)
    return jpeg[scan : jpeg_segments.end_of_image(jpeg, scan)]


def test_clean_exif_keeps_the_credit_and_drops_location_serials_and_owner() -> None:
    raw = exif_bytes(gps=True, artist="Ada Lens", copyright="© Ada", orientation=6)
    cleaned = Image.Exif()
    cleaned.load(delivery_policy.clean_exif(raw, keep_orientation=True))
    assert cleaned[0x013B] == b"Ada Lens".decode("latin-1")
    assert cleaned[0x0112] == 6
    assert 0x8825 not in cleaned  # GPS
    details = cleaned.get_ifd(0x8769)
    assert 0xA431 not in details  # BodySerialNumber
    assert 0x927C not in details  # MakerNote
    assert details[0xA434] == "RF24-105mm F4 L IS USM"
    upright = Image.Exif()
    upright.load(delivery_policy.clean_exif(raw, keep_orientation=False))
    assert 0x0112 not in upright


def test_unreadable_exif_is_dropped() -> None:
    assert delivery_policy.clean_exif(b"garbage", keep_orientation=True) == b""


def test_rewrite_keeps_the_image_data_and_drops_comments_xmp_and_iptc(tmp_path: Path) -> None:
    original = make_jpeg(
        tmp_path / "a.jpg", 320, 240, gps=True, xmp_creator="Ada", iptc_title="T"
    ).read_bytes()
    rewritten = jpeg_segments.rewrite(original, b"")
    out = rewritten.header + original[rewritten.scan_start : rewritten.scan_end]
    assert _scans(out) == _scans(original)
    assert b"Owner: A. Person" not in out  # the comment
    assert b"Photoshop 3.0" not in out
    assert b"http://ns.adobe.com/xap" not in out
    assert b"ICC_PROFILE" in out
    with Image.open(tmp_path / "a.jpg") as before:
        before_pixels = before.convert("RGB").tobytes()
    (tmp_path / "b.jpg").write_bytes(out)
    with Image.open(tmp_path / "b.jpg") as after:
        assert after.convert("RGB").tobytes() == before_pixels


def test_rewrite_stops_at_the_first_image_of_an_mpo(tmp_path: Path) -> None:
    mpo = make_mpo(tmp_path / "a.mpo").read_bytes()
    rewritten = jpeg_segments.rewrite(mpo, b"")
    assert rewritten.scan_end < len(mpo)
    assert mpo[rewritten.scan_end - 2 : rewritten.scan_end] == b"\xff\xd9"


def test_the_licence_is_written_as_well_formed_xmp() -> None:
    mark = LicenceMark(
        number="42", verify_url="https://coop.example/licences/verify/abc?x=<1>&y",
        holder_name="Bea <Buyer> & Co", licence_name="Standard", licensor_name="Co-op Stock",
        licensor_url="https://coop.example/", credits=Credits("Ada", "© Ada", None),
    )  # fmt: skip
    packet = delivery_policy.licence_xmp(mark)

    root = ET.fromstring(packet[packet.index(b"<x:") : packet.rindex(b">") + 1])  # noqa: S314
    texts = {element.tag.rsplit("}", 1)[-1]: element.text for element in root.iter()}
    assert texts["WebStatement"] == mark.verify_url
    assert texts["LicenseID"] == "42"
    assert texts["LicenseeName"] == "Bea <Buyer> & Co"
    assert texts["Credit"] == "Ada"
