"""Making the file a buyer downloads for one size of a video (PyAV, on the ``video`` queue).

- The largest size on sale is the original's streams, packet for packet, in a new container of
  the same kind: nothing is re-encoded, and the container's metadata (the GPS ``location``,
  the device, the creation date, XMP) is not copied, so no location leaves with the file.
- A smaller size (HD: 720 lines on the short side) is transcoded: H.264 at CRF 18 (visually
  transparent for delivery, unlike the previews' 28), preset "fast" (about half the time of
  "medium" for a few % more bytes), yuv420p (what every player decodes), the source's colour
  description kept, the phone's display rotation kept as metadata rather than turned into the
  pixels; audio re-encoded to AAC 192 kb/s (or copied when already AAC); MP4 with the index first.

A transcode reports how far it is (decoded time over the video's length, 0-99) at most once
every ``progress_every_s`` seconds, so that the buyer waiting on it can be told.

Per-licence fields are not written into videos yet (the photo delivery's XMP is JPEG-only).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.container import InputContainer
from av.video.stream import VideoStream

from marketplace.media.types import MediaRejected
from marketplace.media.videos import _OPEN_OPTIONS, _threads

_FORMATS = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/x-matroska": "matroska",
    "video/webm": "webm",
    "video/x-msvideo": "avi",
}
_FASTSTART = {"movflags": "+faststart"}
CRF = "18"
PRESET = "fast"
AUDIO_BITRATE = 192_000
PROGRESS_EVERY_S = 1.0

Progress = Callable[[int], None]


def make_video_rendition(
    source: Path,
    out: Path,
    mime: str,
    short_edge: int | None,
    on_progress: Progress | None = None,
    progress_every_s: float | None = None,
) -> tuple[int, int, str]:
    """Write the rendition to ``out`` atomically; return its stored width, height and type.
    A transcode calls ``on_progress`` with a rising percentage below 100, at most once every
    ``progress_every_s`` seconds (``PROGRESS_EVERY_S`` by default; a remux is done in moments
    and reports nothing)."""
    partial = out.with_name(out.name + ".part")
    try:
        if short_edge is None:
            made = _remux(source, partial, mime)
        else:
            every_s = PROGRESS_EVERY_S if progress_every_s is None else progress_every_s
            report = _Reporter(on_progress, every_s)
            made = _transcode(source, partial, short_edge, report)
        os.replace(partial, out)
        return made
    except av.error.FFmpegError as error:
        raise MediaRejected("The video could not be converted.", code="damaged_video") from error
    finally:
        partial.unlink(missing_ok=True)


def _remux(source: Path, out: Path, mime: str) -> tuple[int, int, str]:
    container_format = _FORMATS.get(mime, "mp4")
    options = _FASTSTART if container_format in ("mp4", "mov") else {}
    with (
        av.open(str(source), container_options=_OPEN_OPTIONS) as src,
        av.open(str(out), "w", format=container_format, container_options=options) as dst,
    ):
        mapping = {}
        for stream in src.streams:
            if stream.type in ("video", "audio"):
                mapping[stream.index] = dst.add_stream_from_template(stream)
        video = src.streams.video[0]
        for packet in src.demux(*[src.streams[i] for i in mapping]):
            if packet.dts is None:
                continue
            packet.stream = mapping[packet.stream.index]
            dst.mux(packet)
        return video.width, video.height, mime if mime in _FORMATS else "video/mp4"


def _rotation(source: Path) -> float:
    """The display rotation: only a decoded frame carries it in PyAV, and the output's header
    (written at the first packet, which may be audio) needs it first."""
    with av.open(str(source), container_options=_OPEN_OPTIONS) as src:
        for frame in src.decode(src.streams.video[0]):
            return float(frame.rotation or 0)
    return 0.0


class _Reporter:
    """Turns decoded timestamps into a percentage, told only when it rose and the interval
    passed: the listener writes it to the database, which once a frame would be too often."""

    def __init__(self, listener: Progress | None, every_s: float) -> None:
        self.listener, self.every_s = listener, every_s
        self.told, self.told_at = -1, float("-inf")
        self.start_s, self.length_s = 0.0, 0.0

    def frame(self, at_s: float | None) -> None:
        if self.listener is None or at_s is None or self.length_s <= 0:
            return
        pct = min(99, max(0, int((at_s - self.start_s) / self.length_s * 100)))
        now = time.monotonic()
        if pct > self.told and now - self.told_at >= self.every_s:
            self.told, self.told_at = pct, now
            self.listener(pct)


def _length_s(src: InputContainer, video: VideoStream) -> float:
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    return src.duration / av.time_base if src.duration else 0.0


def _transcode(source: Path, out: Path, short_edge: int, report: _Reporter) -> tuple[int, int, str]:
    rotation = _rotation(source)
    with (
        av.open(str(source), container_options=_OPEN_OPTIONS) as src,
        av.open(str(out), "w", format="mp4", container_options=_FASTSTART) as dst,
    ):
        video = src.streams.video[0]
        video.thread_type, video.thread_count = "AUTO", _threads()
        report.length_s = _length_s(src, video)
        if video.start_time is not None and video.time_base:
            report.start_s = float(video.start_time * video.time_base)
        scale = min(1.0, short_edge / min(video.width, video.height))
        width = max(2, round(video.width * scale / 2) * 2)
        height = max(2, round(video.height * scale / 2) * 2)
        rate = video.average_rate or video.guessed_rate or Fraction(25)
        encoder = dst.add_stream("libx264", rate=rate)
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        encoder.options = {"crf": CRF, "preset": PRESET, "threads": str(_threads())}
        decoder = video.codec_context
        encoder.color_range, encoder.colorspace = decoder.color_range, decoder.colorspace
        encoder.color_primaries, encoder.color_trc = decoder.color_primaries, decoder.color_trc
        if rotation:
            encoder.set_display_rotation(rotation)
        audio_in = src.streams.audio[0] if src.streams.audio else None
        audio_out = None
        copy_audio = audio_in is not None and audio_in.codec_context.name == "aac"
        if audio_in is not None:
            if copy_audio:
                audio_out = dst.add_stream_from_template(audio_in)
            else:
                audio_out = dst.add_stream("aac", rate=audio_in.rate or 48_000)
                audio_out.bit_rate = AUDIO_BITRATE
        streams = [video] + ([audio_in] if audio_in is not None else [])
        for packet in src.demux(*streams):
            if packet.stream is audio_in and audio_out is not None:
                if copy_audio:
                    if packet.dts is not None:
                        packet.stream = audio_out
                        dst.mux(packet)
                    continue
                for sound in packet.decode():
                    if isinstance(sound, av.AudioFrame):
                        sound.pts = None
                        dst.mux(audio_out.encode(sound))
                continue
            for frame in packet.decode():
                if not isinstance(frame, av.VideoFrame):
                    continue
                small = frame.reformat(width, height, format="yuv420p", interpolation="LANCZOS")
                small.pts, small.time_base = frame.pts, frame.time_base
                dst.mux(encoder.encode(small))
                report.frame(frame.time)
        dst.mux(encoder.encode(None))
        if audio_out is not None and not copy_audio:
            dst.mux(audio_out.encode(None))
        return width, height, "video/mp4"
