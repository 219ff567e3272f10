"""Deliveries: the first download of a size through the real worker, later downloads, memory.

Run from the repository root with a Redis server at hand:
``.venv/bin/python -m bench.deliveries [--redis-url redis://127.0.0.1:6379/1] [--megapixels 24]``.

It builds a workspace (SQLite, local storage, Redis as the broker), starts one Celery worker
(``photos`` and ``video`` queues, concurrency 1) and gunicorn (``gunicorn.conf.py``), seeds a
24 MP camera-like JPEG (texture, grain, EXIF with GPS), a 1,000 px one, a large noisy one, a
10 s 1080p clip and a 3 s 4K clip, and licences for them, then measures, next to floors
taken in the same run:

1. the first download of size M (2,000 px) of the 24 MP photo: from the API's first 202 to
   its 302 (polled every 20 ms), against the bare Pillow decode-resize-encode of the same file
   (``open`` + ``draft`` + Lanczos + ``save`` at the same quality, one process, no queue); the
   queue's pick-up is the time to ready of a rendition that needs no decoding (the 1,000 px
   photo's only size), and the target is ready ≤ 1.5 × floor + pick-up;
2. later downloads (the rendition streamed with the licence written in, over HTTP from
   gunicorn) against the same stored file streamed straight from storage by the same gunicorn
   with nothing added (the app's plain file path, sendfile): target ≥ 0.5 ×. A raw read of the
   file (page cache, a memory copy at ~10 GB/s) is printed for the record: no HTTP server
   comes near it, so it is not the floor;
3. the gunicorn worker's peak RSS while it serves files from a few hundred KB to tens of MB:
   it must not grow with the file's size.

Measured on the project's 2-core machine with other sessions running (three runs, figures vary
by a third from run to run): the floor 0.24-0.38 s, ready through the worker 0.44-0.55 s with a
0.24-0.40 s pick-up, always within 1.5 × floor + pick-up; later downloads of M (1.1 MB) at
0.53-0.63 × the plain path (93-116 against 147-214 MB/s: per-request work, the licence,
rendition and holder looked up, weighs on a small file), of the original size (6.7 MB) at
0.51-0.94 × (295-443 against 463-830 MB/s); the web worker's peak RSS flat at 178.1 MiB from
0.2 MB to 37.5 MB files with 256 KiB chunks (1 MiB chunks: +1.6 MiB, the buffer, for no better
ratio).
Videos: a 10 s 1080p clip's only size (HD, the original remuxed) ready in 0.14-0.21 s, 25.9 MB
served at 760-840 MB/s; a 3 s 4K clip's 4K (remuxed) in 0.08-0.12 s, its HD (720p transcode)
in 8.3-10.3 s (7.3-8.8 s of it the transcode itself).
"""

from __future__ import annotations

import argparse
import http.client
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PIL import Image

from bench.upload_memory import mb, proc_status_bytes, reset_peak_rss
from bench.upload_server import ROOT, child_pids, free_port, run_quietly, stop_server

CHUNK = 256 * 1024
TARGET_FIRST = 1.5
TARGET_THROUGHPUT = 0.5


