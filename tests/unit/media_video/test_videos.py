"""The video pipeline on real clips written by PyAV: probing at upload, rendering in the worker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import av
import pytest
from PIL import Image, ImageChops, ImageStat

from marketplace.media.types import MediaRejected, VideoFacts, VideoLimits
from marketplace.media.videos import probe_video, process_video
from tests.fixtures.video_files import (
    EIFFEL_TOWER,
    make_audio_only_mp4,
    make_corrupt_mp4,
    make_garbage_with_mp4_header,
    make_h264_mp4,
    make_hevc_mov,
    make_truncated_mp4,
)

LIMITS = VideoLimits()
WATERMARK = "Co-op Stock"


class Rendered:
    """The three outputs of one ``process_video`` call, under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.poster = folder / "poster.jpg"
        self.thumbnail = folder / "thumb.jpg"
        self.preview = folder / "preview.mp4"

    def render(self, source: Path, max_seconds: float = 30.0) -> VideoFacts:
        return process_video(
            source, self.poster, self.thumbnail, self.preview, watermark=WATERMARK,
            max_seconds=max_seconds,
        )  # fmt: skip

    def exist(self) -> list[bool]:
        """Whether each output exists; fails if a half-written ``.part`` file was left behind."""
        assert not list(self.poster.parent.glob("*.part"))
        return [path.exists() for path in (self.poster, self.thumbnail, self.preview)]


def _preview_facts(path: Path) -> tuple[str, int, int, str, float, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        seconds = float((stream.duration or 0) * (stream.time_base or 0))
        return (
            stream.codec_context.name, stream.width, stream.height,
            stream.codec_context.pix_fmt or "", seconds, len(container.streams.audio),
        )  # fmt: skip


def _top_level_boxes(path: Path) -> list[bytes]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8])
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8:
            break
        offset += size
    return boxes


def _frame_at(path: Path, seconds: float, size: tuple[int, int]) -> Image.Image:
    """The first frame at or after ``seconds``, scaled to ``size`` without any watermark."""
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            if (frame.time or 0.0) >= seconds - 1e-6:
                return frame.reformat(*size, format="rgb24", interpolation="AREA").to_image()
    raise AssertionError(f"no frame at {seconds} s in {path}")


def _share_changed(one: Image.Image, other: Image.Image) -> float:
    """The share of pixels that differ by more than lossy compression would explain."""
    difference = ImageChops.difference(one.convert("L"), other.convert("L"))
    histogram = difference.histogram()
    return sum(histogram[24:]) / (one.width * one.height)


@pytest.fixture
def rendered(tmp_path: Path) -> Rendered:
    return Rendered(tmp_path)


@pytest.mark.parametrize(
    ("make", "name", "expected"),
    [
        (make_h264_mp4, "clip.mp4", (640, 360, 2.0, 25.0, "h264")),
        (make_hevc_mov, "clip.mov", (640, 360, 2.0, 30.0, "hevc")),
    ],
)
def test_probe_reads_the_facts(
    tmp_path: Path,
    make: Callable[[Path], Path],
    name: str,
    expected: tuple[int, int, float, float, str],
) -> None:
    facts = probe_video(make(tmp_path / name), LIMITS)
    assert (facts.width, facts.height, facts.frame_rate, facts.codec) == (
        expected[0], expected[1], expected[3], expected[4],
    )  # fmt: skip
    assert facts.duration_s == pytest.approx(expected[2], abs=0.05)


def test_probe_reports_a_phone_video_upright(tmp_path: Path) -> None:
    source = make_h264_mp4(tmp_path / "portrait.mp4", width=640, height=360, rotation=-90)
    facts = probe_video(source, LIMITS)
    assert (facts.width, facts.height) == (360, 640)


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (make_garbage_with_mp4_header, "unreadable_video"),
        (make_truncated_mp4, "unreadable_video"),
        (make_audio_only_mp4, "no_video_stream"),
    ],
)
def test_probe_rejects_what_is_not_a_readable_video(
    tmp_path: Path, make: Callable[[Path], Path], code: str
) -> None:
    with pytest.raises(MediaRejected) as rejected:
        probe_video(make(tmp_path / "upload.mp4"), LIMITS)
    assert rejected.value.code == code
    assert rejected.value.reason.endswith(".")


