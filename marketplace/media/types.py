"""The vocabulary shared by the media functions and the services that call them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

MediaKind = Literal["photo", "video"]


class MediaRejected(Exception):
    """The file is not something the co-op accepts. ``reason`` is a sentence for the member.

    A sentence with figures is given as a message with ``%(name)s`` placeholders and their
    ``values`` (already written out): ``reason`` is the English sentence, and the service that
    shows it translates ``message`` with the values (the message is N_-marked where raised).
    """

    def __init__(
        self, reason: str, code: str = "unsupported_media", values: dict[str, str] | None = None
    ) -> None:
        self.message = reason
        self.values = values or {}
        self.reason = reason % self.values if self.values else reason
        super().__init__(self.reason)
        self.code = code


@dataclass(frozen=True)
class DetectedType:
    kind: MediaKind
    mime: str  # e.g. "image/jpeg", "video/mp4", "video/quicktime"
    extension: str  # e.g. "jpg", "mp4": used for the stored original's name, never the upload's


@dataclass(frozen=True)
class PhotoLimits:
    min_pixels: int = 1_000_000  # the demo's minimum resolution; production may ask 6 MP
    max_pixels: int = 200_000_000  # anything larger is treated as a decompression bomb
    # The most memory decoding one photo may take (see ``media.decoding``); larger files of
    # the formats that cannot shrink while decoding are refused at upload.
    max_decode_bytes: int = 512 * 1024 * 1024


@dataclass(frozen=True)
class VideoLimits:
    max_duration_s: float = 30 * 60
    max_pixels: int = 8192 * 4320


@dataclass(frozen=True)
class PhotoFacts:
    """What the pipeline learns of a photo; width and height are as displayed (upright)."""

    width: int
    height: int
    format: str  # "JPEG", "PNG", "TIFF", "WEBP", "HEIF"
    colour_profile: str  # the embedded ICC profile's description, or "sRGB (assumed)"
    phash: str  # 64-bit perceptual hash as 16 hex digits
    dominant_colours: list[str] = field(default_factory=list)  # "#rrggbb", most dominant first
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    taken_at: datetime | None = None
    title: str | None = None  # from IPTC/XMP, to suggest to the member
    description: str | None = None
    keywords: list[str] = field(default_factory=list)  # from IPTC/XMP, to suggest
    creator: str | None = None
    copyright: str | None = None


@dataclass(frozen=True)
class VideoFacts:
    width: int
    height: int
    duration_s: float
    frame_rate: float
    codec: str  # e.g. "h264", "hevc"
