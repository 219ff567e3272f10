"""How long the photo worker takes per 24 MP JPEG, against a bare Pillow decode-shrink-encode.

Run from the repository root: ``.venv/bin/python -m bench.previews`` (``--count N`` photos,
default 5; ``--megapixels`` their size, default 24). It writes camera-like JPEGs (quality 90,
texture and grain, EXIF with GPS, sRGB profile), then times each variant in a fresh process
pinned to one CPU, reading that process's peak RSS:

* the baseline: ``Image.open`` + ``draft("RGB", (1600, 1600))`` + ``thumbnail`` + save, and the
  same for 400 px: the least any preview service must do;
* the pipeline, ``process_photo``: checks, ICC conversion, orientation, metadata, pHash,
  colours, watermarks, both files;
* for the record: the baseline without ``draft`` (a full 24 MP decode), and pyvips'
  ``thumbnail`` (shrink-on-load too), if pyvips is installed.

Targets: pipeline ≤ 1.5 × baseline, pipeline peak RSS < 300 MB.

Why Pillow and not pyvips: measured with this script on the project's 2-core machine (other
work running, load average about 5), pyvips 3.2 on pyvips-binary's libvips 8.18, one CPU each,
five 24 MP photos: Pillow's draft baseline 0.61 s per photo at 85 MB peak RSS; pyvips' thumbnail
0.53-0.80 s at 182 MB; Pillow without draft 1.24 s at 166 MB; the whole pipeline 0.63 s at 94 MB.
Both libraries decode JPEGs through libjpeg-turbo's DCT scaling, so on one core pyvips saves
little or nothing on the one step it could speed up, and it needs more memory. What decides is
shrink-on-load, which Pillow has. The rest tips it: Pillow is already a dependency, pillow-heif
plugs HEIC into it, ImageCms gives LittleCMS, and EXIF/IPTC/XMP access and text drawing are in
the box; pyvips would add a second imaging stack (18 MB of native libraries) for no gain.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from multiprocessing.pool import Pool
from pathlib import Path

from PIL import Image

from marketplace.media.photos import JPEG_QUALITY, PREVIEW_EDGE, THUMBNAIL_EDGE, process_photo
from marketplace.media.types import PhotoLimits

TARGET_RATIO = 1.5
TARGET_RSS_MB = 300


def _baseline(photo: Path, out: Path) -> None:
    for edge, name in ((PREVIEW_EDGE, "preview.jpg"), (THUMBNAIL_EDGE, "thumb.jpg")):
        with Image.open(photo) as im:
            im.draft("RGB", (edge, edge))
            im.thumbnail((edge, edge))
            im.save(out / name, "JPEG", quality=JPEG_QUALITY)


def _baseline_without_draft(photo: Path, out: Path) -> None:
    for edge, name in ((PREVIEW_EDGE, "preview.jpg"), (THUMBNAIL_EDGE, "thumb.jpg")):
        with Image.open(photo) as im:
            im.load()  # decoded at full size, so thumbnail() can no longer draft
            im.thumbnail((edge, edge))
            im.save(out / name, "JPEG", quality=JPEG_QUALITY)


def _pipeline(photo: Path, out: Path) -> None:
    process_photo(
        photo, out / "thumb.jpg", out / "preview.jpg", watermark="Co-op Stock · A. Photographer",
        limits=PhotoLimits(),
    )  # fmt: skip


def _pyvips(photo: Path, out: Path) -> None:
    import pyvips  # type: ignore[import-not-found]

    for edge, name in ((PREVIEW_EDGE, "preview.jpg"), (THUMBNAIL_EDGE, "thumb.jpg")):
        pyvips.Image.thumbnail(str(photo), edge).write_to_file(str(out / name), Q=JPEG_QUALITY)


VARIANTS: dict[str, tuple[str, Callable[[Path, Path], None]]] = {
    "baseline": ("Pillow baseline: open+draft+thumbnail+save", _baseline),
    "pipeline": ("pipeline: process_photo", _pipeline),
    "no_draft": ("Pillow baseline without draft()", _baseline_without_draft),
    "pyvips": ("pyvips thumbnail (shrink-on-load)", _pyvips),
}


def _start(variant: str, warm_up: Path, out: Path) -> None:
    """Pin this fresh process to one CPU and warm it up on a small photo (imports, fonts, codecs:
    what a long-running worker pays once, not per photo)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    VARIANTS[variant][1](warm_up, out)


