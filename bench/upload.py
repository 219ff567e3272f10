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
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import FrameType

import av
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from marketplace.media.types import VideoLimits  # noqa: E402
from marketplace.media.videos import probe_video  # noqa: E402

MIB = 1024 * 1024
TARGET_GROWTH_MB = 50.0
SAMPLE_EVERY_S = 0.02
BOOT_TIMEOUT_S = 60.0

# Runs inside the app (same environment as the server): an admin, an approved member, a token.
SEED = """
import sys
from marketplace import create_app
app = create_app()
with app.app_context():
    from marketplace.accounts.services import issue_api_token, sign_up
    from marketplace.admin.services import create_admin
    from marketplace.membership import services as membership
    password = sys.argv[1]
    admin, _ = create_admin("admin@bench.example.org", password, "Bench Admin")
    user = sign_up("member@bench.example.org", password, "Bench Member")
    application = membership.submit_application(
        user, "I film coastlines and want to sell through a co-op I own.", "https://example.org/b"
    )
    membership.decide_application(admin, application.id, "approve", "", "artists")
    _, raw = issue_api_token(user, "bench")
    print(raw)
"""


@dataclass
class Workspace:
    folder: Path
    env: dict[str, str]
    token: str = ""


@dataclass
class RssSampler:
    """Samples one process's VmRSS in a background thread."""

    pid: int
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic s, bytes)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), proc_status_bytes(self.pid, "VmRSS")))
            except (OSError, KeyError):
                return  # the process is gone
            self._stop.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def peak(self) -> tuple[float, int]:
        return max(self.samples, key=lambda sample: sample[1])


@dataclass
class UploadResult:
    status: int
    body: str
    started: float  # monotonic
    body_sent: float
    finished: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started


def proc_status_bytes(pid: int | str, key: str) -> int:
    """A ``kB`` line of /proc/PID/status (VmRSS, VmHWM…), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if the kernel refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields follow the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry.name))
    return children


def mb(n_bytes: float) -> float:
    return n_bytes / MIB


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# --- the workspace: database, member, token ---------------------------------------------------


def make_workspace(folder: Path, size_bytes: int) -> Workspace:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MARKETPLACE_") and key not in ("REDIS_URL", "CELERY_BROKER_URL")
    }
    limit = str(size_bytes + 64 * MIB)
    (folder / "tmp").mkdir()
    env.update(
        {
            "MARKETPLACE_ENV": "test",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_MEDIA_ROOT": str(folder / "media"),
            "MARKETPLACE_MAX_UPLOAD_BYTES": limit,
            "MARKETPLACE_MAX_REQUEST_BYTES": limit,
            "MARKETPLACE_PHOTO_MIN_PIXELS": "1",
            "TMPDIR": str(folder / "tmp"),
            "PYTHONPATH": str(ROOT),
        }
    )
    workspace = Workspace(folder=folder, env=env)
    run_quietly([sys.executable, "-m", "flask", "--app", "marketplace", "db", "upgrade"], env)
    output = run_quietly([sys.executable, "-c", SEED, secrets.token_urlsafe(16)], env)
    workspace.token = output.strip().splitlines()[-1]
    return workspace


def run_quietly(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"{command[:4]} failed with exit code {done.returncode}")
    return done.stdout


# --- the file: a short valid video padded with a trailing `free` box ---------------------------


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


# --- the server -------------------------------------------------------------------------------


def start_server(workspace: Workspace, port: int) -> subprocess.Popen[bytes]:
    log = (workspace.folder / "gunicorn.log").open("wb")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    # No control socket: gunicorn would otherwise put one in ~/.gunicorn, outside the folder.
    command = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "900"]
    command.append("--no-control-socket")
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        [*command, "marketplace:create_app()"],
        cwd=ROOT,
        env=workspace.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # we stop it ourselves, after the measurement
    )


def wait_for_worker(server: subprocess.Popen[bytes], port: int) -> int:
    """The worker's pid, once it answers ``GET /healthz``."""
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            connection.close()
            workers = child_pids(server.pid)
            if len(workers) == 1:
                return workers[0]
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not answer within a minute")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    # SIGINT is gunicorn's quick shutdown: SIGTERM would let the worker finish its request.
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: only the master and worker
        server.wait()


# --- the client -------------------------------------------------------------------------------


def upload(port: int, token: str, path: Path, title: str) -> UploadResult:
    """POST the file as multipart/form-data, streamed from disk in 1 MiB chunks."""
    boundary = "bench-" + secrets.token_hex(16)
    preamble = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="title"\r\n\r\n'
        f"{title}\r\n"
        f"--{boundary}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    epilogue = f"\r\n--{boundary}--\r\n".encode()
    length = len(preamble) + path.stat().st_size + len(epilogue)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    started = time.monotonic()
    connection.putrequest("POST", "/api/v1/assets")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(length))
    connection.endheaders()
    try:
        connection.send(preamble)
        with path.open("rb") as source:
            while chunk := source.read(MIB):
                connection.send(chunk)
        connection.send(epilogue)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the server answered early (a refusal): read that answer below
    body_sent = time.monotonic()
    response = connection.getresponse()
    body = response.read().decode(errors="replace")
    finished = time.monotonic()
    connection.close()
    return UploadResult(response.status, body, started, body_sent, finished)


def time_cp(source: Path, folder: Path, *, fsync: bool = False, runs: int = 2) -> float:
    """Seconds for ``cp`` of ``source`` to a new file on the same disk (the last of ``runs``),
    optionally followed by an ``fsync`` of the copy, as the app does for a stored original."""
    seconds = 0.0
    for run in range(runs):
        target = folder / f"cp-{run}.bin"
        started = time.monotonic()
        subprocess.run(["cp", str(source), str(target)], check=True)  # noqa: S603, S607
        if fsync:  # the data of this one file, like the app's fsync of the stored original
            descriptor = os.open(target, os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        seconds = time.monotonic() - started
        target.unlink()
    return seconds


def sha256_rate(megabytes: int = 256) -> float:
    """MB/s of SHA-256 on this CPU: the app hashes every byte of an original."""
    block = os.urandom(MIB)
    digest = hashlib.sha256()
    started = time.perf_counter()
    for _ in range(megabytes):
        digest.update(block)
    return megabytes / (time.perf_counter() - started)


# --- the run ----------------------------------------------------------------------------------


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
