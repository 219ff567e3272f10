"""The file ``bench/upload.py`` sends: a short valid video padded with a trailing ``free`` box.

Decoders skip a top-level ``free`` box, so the padded file of any size is still a valid MP4
that the app accepts after running the whole upload path; the padding is incompressible.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from bench.upload_memory import MIB
from marketplace.media.types import VideoLimits
from marketplace.media.videos import probe_video


def encode_clip(path: Path, seconds: int = 2, fps: int = 25, seed: int = 0) -> None:
    """A small H.264 MP4: a moving gradient, distinct per ``seed`` (so no duplicate hashes)."""
    width, height = 320, 240
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.time_base = Fraction(1, fps)
        y, x = np.indices((height, width), dtype=np.uint16)
        for index in range(seconds * fps):
            shade = (x + y + index * 4 + seed * 37) % 256
            rgb = np.stack([shade, (x * 2 + seed) % 256, (y * 2 + index) % 256], axis=-1)
            frame = av.VideoFrame.from_ndarray(rgb.astype(np.uint8), format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))


def pad_with_free_box(path: Path, size_bytes: int) -> None:
    """Append one top-level ``free`` box so the file is exactly ``size_bytes`` long."""
    current = path.stat().st_size
    box = size_bytes - current
    if box < 16:
        raise ValueError(f"{size_bytes} bytes is not larger than the clip ({current} bytes)")
    if box <= 0xFFFFFFFF:
        header = box.to_bytes(4, "big") + b"free"
    else:  # size 1 means a 64-bit size follows the type
        header = (1).to_bytes(4, "big") + b"free" + box.to_bytes(8, "big")
    # Incompressible filler (a random block repeated): no filesystem can shrink it.
    block = os.urandom(MIB)
    remaining = box - len(header)
    with path.open("ab") as out:
        out.write(header)
        while remaining:
            chunk = block[: min(remaining, MIB)]
            out.write(chunk)
            remaining -= len(chunk)


def make_video(path: Path, size_bytes: int) -> None:
    encode_clip(path)
    pad_with_free_box(path, size_bytes)
    assert path.stat().st_size == size_bytes
    facts = probe_video(path, VideoLimits())
    assert (facts.width, facts.height) == (320, 240), facts