def _time(variant: str, photo: Path, out: Path) -> float:
    started = time.perf_counter()
    VARIANTS[variant][1](photo, out)
    return time.perf_counter() - started


def _peak_rss_kb() -> tuple[int, int]:
    """ru_maxrss (kB on Linux), and VmHWM: the same high-water mark, of this process alone."""
    status = Path("/proc/self/status").read_text()
    hwm = next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM")), 0
    )
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, hwm


def _have_pyvips() -> bool:
    try:
        import pyvips  # noqa: F401

        return True
    except (ImportError, OSError):
        return False


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=5, help="how many photos (default 5)")
    parser.add_argument("--megapixels", type=float, default=24, help="their size (default 24)")
    args = parser.parse_args()
    variants = ["baseline", "pipeline", "no_draft"] + (["pyvips"] if _have_pyvips() else [])
    # One fresh process per variant, started while this one is still small: a child's ru_maxrss
    # starts from its parent's resident size, and the photo generation below takes 400 MB.
    context = multiprocessing.get_context("spawn")
    pools = {variant: context.Pool(1) for variant in variants}
    try:
        return _measure(pools, args.count, args.megapixels)
    finally:
        for pool in pools.values():
            pool.terminate()


def _measure(pools: dict[str, Pool], count: int, megapixels: float) -> int:
    # Imported here, after the pools have started, for the reason given in main().
    from tests.fixtures.media_files import make_jpeg, realistic_photo

    with tempfile.TemporaryDirectory(prefix="bench-previews-") as folder:
        out = Path(folder)
        started = time.perf_counter()
        photos = [realistic_photo(out / f"photo{i}.jpg", megapixels, seed=i) for i in range(count)]
        warm_up = make_jpeg(out / "warm-up.jpg", 1600, 1200)
        with Image.open(photos[0]) as first:
            width, height = first.size
        size_mb = statistics.mean(p.stat().st_size for p in photos) / 1e6
        print(
            f"{count} JPEGs of {width} x {height} ({width * height / 1e6:.1f} MP), quality 90, "
            f"{size_mb:.1f} MB each on average; written in {time.perf_counter() - started:.1f} s"
        )
        print(f"load average at start: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
        print(
            "each variant in its own fresh process pinned to one CPU, the variants taking turns "
            "photo by photo (so that other load hits all alike); median seconds per photo\n"
        )
        for variant, pool in pools.items():
            (out / variant).mkdir()
            pool.apply(_start, (variant, warm_up, out / variant))
        seconds: dict[str, list[float]] = {variant: [] for variant in pools}
        for photo in photos:
            for variant, pool in pools.items():
                seconds[variant].append(pool.apply(_time, (variant, photo, out / variant)))
        peaks = {variant: pool.apply(_peak_rss_kb) for variant, pool in pools.items()}
    print(f"{'variant':<44} {'s/photo':>7} {'min':>6} {'max':>6}  peak RSS (ru_maxrss, VmHWM)")
    for variant, times in seconds.items():
        maxrss, hwm = peaks[variant]
        print(
            f"{VARIANTS[variant][0]:<44} {statistics.median(times):7.3f} {min(times):6.3f} "
            f"{max(times):6.3f}  {maxrss / 1024:4.0f} MB, {hwm / 1024:4.0f} MB"
        )
    if "pyvips" not in seconds:
        print("(pyvips is not installed: pip install pyvips pyvips-binary to compare)")
    ratio = statistics.median(seconds["pipeline"]) / statistics.median(seconds["baseline"])
    rss_mb = peaks["pipeline"][0] / 1024
    ok_ratio, ok_rss = ratio <= TARGET_RATIO, rss_mb < TARGET_RSS_MB
    print(
        f"\npipeline / baseline: {ratio:.2f}x [target <= {TARGET_RATIO}: "
        f"{'OK' if ok_ratio else 'OVER TARGET'}]"
    )
    print(
        f"pipeline peak RSS: {rss_mb:.0f} MB [target < {TARGET_RSS_MB} MB: "
        f"{'OK' if ok_rss else 'OVER TARGET'}]"
    )
    return 0 if ok_ratio and ok_rss else 1


if __name__ == "__main__":
    raise SystemExit(main())