def _env(folder: Path, redis_url: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MARKETPLACE_") and key not in ("REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        {
            "MARKETPLACE_ENV": "test",
            "MARKETPLACE_SECRET_KEY": "bench-secret-key-that-is-long-enough-for-it",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "REDIS_URL": redis_url,
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_MEDIA_ROOT": str(folder / "media"),
            "MARKETPLACE_PHOTO_MIN_PIXELS": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def _seed(folder: Path, megapixels: float) -> dict[str, Any]:
    """Photos, their originals in storage, a buyer, their licences and API token."""
    from marketplace import create_app
    from marketplace.accounts.services import issue_api_token
    from marketplace.assets.models import Asset
    from marketplace.database import unit_of_work
    from marketplace.licensing import services
    from marketplace.pricing import offered_sizes
    from marketplace.storage import get_storage
    from tests.fixtures.catalogue import Catalogue
    from tests.fixtures.factories import Factory
    from tests.fixtures.media_files import make_jpeg, realistic_photo
    from tests.fixtures.video_files import make_1080p_clip, make_h264_mp4

    photo = realistic_photo(folder / "photo24.jpg", megapixels)
    small = realistic_photo(folder / "photo1k.jpg", 0.67, seed=1)
    noisy = folder / "noisy.jpg"
    Image.effect_noise((8000, 6000), 80).convert("RGB").save(noisy, "JPEG", quality=95)
    big = make_jpeg(folder / "big.jpg", image=Image.open(noisy).convert("RGB"), gps=True)
    clip = make_1080p_clip(folder / "clip1080.mp4", seconds=10)
    clip4k = make_h264_mp4(folder / "clip4k.mp4", seconds=3, width=3840, height=2160, fps=30)
    media = [
        ("photo", photo, "photo"), ("small", small, "photo"), ("big", big, "photo"),
        ("clip", clip, "video"), ("clip4k", clip4k, "video"),
    ]  # fmt: skip
    app = create_app()
    facts: dict[str, Any] = {"photo": photo, "big": big, "clip": clip, "clip4k": clip4k}
    with app.app_context():
        catalogue = Catalogue()
        buyer = Factory().buyer("buyer@bench.example.org", "Bench Buyer")
        _, facts["token"] = issue_api_token(buyer, "bench")
        for name, path, kind in media:
            size = _dimensions(path, kind)
            asset_id = catalogue.add(name, kind=kind, size=size)
            data = path.read_bytes()
            with unit_of_work() as session:
                asset = session.get(Asset, asset_id)
                assert asset is not None
                asset.original_mime = "video/mp4" if kind == "video" else "image/jpeg"
                get_storage().save_stream(asset.original_key, io.BytesIO(data), len(data))
            for code in [s.code for s in offered_sizes(kind, *size)]:
                with unit_of_work() as session:
                    asset = session.get(Asset, asset_id)
                    assert asset is not None
                    quote = services.quote(session, asset, "standard", code, "USD")
                    item = asset_id * 10 + len(facts)
                    licence = services.issue(
                        session, holder_id=buyer.id, asset_id=asset_id, size=code,
                        terms_id=quote.terms_id, price_cents=quote.price_cents, currency="USD",
                        order_id=item, order_item_id=item,
                    )  # fmt: skip
                facts[f"{name}:{code}"] = licence.id
            largest = offered_sizes(kind, *size)[-1].code
            facts[f"{name}:largest"] = facts[f"{name}:{largest}"]
            facts[f"{name}:file"] = {"largest": largest, "asset": asset_id}
    return facts


def _dimensions(path: Path, kind: str) -> tuple[int, int]:
    if kind == "video":
        import av

        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            return stream.width, stream.height
    with Image.open(path) as im:
        return im.size


def _start(command: list[str], env: dict[str, str], log: Path, ready: bytes) -> Any:
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while ready not in log.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"{command[2]} did not start:\n{log.read_text()}")
        time.sleep(0.1)
    return process


def _get(port: int, path: str, token: str | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = bytearray()
    while chunk := response.read(CHUNK):
        body += chunk
    connection.close()
    return response.status, dict(response.getheaders()), bytes(body)


def _time_to_ready(port: int, token: str, licence_id: int) -> tuple[float, str]:
    start = time.perf_counter()
    while True:
        status, headers, _ = _get(port, f"/api/v1/licences/{licence_id}/download", token)
        if status == 302:
            return time.perf_counter() - start, urlsplit(headers["Location"]).path
        if status != 202:
            raise RuntimeError(f"download answered {status}")
        if time.perf_counter() - start > 120:
            raise RuntimeError(f"licence {licence_id}'s file was not ready within 2 minutes")
        time.sleep(0.02)


def _stream(port: int, path: str) -> tuple[float, int]:
    """Seconds to receive the whole file, reading as a client does; and its size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    start = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    total = 0
    while chunk := response.read(CHUNK):
        total += len(chunk)
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed, total


def _read_stored(path: Path) -> tuple[float, int]:
    start = time.perf_counter()
    total = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            total += len(chunk)
    return time.perf_counter() - start, total


def _serve_as_preview(asset_id: int, licence_id: int) -> str:
    """Point the asset's preview at the licence's stored rendition, so that the app's plain
    file path serves the very same stored file; returns its storage key."""
    import sqlalchemy as sa

    from marketplace import create_app
    from marketplace.assets.models import Asset
    from marketplace.database import unit_of_work
    from marketplace.licensing.models import Licence, Rendition

    with create_app().app_context(), unit_of_work() as session:
        licence = session.get(Licence, licence_id)
        assert licence is not None
        key = session.execute(
            sa.select(Rendition.key).where(
                Rendition.asset_id == asset_id, Rendition.size == licence.size
            )
        ).scalar_one()
        asset = session.get(Asset, asset_id)
        assert asset is not None
        asset.preview_key = key
    return str(key)


def _floor(photo: Path, out: Path) -> float:
    """The bare Pillow decode-resize-encode of size M, same settings as the rendition."""
    from marketplace.media.renditions import JPEG_QUALITY

    start = time.perf_counter()
    with Image.open(photo) as im:
        scale = 2000 / max(im.size)
        size = (round(im.size[0] * scale), round(im.size[1] * scale))
        im.draft("RGB", size)
        resized = im.resize(size, Image.Resampling.LANCZOS)
    resized.save(out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=True)
    return time.perf_counter() - start


def _median(measure: Callable[[], float], runs: int = 3) -> float:
    return statistics.median(measure() for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/1")
    parser.add_argument("--megapixels", type=float, default=24)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-deliveries-") as name:
        return _run(Path(name), args.redis_url, args.megapixels)


def _run(folder: Path, redis_url: str, megapixels: float) -> int:
    env = _env(folder, redis_url)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    run_quietly([sys.executable, "-m", "flask", "--app", "marketplace", "db", "upgrade"], env)
    print(f"Seeding a {megapixels:g} MP photo, a 1,000 px one and a 48 MP noisy one…")
    facts = _seed(folder, megapixels)
    run_quietly([sys.executable, "-m", "celery", "-A", "workers.celery_app", "purge", "-f"], env)
    worker = _start(
        [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker", "--pool=prefork",
         "--concurrency=1", "--loglevel=INFO", "--without-gossip", "--without-mingle",
         "--queues=celery,photos,video"],
        env, folder / "worker.log", b"ready.",
    )  # fmt: skip
    port = free_port()
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    server = _start(
        [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "--no-control-socket",
         "marketplace:create_app()"],
        env, folder / "gunicorn.log", b"Booting worker",
    )  # fmt: skip
    try:
        return _measure(folder, port, server, facts)
    finally:
        stop_server(server)
        worker.terminate()
        worker.wait(timeout=30)


def _measure(folder: Path, port: int, server: Any, facts: dict[str, Any]) -> int:
    from marketplace.media.renditions import make_photo_rendition
    from marketplace.media.types import PhotoLimits

    token = facts["token"]
    time.sleep(1)
    web_pid = child_pids(server.pid)[0]
    _get(port, "/healthz")
    photo: Path = facts["photo"]
    floor = _median(lambda: _floor(photo, folder / "floor.jpg"))

    def pipeline() -> float:
        start = time.perf_counter()
        make_photo_rendition(photo, folder / "pipeline.jpg", 2000, PhotoLimits())
        return time.perf_counter() - start

    in_process = _median(pipeline)
    pick_up, _ = _time_to_ready(port, token, facts["small:largest"])
    ready, m_path = _time_to_ready(port, token, facts["photo:M"])
    budget = TARGET_FIRST * floor + pick_up
    print()
    print(f"First download of size M of {photo.stat().st_size / 1e6:.1f} MB, 24 MP JPEG")
    print(f"  bare Pillow decode-resize-encode (floor)   {floor:6.2f} s")
    print(f"  the rendition function alone, in process   {in_process:6.2f} s")
    print(f"  queue pick-up (a rendition with no decode) {pick_up:6.2f} s")
    print(f"  time to ready through the worker          {ready:6.2f} s")
    print(
        f"  ratio (ready - pick-up) / floor             {(ready - pick_up) / floor:6.2f} "
        f"(target ≤ {TARGET_FIRST}); budget 1.5 × floor + pick-up = {budget:.2f} s: "
        f"{'met' if ready <= budget else 'MISSED'}"
    )
    print()
    print("Later downloads: the rendition streamed with the licence written in, vs the same")
    print("stored file streamed by the same gunicorn with nothing added (the app's plain file")
    print("path: werkzeug's wrap_file, i.e. sendfile), and vs a raw read (page cache)")

    where = facts["photo:file"]
    for label, key in (("M", "photo:M"), ("largest (original)", "photo:largest")):
        _, path = _time_to_ready(port, token, facts[key])
        times, size = zip(*(_stream(port, path) for _ in range(7)), strict=True)
        web = size[0] / statistics.median(times)
        stored_key = _serve_as_preview(where["asset"], facts[key])
        plain_times, plain_size = zip(
            *(_stream(port, f"/assets/{where['asset']}/media/preview") for _ in range(7)),
            strict=True,
        )
        plain = plain_size[0] / statistics.median(plain_times)
        raw_times, raw_size = zip(
            *(_read_stored(folder / "media" / stored_key) for _ in range(7)), strict=True
        )
        raw = raw_size[0] / statistics.median(raw_times)

        print(
            f"  {label:<19} {size[0] / 1e6:5.1f} MB  licensed {mb(web):5.0f} MB/s  "
            f"plain {mb(plain):5.0f} MB/s  ratio {web / plain:4.2f} (target ≥ {TARGET_THROUGHPUT})"
            f"  raw read {mb(raw):6.0f} MB/s"
        )
    print()
    print("Web process memory while serving (gunicorn worker's peak RSS)")
    peaks = []
    for key in ("photo:S", "photo:M", "photo:largest", "big:largest"):
        _, path = _time_to_ready(port, token, facts[key])
        _stream(port, path)  # warm
        reset_peak_rss(web_pid)
        _, size = _stream(port, path)
        peak = proc_status_bytes(web_pid, "VmHWM")
        peaks.append(peak)
        print(f"  {key:<16} {size / 1e6:7.1f} MB file   peak RSS {mb(peak):6.1f} MiB")
    growth = mb(peaks[-1] - peaks[0])
    print(f"  growth from the smallest to the largest file: {growth:+.1f} MiB (must stay ~0)")
    _videos(folder, port, token, facts)
    return 0


def _videos(folder: Path, port: int, token: str, facts: dict[str, Any]) -> None:
    """Each size of a 10 s 1080p30 clip (HD is its largest size: the original, remuxed) and of
    a 3 s 4K clip (HD transcoded to 720 lines; 4K remuxed), first download and later ones."""
    from marketplace.media.video_renditions import make_video_rendition

    print()
    print("Videos: first download through the worker (video queue), the function alone in")
    print("process, and a later download's speed")
    for name, label in (("clip", "1080p 10 s"), ("clip4k", "4K 3 s")):
        clip: Path = facts[name]
        for key in sorted(k for k in facts if k.startswith(f"{name}:") and k.count(":") == 1):
            code = key.split(":")[1]
            if code in ("largest", "file"):
                continue
            largest = facts[f"{name}:file"]["largest"] == code
            start = time.perf_counter()
            make_video_rendition(clip, folder / "video.out", "video/mp4", None if largest else 720)
            alone = time.perf_counter() - start
            ready, path = _time_to_ready(port, token, facts[key])
            seconds, size = _stream(port, path)
            what = "original, remuxed" if largest else "720p, transcoded"
            print(
                f"  {label:<11} {code:<3} ({what})"
                f"  ready {ready:6.2f} s  alone {alone:6.2f} s  {size / 1e6:6.1f} MB at "
                f"{mb(size / seconds):5.0f} MB/s"
            )


if __name__ == "__main__":
    raise SystemExit(main())