def test_probe_enforces_the_limits(tmp_path: Path) -> None:
    source = make_h264_mp4(tmp_path / "clip.mp4", seconds=2, width=320, height=240)
    with pytest.raises(MediaRejected) as too_long:
        probe_video(source, VideoLimits(max_duration_s=1.5))
    assert too_long.value.code == "video_too_long"
    with pytest.raises(MediaRejected) as too_large:
        probe_video(source, VideoLimits(max_pixels=320 * 239))
    assert too_large.value.code == "video_too_large"


def test_process_renders_poster_thumbnail_and_preview(tmp_path: Path, rendered: Rendered) -> None:
    source = make_h264_mp4(tmp_path / "hd.mp4", seconds=1, width=1600, height=900)
    facts = rendered.render(source)
    assert (facts.width, facts.height) == (1600, 900)
    with Image.open(rendered.poster) as poster, Image.open(rendered.thumbnail) as thumbnail:
        assert (poster.format, poster.size) == ("JPEG", (1280, 720))
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (400, 225))
    codec, width, height, pix_fmt, seconds, _ = _preview_facts(rendered.preview)
    assert (codec, width, height, pix_fmt) == ("h264", 854, 480, "yuv420p")
    assert seconds == pytest.approx(1.0, abs=0.1)


def test_process_never_upscales_a_small_source(tmp_path: Path, rendered: Rendered) -> None:
    rendered.render(make_hevc_mov(tmp_path / "small.mov", width=320, height=240))
    with Image.open(rendered.poster) as poster, Image.open(rendered.thumbnail) as thumbnail:
        assert (poster.size, thumbnail.size) == ((320, 240), (320, 240))
    assert _preview_facts(rendered.preview)[:3] == ("h264", 320, 240)


def test_process_turns_a_phone_video_upright(tmp_path: Path, rendered: Rendered) -> None:
    # The fixture's white square starts at the coded top-left corner; the phone's -90° display
    # rotation is a quarter turn clockwise, which brings that corner to the top right.
    rendered.render(make_h264_mp4(tmp_path / "portrait.mp4", rotation=-90))
    with Image.open(rendered.poster) as poster:
        assert poster.size == (360, 640)
        top_right = ImageStat.Stat(poster.convert("L").crop((310, 40, 350, 80))).mean[0]
        top_left = ImageStat.Stat(poster.convert("L").crop((10, 40, 50, 80))).mean[0]
    assert top_right > 200 > top_left
    assert _preview_facts(rendered.preview)[1:3] == (270, 480)


def test_preview_stops_at_max_seconds(tmp_path: Path, rendered: Rendered) -> None:
    rendered.render(make_h264_mp4(tmp_path / "clip.mp4", seconds=3, width=320, height=180),
                    max_seconds=1)  # fmt: skip
    assert _preview_facts(rendered.preview)[4] <= 1.0 + 1e-6


def test_poster_of_a_clip_longer_than_its_preview(tmp_path: Path, rendered: Rendered) -> None:
    # A tenth of 12 s lies past the 1 s preview, so the poster comes from a seek.
    source = make_h264_mp4(tmp_path / "long.mp4", seconds=12, width=320, height=180, fps=10)
    rendered.render(source, max_seconds=1)
    with Image.open(rendered.poster) as poster:
        unmarked = _frame_at(source, 1.2, poster.size)
        first = _frame_at(source, 0.0, poster.size)
        assert _share_changed(poster, first) > _share_changed(poster, unmarked)


