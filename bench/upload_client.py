"""The client side of ``bench/upload.py``: the streamed upload, and the baselines beside it.

``upload`` posts the file as multipart/form-data with a precomputed ``Content-Length``, in
1 MiB chunks; ``time_cp`` and ``sha256_rate`` measure the copy and the hashing every upload
needs, on the same disk and CPU.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import secrets
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.upload_memory import MIB


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
