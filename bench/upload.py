"""How much memory the web process needs to receive a 1 GB original, and how fast it takes it.

Run from the repository root: ``.venv/bin/python bench/upload.py`` (``--size-mb N``, default
1024). Everything lives in one temporary folder on the disk of the system temp dir, removed at
the end (also on Ctrl-C or an error):

* a fresh SQLite database migrated with Alembic, one member and an API token for them;
* a valid video of the requested size: a 2 s 320×240 H.264 clip encoded with PyAV, padded with a
  top-level MP4 ``free`` box at the end, which decoders skip (checked with ``probe_video``), so
  the upload is accepted (202) after the whole path has run, not refused half-way;
* the app under gunicorn (one sync worker) serving HTTP on 127.0.0.1, with ``TMPDIR`` pointing
  into the folder so Werkzeug's spooled multipart file and the probe's local copy stay on the
  same disk and are cleaned up with it.

It then uploads the file to ``POST /api/v1/assets`` with ``http.client`` and a precomputed
``Content-Length``, streaming the file in 1 MiB chunks so the client holds no more of it than the
server should. A thread samples the worker's ``VmRSS`` from ``/proc`` every 20 ms, and the
worker's ``VmHWM`` (peak RSS, reset through ``/proc/PID/clear_refs`` just before the upload) is
read at the end. One small upload runs first so lazily imported code and first-use caches
(PyAV, the Celery producer) are in the baseline rather than counted as upload cost.

Why: an original is up to 4 GB, and every byte of it must go to disk, never into the web
process's memory, or a few concurrent uploads would take a worker down. The target is a peak RSS
growth under 50 MB for the 1 GB upload. The MB/s is put next to a raw ``cp`` of the same file on
the same disk (second of two runs, page cache warm like the upload's source) to show what the
request costs over the copy any upload needs. The request does more than one copy: Werkzeug
spools the body to a temp file, ``upload_asset`` streams it into storage with SHA-256 and
``fsync``, and the type check copies the stored original again for the decoder; so expect a
ratio well under 1. For reading the ratio, the table also gives ``cp`` followed by ``fsync``
(the app syncs each original) and this CPU's SHA-256 speed (every byte is hashed, and on a CPU
without SHA extensions that alone caps the request at a few hundred MB/s).

The parts: ``upload_server`` (workspace and gunicorn), ``upload_video`` (the file),
``upload_client`` (the request and the ``cp``/SHA-256 baselines) and ``upload_memory`` (RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.upload_client import UploadResult, sha256_rate, time_cp, upload  # noqa: E402
from bench.upload_memory import (  # noqa: E402
    MIB,
    RssSampler,
    mb,
    proc_status_bytes,
    reset_peak_rss,
)
from bench.upload_server import (  # noqa: E402
    free_port,
    make_workspace,
    start_server,
    stop_server,
    wait_for_worker,
)
from bench.upload_video import encode_clip, make_video  # noqa: E402

TARGET_GROWTH_MB = 50.0


def check_disk(folder: Path, size_bytes: int) -> None:
    # Source, Werkzeug's spool, the stored original and the probe's copy exist at once.
    needed = 4 * size_bytes + 256 * MIB
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise SystemExit(
            f"Not enough disk in {folder}: {mb(free):.0f} MB free, {mb(needed):.0f} MB needed."
        )


def describe_peak(sampler: RssSampler, result: UploadResult) -> str:
    at, _ = sampler.peak()
    if at < result.body_sent:
        return f"while the body was streaming in ({at - result.started:.1f} s into the request)"
    return (
        f"after the body was received, during storage/hash/probe "
        f"({at - result.started:.1f} s into the request)"
    )


def bench(size_mb: int, folder: Path) -> bool:
    size_bytes = size_mb * MIB
    check_disk(folder, size_bytes)
    print(f"Working in {folder}", flush=True)
    workspace = make_workspace(folder, size_bytes)
    video = folder / "upload.mp4"
    warmup = folder / "warmup.mp4"
    started = time.monotonic()
    make_video(video, size_bytes)
    encode_clip(warmup, seed=1)
    print(f"Wrote a {size_mb} MB video in {time.monotonic() - started:.1f} s", flush=True)

    os.sync()  # each measurement starts with no dirty pages: none pays for another's writeback
    cp_seconds = time_cp(video, folder)
    cp_sync_seconds = time_cp(video, folder, fsync=True, runs=1)
    hash_rate = sha256_rate()
    print(f"cp: {cp_seconds:.2f} s, cp + fsync: {cp_sync_seconds:.2f} s", flush=True)

    port = free_port()
    server = start_server(workspace, port)
    try:
        worker = wait_for_worker(server, port)
        rss_booted = proc_status_bytes(worker, "VmRSS")
        warm = upload(port, workspace.token, warmup, "Warm-up clip")
        assert warm.status == 202, (warm.status, warm.body)
        rss_before = proc_status_bytes(worker, "VmRSS")
        os.sync()
        hwm_reset = reset_peak_rss(worker)

        sampler = RssSampler(worker)
        sampler.start()
        try:
            result = upload(port, workspace.token, video, "Bench upload")
        finally:
            sampler.stop()
        rss_after = proc_status_bytes(worker, "VmRSS")
        hwm = proc_status_bytes(worker, "VmHWM")
        assert result.status == 202, (result.status, result.body)
        asset_id = json.loads(result.body)["id"]
    except BaseException:
        log = folder / "gunicorn.log"
        if log.exists():
            sys.stderr.write("--- gunicorn log (last 40 lines) ---\n")
            sys.stderr.write("\n".join(log.read_text(errors="replace").splitlines()[-40:]) + "\n")
        raise
    finally:
        stop_server(server)

    sampled_peak = sampler.peak()[1]
    peak = max(sampled_peak, hwm) if hwm_reset else sampled_peak
    growth = mb(peak - rss_before)
    upload_rate = size_mb / result.seconds
    cp_rate = size_mb / cp_seconds
    passed = growth < TARGET_GROWTH_MB
    client_hwm = proc_status_bytes("self", "VmHWM")

    print(f"\nAccepted: HTTP {result.status}, asset {asset_id}\n")
    rows = [
        ("file size", f"{size_mb} MB ({size_bytes:,} bytes)"),
        ("upload", f"{upload_rate:7.1f} MB/s  ({result.seconds:.2f} s)"),
        ("  body sent after", f"{result.body_sent - result.started:7.2f} s"),
        ("  response after", f"{result.finished - result.body_sent:7.2f} s more"),
        ("cp (same disk)", f"{cp_rate:7.1f} MB/s  ({cp_seconds:.2f} s)"),
        ("ratio upload/cp", f"{upload_rate / cp_rate:7.2f}"),
        ("cp + fsync", f"{size_mb / cp_sync_seconds:7.1f} MB/s  ({cp_sync_seconds:.2f} s)"),
        ("sha256 (this CPU)", f"{hash_rate:7.1f} MB/s"),
        ("worker RSS booted", f"{mb(rss_booted):7.1f} MB"),
        ("worker RSS baseline", f"{mb(rss_before):7.1f} MB  (after a warm-up upload)"),
        (
            "worker RSS peak",
            f"{mb(peak):7.1f} MB  (sampled {mb(sampled_peak):.1f}, "
            f"VmHWM {mb(hwm):.1f}{'' if hwm_reset else ' since start: reset refused'})",
        ),
        ("worker RSS after", f"{mb(rss_after):7.1f} MB"),
        ("worker RSS growth", f"{growth:7.1f} MB  (target < {TARGET_GROWTH_MB:.0f} MB)"),
        ("  peak reached", describe_peak(sampler, result)),
        ("client peak RSS (run)", f"{mb(client_hwm):7.1f} MB"),
        ("result", "PASS" if passed else "FAIL"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return passed


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=1024, help="file size in MiB")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _interrupt)
    folder = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    try:
        passed = bench(args.size_mb, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
