"""The server ``bench.pages`` measures: gunicorn serving ``bench.pages_app`` on a free port.

``find_tools`` checks for wrk and gunicorn (installing neither); ``server_env`` sets the
profile, database and page cache; ``start_server``, ``wait_until_serving`` and ``stop_server``
run gunicorn in a session of its own; ``check_pages`` makes sure each target answers before
anything is timed.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

from bench.pages_catalogue import Target

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 4
BOOT_TIMEOUT_S = 180.0  # a busy shared machine boots four workers slowly


def find_tools() -> str:
    """gunicorn's path; exits with what to install when wrk or gunicorn is missing."""
    missing = []
    if shutil.which("wrk") is None:
        missing.append("wrk: apt-get install -y wrk")
    gunicorn = Path(sys.executable).parent / "gunicorn"
    found = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn")
    if found is None:
        missing.append("gunicorn: make install (or pip install -c constraints.txt -e .)")
    if missing:
        raise SystemExit("Missing, and not installed by this benchmark:\n  " + "\n  ".join(missing))
    return found or ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def server_env(
    folder: Path, database_url: str, cache: str, redis_url: str, prefix: str
) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MARKETPLACE_") and key not in ("REDIS_URL", "CELERY_BROKER_URL")
    }
    env.update(
        {
            "MARKETPLACE_ENV": "demo",
            "MARKETPLACE_SECRET_KEY": uuid.uuid4().hex * 2,
            "DATABASE_URL": database_url,
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_PAGE_CACHE": cache,
            "MARKETPLACE_PAGE_CACHE_REDIS_URL": redis_url,
            "MARKETPLACE_PAGE_CACHE_PREFIX": prefix,
            # The demo's Redis is not running: each worker counts its own sign-ins.
            "MARKETPLACE_FLASK_RATELIMIT_STORAGE_URI": "memory://",
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def start_server(
    folder: Path, env: dict[str, str], port: int, gunicorn: str
) -> subprocess.Popen[bytes]:
    log = (folder / "gunicorn.log").open("ab")
    command = [gunicorn, "--workers", str(WORKERS), "--worker-class", "sync"]
    # No control socket: gunicorn would otherwise put one in ~/.gunicorn, outside the folder.
    command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "bench.pages_app:app"]
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def fetch(port: int, path: str, cookie: str = "") -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            if fetch(port, "/_bench/hello") == (200, b"hello"):
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the app did not answer within {BOOT_TIMEOUT_S:.0f} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # gunicorn's graceful stop: workers finish their request and exit
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: only the master and workers
        server.wait()


def check_pages(port: int, targets: list[Target]) -> None:
    """Each target's first address answers 200 (search finds something, a signed-in page is
    signed in) before timing."""
    for target in targets:
        status, body = fetch(port, target.paths[0], target.cookie)
        if status != 200:
            raise RuntimeError(f"{target.paths[0]} as {target.who} answered {status}")
        if target.name.startswith("search") and b'href="/assets/' not in body:
            raise RuntimeError(f"{target.paths[0]} found nothing")
        # The account menu is in the page, or (cached for every signed-in viewer) fetched by it.
        signed_in = b'action="/logout"' in body or b'data-personal="account_menu"' in body
        if target.cookie and not signed_in:
            raise RuntimeError(f"{target.paths[0]} is not signed in as {target.who}")
