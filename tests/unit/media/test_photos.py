"""The upload check and the worker's render: formats, sizes, orientation, privacy, watermark."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms, ImageFile
from PIL.JpegImagePlugin import JpegImageFile

from marketplace.media.photos import check_photo, process_photo
from marketplace.media.sniff import JPEG, detect_type
from marketplace.media.types import MediaRejected, PhotoFacts, PhotoLimits
from tests.fixtures import media_files as mf

LIMITS = PhotoLimits()
SMALL = PhotoLimits(min_pixels=100_000)  # lets most tests use small, fast pictures
MARK = "Co-op Stock · Ada Lovelace"


def upload_check(path: Path, limits: PhotoLimits = LIMITS) -> tuple[int, int]:
    """What the upload step does: sniff the head, then check the photo."""
    with path.open("rb") as fh:
        return check_photo(path, detect_type(fh.read(4096)), limits)


def render(path: Path, limits: PhotoLimits = LIMITS) -> tuple[PhotoFacts, Path, Path]:
    thumbnail, preview = path.with_name("thumb.jpg"), path.with_name("preview.jpg")
    facts = process_photo(path, thumbnail, preview, watermark=MARK, limits=limits)
    return facts, thumbnail, preview


def region_mean(im: Image.Image, fx: float, fy: float) -> np.ndarray:
    """Mean colour of a patch centred at the fractions (fx, fy) of the picture."""
    pixels = np.asarray(im.convert("RGB"), dtype=float)
    h, w = pixels.shape[:2]
    y, x, r = int(h * fy), int(w * fx), max(4, min(w, h) // 12)
    return pixels[y - r : y + r, x - r : x + r].reshape(-1, 3).mean(axis=0)


@pytest.mark.parametrize(
    ("make", "file_format"),
    [
        (mf.make_jpeg, "JPEG"),
        (mf.make_png, "PNG"),
        (mf.make_tiff, "TIFF"),
        (mf.make_webp, "WEBP"),
        (mf.make_heic, "HEIF"),
        (mf.make_mpo, "JPEG"),
    ],
)
def test_each_format_is_accepted_and_rendered(
    tmp_path: Path, make: Callable[..., Path], file_format: str
) -> None:
    path = make(tmp_path / "upload", 800, 600)
    assert upload_check(path, SMALL) == (800, 600)
    facts, thumbnail, preview = render(path, SMALL)
    assert (facts.width, facts.height, facts.format) == (800, 600, file_format)
    with Image.open(preview) as im:
        assert (im.format, im.mode, im.size) == ("JPEG", "RGB", (800, 600))  # never enlarged
        assert region_mean(im, 0.25, 0.25)[0] > 150  # the red quadrant is still red
    with Image.open(thumbnail) as im:
        assert im.size == (400, 300)


@pytest.mark.parametrize(
    ("size", "preview", "thumbnail"),
    [
        ((2400, 1600), (1600, 1067), (400, 267)),
        ((1200, 1800), (1067, 1600), (267, 400)),
        ((1000, 1000), (1000, 1000), (400, 400)),
        ((1600, 900), (1600, 900), (400, 225)),
    ],
)
def test_sizes_of_derived_files(
    tmp_path: Path, size: tuple[int, int], preview: tuple[int, int], thumbnail: tuple[int, int]
) -> None:
    _, thumb_path, preview_path = render(mf.make_jpeg(tmp_path / "a.jpg", *size))
    with Image.open(preview_path) as im:
        assert im.size == preview
    with Image.open(thumb_path) as im:
        assert im.size == thumbnail


@pytest.mark.parametrize(
    ("orientation", "make"), [(3, mf.make_jpeg), (5, mf.make_jpeg), (6, mf.make_jpeg),
                              (7, mf.make_jpeg), (8, mf.make_jpeg), (6, mf.make_png)]
)  # fmt: skip
def test_exif_orientation_is_applied(
    tmp_path: Path, orientation: int, make: Callable[..., Path]
) -> None:
    path = make(tmp_path / "turned", 600, 800, exif_orientation=orientation)
    if orientation >= 5:
        with Image.open(path) as stored:
            assert stored.size == (800, 600)  # stored on its side
    assert upload_check(path, SMALL) == (600, 800)
    facts, thumbnail, preview = render(path, SMALL)
    assert (facts.width, facts.height) == (600, 800)
    for output in (preview, thumbnail):
        with Image.open(output) as im:
            assert im.width < im.height
            for corner, (fx, fy) in {
                "top_left": (0.25, 0.25),
                "top_right": (0.75, 0.25),
                "bottom_left": (0.25, 0.75),
                "bottom_right": (0.75, 0.75),
            }.items():
                expected = np.array(mf.QUADRANTS[corner], dtype=float)
                assert np.abs(region_mean(im, fx, fy) - expected).max() < 45, corner


def test_derived_files_keep_only_the_credit(tmp_path: Path) -> None:
    path = mf.make_jpeg(
        tmp_path / "private.jpg", gps=True, artist="Ada Lovelace", copyright="© 2024 Ada Lovelace",
        iptc_keywords=["harbour"], xmp_title="Harbour", xmp_creator="Ada Lovelace",
    )  # fmt: skip
    with Image.open(path) as im:
        original = im.getexif()
    assert original.get_ifd(0x8825)  # the original does have GPS and a serial
    assert mf.SERIAL in str(original.get_ifd(0x8769).get(0xA431))
    _, thumbnail, preview = render(path)
    for output in (preview, thumbnail):
        data = output.read_bytes()
        for secret in (mf.SERIAL.encode(), b"MakerNote", b"Owner:", b"ns.adobe.com", b"8BIM"):
            assert secret not in data
        with Image.open(output) as im:
            exif = im.getexif()
            assert not exif.get_ifd(0x8825)  # GPS
            assert not exif.get_ifd(0x8769)  # Exif IFD: serials, maker notes, dates, lens
            assert set(exif) == {0x013B, 0x8298}
            assert exif[0x8298].encode("latin-1").decode() == "© 2024 Ada Lovelace"
            assert not {"xmp", "photoshop", "comment"} & set(im.info)
            profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
            assert "sRGB" in ImageCms.getProfileDescription(profile)


def test_without_credit_there_is_no_exif_at_all(tmp_path: Path) -> None:
    _, _, preview = render(mf.make_jpeg(tmp_path / "a.jpg", gps=True))
    with Image.open(preview) as im:
        assert not im.getexif()


def test_watermark_is_visible_at_both_sizes(tmp_path: Path) -> None:
    picture = mf.realistic_image(1800, 1200, seed=3)
    _, thumbnail, preview = render(mf.make_jpeg(tmp_path / "a.jpg", image=picture, quality=95))
    # The thumbnail's mark is lighter: a clear change is 20 levels there, 40 on the preview.
    for output, edge, clear in ((preview, 1600, 40), (thumbnail, 400, 20)):
        with Image.open(output) as im:
            marked = np.asarray(im, dtype=float)
        plain = picture.copy()
        plain.thumbnail((edge, edge))
        diff = np.abs(marked - np.asarray(plain, dtype=float)).max(axis=2)
        assert (diff > clear).mean() > 0.08  # a mark, not JPEG noise (that stays under 10)
        # Tiled everywhere: every cell of a 4 × 4 grid holds part of a mark.
        h, w = diff.shape
        for y in range(4):
            for x in range(4):
                cell = diff[y * h // 4 : (y + 1) * h // 4, x * w // 4 : (x + 1) * w // 4]
                assert (cell > clear).mean() > 0.01


def test_jpeg_is_decoded_shrunk_on_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    requested: list[tuple[int, int] | None] = []
    draft = JpegImageFile.draft

    def spy(self: JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        requested.append(size)
        return draft(self, mode, size)

    monkeypatch.setattr(JpegImageFile, "draft", spy)
    render(mf.make_jpeg(tmp_path / "big.jpg", 4000, 3000, quality=70))
    assert requested == [(1600, 1200)]  # libjpeg then decodes at 1/2: 2000 × 1500


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (mf.make_bomb_png, "too_large"),
        (mf.make_bomb_jpeg, "too_large"),
        (mf.make_polyglot_jpeg_zip, "polyglot"),
        (mf.make_polyglot_jpeg_html, "polyglot"),
        (mf.make_polyglot_png, "polyglot"),
        (mf.make_zip, "archive"),
        (mf.make_svg, "active_content"),
        (mf.make_html, "active_content"),
        (mf.make_pdf, "pdf"),
        (mf.make_zero_byte, "empty_file"),
        (lambda p: mf.make_jpeg(p, 640, 480), "too_small"),
        (lambda p: mf.append_bytes(p, b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8), "unreadable"),
    ],
)
def test_bad_uploads_are_refused(tmp_path: Path, make: Callable[[Path], Path], code: str) -> None:
    path = make(tmp_path / "upload.jpg")
    with pytest.raises(MediaRejected) as rejected:
        upload_check(path)
    assert rejected.value.code == code
    assert rejected.value.reason.endswith(".")
    with pytest.raises(MediaRejected):  # the worker does not trust the upload step
        render(path)


def test_reasons_name_the_limits(tmp_path: Path) -> None:
    with pytest.raises(MediaRejected, match=r"2,500 megapixels \(the limit is 200 megapixels\)"):
        upload_check(mf.make_bomb_png(tmp_path / "bomb.png"))
    with pytest.raises(MediaRejected, match=r"15,000 × 10,000 pixels \(the limit is 100 mega"):
        upload_check(mf.make_bomb_png(tmp_path / "b.png", 15_000, 10_000), PhotoLimits(1, 10**8))
    with pytest.raises(MediaRejected, match=r"0\.3 megapixels\); the minimum is 1 megapixel\."):
        upload_check(mf.make_jpeg(tmp_path / "small.jpg", 640, 480))
    with pytest.raises(MediaRejected, match="minimum is 6 megapixels"):
        upload_check(mf.make_jpeg(tmp_path / "small.jpg", 1600, 1200), PhotoLimits(6_000_000))


def test_our_limit_decides_not_pillows(tmp_path: Path) -> None:
    # 100 MP: over Pillow's default warning level (89 MP); no warning may escape either way.
    declared = mf.make_bomb_png(tmp_path / "big.png", 10_000, 10_000)
    assert upload_check(declared, PhotoLimits(max_pixels=200_000_000)) == (10_000, 10_000)
    with pytest.raises(MediaRejected) as rejected:
        upload_check(declared, PhotoLimits(max_pixels=50_000_000))
    assert rejected.value.code == "too_large"


def test_tiff_based_camera_raw_is_refused(tmp_path: Path) -> None:
    # Like a NEF or DNG: the first image of the TIFF is a reduced-resolution preview.
    path = tmp_path / "raw.tif"
    mf.quadrants(1600, 1200).save(path, "TIFF", tiffinfo={254: 1})
    with pytest.raises(MediaRejected, match="raw") as rejected:
        upload_check(path)
    assert rejected.value.code == "camera_raw"


def test_contents_must_match_the_sniffed_type(tmp_path: Path) -> None:
    path = mf.make_mismatched(tmp_path / "holiday.jpg")
    with pytest.raises(MediaRejected) as rejected:
        check_photo(path, JPEG, LIMITS)  # as if the type came from the name
    assert rejected.value.code == "type_mismatch"
    assert "image/png" in rejected.value.reason


def test_truncated_jpeg_fails_when_decoded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = mf.make_truncated_jpeg(tmp_path / "cut.jpg")
    assert upload_check(path) == (1280, 960)  # the header is intact
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)  # someone else's setting
    with pytest.raises(MediaRejected, match="damaged or truncated") as rejected:
        render(path)
    assert rejected.value.code == "damaged"
    assert ImageFile.LOAD_TRUNCATED_IMAGES is False
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cut.jpg"]  # no partial outputs
