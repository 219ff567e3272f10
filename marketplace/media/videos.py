"""Checking an uploaded video and rendering its poster, thumbnail and watermarked preview.

``probe_video`` is cheap enough for the upload request: it reads the container's headers and
decodes one frame. ``process_video`` is the worker's job: one decoding pass over the first
``max_seconds`` renders everything. Neither copies the source's metadata (GPS location, device,
dates) into anything it writes: the outputs are new containers and plain JPEGs.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import av.error
from av.container import InputContainer
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image, ImageChops, ImageMath
from PIL.Image import Transpose

from marketplace.i18n.markers import N_
from marketplace.media.types import MediaRejected, VideoFacts, VideoLimits
from marketplace.media.watermark import PREVIEW_STRENGTH, THUMBNAIL_STRENGTH, apply_watermark

# ffmpeg's playlist and concat demuxers follow references inside a file to other files or hosts,
# so only the real containers the co-op accepts may open an upload, and only from local files.
_OPEN_OPTIONS = {"format_whitelist": "mov,mp4,matroska,webm,avi", "protocol_whitelist": "file"}
_FASTSTART = {"movflags": "+faststart"}  # the index first, so browsers play while downloading
_UNREADABLE = N_(
    "We could not read this video: the file may be damaged or in a format we don't know."
)
_DAMAGED = N_("The video is damaged: it stops decoding part-way through. Please upload it again.")
_TURNS = {1: Transpose.ROTATE_90, 2: Transpose.ROTATE_180, 3: Transpose.ROTATE_270}
_POSTER_EDGE, _THUMBNAIL_EDGE, _JPEG_QUALITY, _PREVIEW_MAX_FPS = 1280, 400, 85, 30
# A frame rate no real camera exceeds: the frame budget that stops a file whose timestamps
# never advance past the preview window from being decoded for ever.
_FPS_CEILING = 300


def probe_video(source: Path, limits: VideoLimits) -> VideoFacts:
    """Return the video's facts, with width and height as displayed (upright), or raise
    ``MediaRejected`` with a sentence for the member. Reads headers and decodes one frame only."""
    return _probe(source, limits)[0]


def process_video(
    source: Path,
    poster_out: Path,
    thumbnail_out: Path,
    preview_out: Path,
    *,
    watermark: str,
    max_seconds: float = 30.0,
    target_height: int = 480,
) -> VideoFacts:
    """Write a watermarked poster JPEG (long edge up to 1280, from ~10% into the clip), a thumbnail
    JPEG of the same frame (long edge up to 400, marked lightly, as photos' are), and a watermarked
    H.264/MP4 preview of the first ``max_seconds`` (yuv420p, ``target_height`` high with even
    sides, never upscaled, at most 30 fps, no audio, ``moov`` before ``mdat``). All three appear
    or none does. Raises ``MediaRejected`` for a file that is not a video or is damaged."""
    if not watermark.strip() or max_seconds <= 0 or target_height < 2:
        raise ValueError("a preview needs a watermark, a positive length and a height")
    limits = VideoLimits()
    facts, turns = _probe(source, limits)
    # Each output is written beside its final name and moved there only once all three exist,
    # so a reader never finds a half-written file, nor a preview without its poster.
    outputs = (poster_out, thumbnail_out, preview_out)
    partials = [out.with_name(out.name + ".part") for out in outputs]
    try:
        poster = _render_preview(
            source, partials[2], facts, turns, watermark, max_seconds, target_height, limits
        )
        thumbnail = poster.resize(_fit(poster.size, _THUMBNAIL_EDGE), Image.Resampling.LANCZOS)
        apply_watermark(poster, watermark, strength=PREVIEW_STRENGTH)
        apply_watermark(thumbnail, watermark, strength=THUMBNAIL_STRENGTH)
        poster.save(partials[0], "JPEG", quality=_JPEG_QUALITY, progressive=True)
        thumbnail.save(partials[1], "JPEG", quality=_JPEG_QUALITY)
        for partial, out in zip(partials, outputs, strict=True):
            os.replace(partial, out)
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return facts


def _probe(source: Path, limits: VideoLimits) -> tuple[VideoFacts, int]:
    """The facts and the counter-clockwise quarter turns that stand the picture upright."""
    with _open(source) as container:
        stream = _video_stream(container, limits)
        if not stream.width or not stream.height:
            raise MediaRejected(_UNREADABLE, code="unreadable_video")
        if stream.width * stream.height > limits.max_pixels:
            raise MediaRejected(
                N_(
                    "The video is %(width)s×%(height)s pixels; the co-op accepts at most "
                    "%(megapixels)s megapixels a frame."
                ),
                values={
                    "width": str(stream.width),
                    "height": str(stream.height),
                    "megapixels": f"{limits.max_pixels / 1e6:.0f}",
                },
                code="video_too_large",
            )
        duration = _duration(container, stream)
        if duration <= 0:
            raise MediaRejected(N_("The video has no length we can read."), code="unreadable_video")
        if duration > limits.max_duration_s:
            raise MediaRejected(
                N_(
                    "The video is %(minutes)s minutes long; the co-op accepts videos of up to "
                    "%(limit)s minutes."
                ),
                values={
                    "minutes": f"{duration / 60:.1f}",
                    "limit": f"{limits.max_duration_s / 60:g}",
                },
                code="video_too_long",
            )
        # Only a decoded frame carries the display matrix (a phone's "rotate") in PyAV.
        first = next(_frames(container, stream, max_frames=1), None)
        if first is None:
            raise MediaRejected(_UNREADABLE, code="unreadable_video")
        turns = round(first.rotation / 90) % 4
        width, height = _turned((stream.width, stream.height), turns)
        rate = float(stream.average_rate or stream.guessed_rate or 0)
        return VideoFacts(width, height, duration, rate, stream.codec_context.name), turns


def _open(source: Path) -> InputContainer:
    try:
        return av.open(str(source), container_options=_OPEN_OPTIONS)
    except (FileNotFoundError, PermissionError):
        raise  # the caller's mistake, not the member's file
    except av.error.FFmpegError as error:
        raise MediaRejected(_UNREADABLE, code="unreadable_video") from error


def _video_stream(container: InputContainer, limits: VideoLimits) -> VideoStream:
    for stream in container.streams.video:
        # An audio file's cover art is a one-picture "video" stream; it is not a video.
        if not stream.disposition & av.stream.Disposition.attached_pic:
            # The decoder then refuses frames over the limit, should the size change mid-stream.
            stream.codec_context.options = {"max_pixels": str(limits.max_pixels)}
            return stream
    raise MediaRejected(N_("The file has no video in it."), code="no_video_stream")


def _duration(container: InputContainer, stream: VideoStream) -> float:
    # The video stream's own length first: an audio track may run longer than the picture.
    if stream.duration and stream.time_base:
        return float(stream.duration * stream.time_base)
    return container.duration / av.time_base if container.duration else 0.0


def _frames(
    container: InputContainer, stream: VideoStream, max_frames: int
) -> Iterator[VideoFrame]:
    """Decoded frames in order; stops after ``max_frames`` whatever the timestamps say."""
    count = 0
    try:
        for packet in container.demux(stream):
            for frame in stream.decode(packet):
                yield frame
                count += 1
                if count >= max_frames:
                    return
    except av.error.FFmpegError as error:
        raise MediaRejected(_DAMAGED, code="damaged_video") from error


def _render_preview(
    source: Path,
    preview_out: Path,
    facts: VideoFacts,
    turns: int,
    watermark: str,
    max_seconds: float,
    target_height: int,
    limits: VideoLimits,
) -> Image.Image:
    """Encode the preview and return the poster frame, unmarked, from one decoding pass."""
    height = max(2, min(target_height, facts.height) // 2 * 2)
    width = max(2, round(facts.width * height / facts.height / 2) * 2)
    # Frames are scaled while still lying on their side, then turned: turning is the cheap part.
    scaled = _turned((width, height), turns)
    overlay = _plane_overlay(_watermark_layer((width, height), watermark))
    ceiling = Fraction(_PREVIEW_MAX_FPS)
    rate = min(Fraction(facts.frame_rate).limit_denominator(1001) or ceiling, ceiling)
    poster_at = facts.duration_s / 10
    poster: Image.Image | None = None
    covered, last_index, threads = 0.0, -1, _threads()
    output = av.open(str(preview_out), "w", format="mp4", container_options=_FASTSTART)
    with output, _open(source) as container:  # output first: it is closed if the source fails
        stream = _video_stream(container, limits)
        stream.thread_type, stream.thread_count = "AUTO", threads
        start = float((stream.start_time or 0) * (stream.time_base or 0))
        encoder = output.add_stream("libx264", rate=rate)
        encoder.width, encoder.height, encoder.pix_fmt = width, height, "yuv420p"
        encoder.options = {"preset": "veryfast", "crf": "28", "threads": str(threads)}
        # The planes keep the source's colour matrix through scaling, so say which it is.
        decoder = stream.codec_context
        encoder.color_range, encoder.colorspace = decoder.color_range, decoder.colorspace
        encoder.color_primaries, encoder.color_trc = decoder.color_primaries, decoder.color_trc
        budget = math.ceil((max_seconds + 1) * _FPS_CEILING)
        for frame in _frames(container, stream, max_frames=budget):
            at = (frame.time or 0.0) - start
            if at >= max_seconds:
                break
            covered = at + 1 / facts.frame_rate if facts.frame_rate else at
            if poster is None and at >= poster_at:
                poster = _poster(frame, turns, facts)
            index = math.floor(at * rate + 1e-3)  # its slot, whatever the float error
            if index <= last_index:
                continue  # above 30 fps: the preview keeps every other frame or so
            last_index = index
            small = frame.reformat(*scaled, format="yuv420p", interpolation="AREA")
            out = _watermarked(small, turns, overlay)
            out.pts, out.time_base = index, Fraction(1) / rate
            output.mux(encoder.encode(out))
        output.mux(encoder.encode(None))
        # A file cut short, or whose frames are noise the decoder skips, stops early.
        if covered < min(facts.duration_s, max_seconds) * 0.95 - 0.5:
            raise MediaRejected(_DAMAGED, code="damaged_video")
        if poster is None:
            # A clip longer than the preview: seek to the keyframe before its tenth, decode on.
            try:
                container.seek(round((start + poster_at) / (stream.time_base or 1)), stream=stream)
            except av.error.FFmpegError as error:
                raise MediaRejected(_DAMAGED, code="damaged_video") from error
            chosen = None
            for chosen in _frames(container, stream, max_frames=10 * _FPS_CEILING):
                if (chosen.time or 0.0) - start >= poster_at:
                    break
            if chosen is None:
                raise MediaRejected(_DAMAGED, code="damaged_video")
            poster = _poster(chosen, turns, facts)
    return poster


def _poster(frame: VideoFrame, turns: int, facts: VideoFacts) -> Image.Image:
    size = _fit((facts.width, facts.height), _POSTER_EDGE)
    picture = frame.reformat(*_turned(size, turns), format="rgb24", interpolation="AREA")
    return picture.to_image().transpose(_TURNS[turns]) if turns else picture.to_image()


def _fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """``size`` scaled to a long edge of ``edge`` at most: never enlarged."""
    scale = min(1.0, edge / max(size))
    return max(1, round(size[0] * scale)), max(1, round(size[1] * scale))


_Overlay = list[tuple[Image.Image, Image.Image]]  # per Y, U, V plane: its colour and its alpha


def _plane_overlay(layer: Image.Image) -> _Overlay:
    """The RGBA ``layer`` as yuv420p planes, so frames are watermarked without leaving YUV: the
    conversions to and from RGB would cost more than decoding and encoding put together."""
    planes = VideoFrame.from_image(layer.convert("RGB")).reformat(format="yuv420p").planes
    alpha = layer.getchannel("A")
    overlay = []
    for plane in planes:
        colour = Image.frombytes("L", (plane.line_size, plane.height), bytes(plane))
        mask = alpha.resize((plane.width, plane.height), Image.Resampling.BOX)
        overlay.append((colour.crop((0, 0, plane.width, plane.height)), mask))
    return overlay


def _watermarked(frame: VideoFrame, turns: int, overlay: _Overlay) -> VideoFrame:
    """``frame`` (yuv420p) turned upright and blended with ``overlay``, plane by plane."""
    width, height = overlay[0][1].size
    out = VideoFrame(width, height, "yuv420p") if turns else frame
    for source, target, (colour, mask) in zip(frame.planes, out.planes, overlay, strict=True):
        picture = Image.frombytes("L", (source.line_size, source.height), bytes(source))
        if turns:
            # Planes are padded to an aligned line size: drop the padding, turn, pad again.
            upright = picture.crop((0, 0, source.width, source.height)).transpose(_TURNS[turns])
            picture = Image.new("L", (target.line_size, target.height))
            picture.paste(upright)
        picture.paste(colour, (0, 0), mask)
        target.update(picture.tobytes())
    return out


def _watermark_layer(size: tuple[int, int], text: str) -> Image.Image:
    """The preview watermark of ``size`` as an RGBA layer, to blend into frames without redrawing.

    ``apply_watermark`` paints in place; marking a black and a white picture recovers its layer:
    translucent paint over a background ``b`` leaves ``b·(1 − α) + colour·α``."""
    on_black, on_white = Image.new("RGB", size, "black"), Image.new("RGB", size, "white")
    apply_watermark(on_black, text, strength=PREVIEW_STRENGTH)
    apply_watermark(on_white, text, strength=PREVIEW_STRENGTH)
    alpha = ImageChops.invert(ImageChops.subtract(on_white.getchannel(1), on_black.getchannel(1)))

    def unpremultiply(e: dict[str, Any]) -> Any:
        return e["convert"](e["paint"] * 255 / e["max"](e["alpha"], 1), "L")

    colours = [ImageMath.lambda_eval(unpremultiply, paint=b, alpha=alpha) for b in on_black.split()]
    return Image.merge("RGBA", (*colours, alpha))


def _turned(size: tuple[int, int], turns: int) -> tuple[int, int]:
    """``size`` after ``turns`` quarter turns: an odd count swaps width and height."""
    return (size[1], size[0]) if turns % 2 else size


def _threads() -> int:
    """Two threads at most: a worker box runs one job per core, so more would only contend."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(2, cores or 1))