def test_watermark_is_burnt_into_preview_and_poster(tmp_path: Path, rendered: Rendered) -> None:
    source = make_h264_mp4(tmp_path / "clip.mp4", seconds=1, width=640, height=360)
    rendered.render(source)
    # Re-encoding alone changes almost no pixel this much (measured: 0.002%); the
    # translucent lettering changes about 5%.
    marked = _frame_at(rendered.preview, 0.4, (640, 360))
    assert _share_changed(marked, _frame_at(source, 0.4, (640, 360))) > 0.02
    with Image.open(rendered.poster) as poster:
        assert _share_changed(poster, _frame_at(source, 0.1, poster.size)) > 0.02


def test_outputs_carry_no_location_or_audio(tmp_path: Path, rendered: Rendered) -> None:
    source = make_h264_mp4(tmp_path / "gps.mp4", gps_location=EIFFEL_TOWER, with_audio=True)
    with av.open(str(source)) as original:
        assert original.metadata.get("location") == EIFFEL_TOWER  # the test means something
    rendered.render(source)
    with av.open(str(rendered.preview)) as preview:
        assert not {"location", "creation_time"} & set(preview.metadata)
    assert b"\xa9xyz" not in rendered.preview.read_bytes()
    assert b"+48.8583" not in rendered.preview.read_bytes()
    assert _preview_facts(rendered.preview)[5] == 0
    for jpeg in (rendered.poster, rendered.thumbnail):
        with Image.open(jpeg) as image:
            assert not image.getexif()
            assert "exif" not in image.info


def test_preview_is_fast_start(tmp_path: Path, rendered: Rendered) -> None:
    rendered.render(make_h264_mp4(tmp_path / "clip.mp4", seconds=1, width=320, height=180))
    boxes = _top_level_boxes(rendered.preview)
    assert boxes.index(b"moov") < boxes.index(b"mdat")


def test_damage_found_mid_decode_rejects_and_leaves_nothing(
    tmp_path: Path, rendered: Rendered
) -> None:
    source = make_corrupt_mp4(tmp_path / "corrupt.mp4")
    probe_video(source, LIMITS)  # the index is intact: only decoding finds the damage
    with pytest.raises(MediaRejected) as rejected:
        rendered.render(source)
    assert rejected.value.code == "damaged_video"
    assert rendered.exist() == [False, False, False]


def test_an_unreadable_file_is_rejected_by_the_worker_too(
    tmp_path: Path, rendered: Rendered
) -> None:
    with pytest.raises(MediaRejected):
        rendered.render(make_truncated_mp4(tmp_path / "cut.mp4"))
    assert rendered.exist() == [False, False, False]


def test_a_preview_is_never_rendered_without_a_watermark(tmp_path: Path) -> None:
    source = make_h264_mp4(tmp_path / "clip.mp4", seconds=1, width=320, height=180)
    with pytest.raises(ValueError, match="watermark"):
        process_video(source, tmp_path / "p.jpg", tmp_path / "t.jpg", tmp_path / "v.mp4",
                      watermark="  ")  # fmt: skip


def test_preview_keeps_at_most_30_frames_a_second(tmp_path: Path, rendered: Rendered) -> None:
    rendered.render(make_h264_mp4(tmp_path / "fast.mp4", seconds=1, width=320, height=180, fps=60))
    with av.open(str(rendered.preview)) as preview:
        assert sum(1 for _ in preview.decode(video=0)) == 30


def test_a_playlist_cannot_make_ffmpeg_read_other_files(tmp_path: Path) -> None:
    make_h264_mp4(tmp_path / "private.mp4", seconds=1, width=320, height=180)
    playlist = tmp_path / "upload.mp4"
    playlist.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nprivate.mp4\n#EXT-X-ENDLIST\n"
    )
    with pytest.raises(MediaRejected) as rejected:
        probe_video(playlist, LIMITS)
    assert rejected.value.code == "unreadable_video"
