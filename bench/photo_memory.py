"""A photo worker's peak memory and time per photo, against a full decode of the same photo.

Run from the repository root: ``.venv/bin/python -m bench.photo_memory`` (``--reuse DIR`` keeps
the generated photos for the next run). It writes camera-like photos (gradients and grain):
baseline JPEGs of 24, 100 and 196 MP, a 150 MP progressive 4:4:4 JPEG (the kind that took a
worker to 1.1 GiB) and an RGB PNG at the largest size the default budget lets through. Each
variant runs in a fresh process that reports its peak resident memory (VmHWM) over its own
baseline after the imports:

* ``full decode``: ``Image.open`` + ``load()`` + preview and thumbnail, the cost of a photo
  decoded whole (what every PNG and progressive JPEG cost before the budget);
* ``pipeline``: ``process_photo`` with the default limits, everything a worker does at upload
  (checks, shrink-on-load, ICC conversion, metadata, pHash, colours, watermarks, both files),
  or its refusal when the photo would need more than the budget.

Target: the pipeline's growth stays under the budget plus 96 MiB for every photo.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from marketplace.media.types import PhotoLimits
from tests.fixtures.large_photos import ROOT, write_in_subprocess

MIB = 1024 * 1024
BUDGET = PhotoLimits().max_decode_bytes
TARGET_BYTES = BUDGET + 96 * MIB
# (name, width, height, format, save options)
PHOTOS: tuple[tuple[str, int, int, str, dict[str, object]], ...] = (
    ("24 MP JPEG", 6_000, 4_000, "JPEG", {}),
    ("100 MP JPEG", 12_240, 8_170, "JPEG", {}),
    ("196 MP JPEG", 17_150, 11_420, "JPEG", {}),
    ("150 MP progressive 4:4:4 JPEG", 15_000, 10_000, "JPEG",
     {"progressive": True, "subsampling": 0}),
    ("93 MP PNG (RGB, the budget's cap)", 11_800, 7_860, "PNG", {}),
)  # fmt: skip

_MEASURE = """
import json, sys, tempfile, time
from pathlib import Path
from PIL import Image
from marketplace.media.photos import PREVIEW_EDGE, THUMBNAIL_EDGE, process_photo
from marketplace.media.types import MediaRejected, PhotoLimits

def peak():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))

photo, variant = Path(sys.argv[1]), sys.argv[2]
Image.MAX_IMAGE_PIXELS = None
baseline, started, outcome = peak(), time.perf_counter(), "rendered"
with tempfile.TemporaryDirectory() as out:
    if variant == "full":
        with Image.open(photo) as im:
            im.load()
            for edge in (PREVIEW_EDGE, THUMBNAIL_EDGE):
                copy = im.copy() if edge == THUMBNAIL_EDGE else im
                copy.thumbnail((edge, edge))
                copy.convert("RGB").save(Path(out) / f"{edge}.jpg", quality=85)
    else:
        try:
            process_photo(photo, Path(out) / "t.jpg", Path(out) / "p.jpg",
                          watermark="Co-op Stock", limits=PhotoLimits())
        except MediaRejected as rejected:
            outcome = f"refused ({rejected.code})"
print(json.dumps({"growth": peak() - baseline, "seconds": time.perf_counter() - started,
                  "outcome": outcome}))
"""


def measure(photo: Path, variant: str) -> dict[str, float | str]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _MEASURE, str(photo), variant],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result: dict[str, float | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", type=Path, help="keep the generated photos in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="photo-memory-") as scratch:
        folder = args.reuse or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"budget {BUDGET / MIB:.0f} MiB per photo; target: pipeline growth < "
              f"{TARGET_BYTES / MIB:.0f} MiB")  # fmt: skip
        print(f"{'photo':36} {'full decode':>20} {'pipeline':>20} {'memory':>7} {'time':>6}  "
              "outcome")  # fmt: skip
        failures = 0
        for name, width, height, fmt, options in PHOTOS:
            photo = folder / f"{width}x{height}-{'p' if options else 'b'}.{fmt.lower()}"
            if not photo.exists():
                write_in_subprocess(photo, width, height, fmt, **options)
            full, ours = measure(photo, "full"), measure(photo, "pipeline")
            full_mib, our_mib = float(full["growth"]) / MIB, float(ours["growth"]) / MIB
            full_s, our_s = float(full["seconds"]), float(ours["seconds"])
            failures += float(ours["growth"]) >= TARGET_BYTES
            print(
                f"{name:36} {full_mib:8.0f} MiB {full_s:5.1f} s {our_mib:8.0f} MiB {our_s:5.1f} s "
                f"{our_mib / full_mib:6.2f}x {our_s / full_s:5.2f}x  {ours['outcome']}"
            )
    print("PASS" if not failures else f"FAIL: {failures} photo(s) over the target")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
