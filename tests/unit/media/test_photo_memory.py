"""A worker's memory per photo is bounded, whatever the photo within the pixel cap.

Each photo is rendered in a child process that reports its peak resident memory (VmHWM) over
its own baseline after the imports, so that nothing else in the test run counts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from marketplace.media.types import PhotoLimits
from tests.fixtures.large_photos import ROOT, write_in_subprocess

MIB = 1024 * 1024
# What rendering may take beyond the decoding budget: the outputs, the watermark, and the
# pages of the original mapped while it is checked for hidden payloads.
WORKING_SET = 96 * MIB
BUDGET = PhotoLimits().max_decode_bytes

_RENDER = """
import json, sys, tempfile
from pathlib import Path
from marketplace.media.photos import process_photo
from marketplace.media.types import MediaRejected, PhotoLimits

def peak():
    with open("/proc/self/status") as status:
        return next(int(l.split()[1]) * 1024 for l in status if l.startswith("VmHWM:"))

baseline = peak()
with tempfile.TemporaryDirectory() as out:
    try:
        facts = process_photo(Path(sys.argv[1]), Path(out) / "t.jpg", Path(out) / "p.jpg",
                              watermark="Co-op Stock", limits=PhotoLimits())
        outcome = {"size": [facts.width, facts.height]}
    except MediaRejected as rejected:
        outcome = {"refused": rejected.code, "reason": rejected.reason}
print(json.dumps({**outcome, "growth": peak() - baseline}))
"""


def render_in_subprocess(photo: Path) -> dict[str, object]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", _RENDER, str(photo)],
        check=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_a_150_megapixel_jpeg_is_rendered_from_a_reduced_decode(tmp_path: Path) -> None:
    photo = write_in_subprocess(tmp_path / "large.jpg", 15_000, 10_000)
    result = render_in_subprocess(photo)
    assert result["size"] == [15_000, 10_000]
    # A baseline JPEG is decoded at 1/8 scale: 9 MB of pixels instead of 600.
    assert int(str(result["growth"])) < WORKING_SET + 64 * MIB, result


def test_a_150_megapixel_progressive_jpeg_stays_within_the_budget(tmp_path: Path) -> None:
    # Progressive 4:4:4, as editors export at high quality: libjpeg keeps every coefficient
    # (2 bytes a sample, 900 MB here) until the last scan, whatever the scale it outputs.
    photo = write_in_subprocess(
        tmp_path / "progressive.jpg", 15_000, 10_000, progressive=True, subsampling=0
    )
    result = render_in_subprocess(photo)
    assert int(str(result["growth"])) < BUDGET + WORKING_SET, result
    assert result.get("refused") == "too_large", result
    reason = str(result["reason"])
    assert "progressive JPEG of 150 megapixels" in reason
    assert "can be at most about 87 megapixels" in reason, reason
