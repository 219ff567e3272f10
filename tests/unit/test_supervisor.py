"""The demo's supervisor: a child that dies is started again after a back-off, with a log line;
the others carry on; stopping reaches every process group, the ``stop_last`` ones last."""

from __future__ import annotations

import io
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from marketplace.demo_runner import procfile_specs
from marketplace.supervisor import Backoff, ProcessSpec, Supervisor, describe_exit

SLEEPER = [sys.executable, "-c", "import time; print('up', flush=True); time.sleep(60)"]


def _wait_for(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    return state != "Z"


def test_backoff_doubles_up_to_its_longest_wait() -> None:
    backoff = Backoff(first=1, longest=30)
    assert [backoff.delay(n) for n in range(7)] == [1, 2, 4, 8, 16, 30, 30]


def test_exit_codes_name_their_signal() -> None:
    assert describe_exit(3) == "3"
    assert describe_exit(-9) == "-9 (SIGKILL)"


def test_a_dead_child_is_restarted_and_the_others_carry_on(tmp_path: Path) -> None:
    out = io.StringIO()
    specs = [ProcessSpec("worker", SLEEPER), ProcessSpec("web", SLEEPER)]
    supervisor = Supervisor(
        specs, env=dict(os.environ), cwd=str(tmp_path), out=out, backoff=Backoff(first=0.2)
    )
    try:
        supervisor.start()
        worker, web = supervisor.pid("worker"), supervisor.pid("web")
        assert worker
        assert web
        os.kill(worker, signal.SIGKILL)
        _wait_for(lambda: supervisor.check_once() or supervisor.restarts("worker") == 1)
        assert supervisor.pid("worker") not in (None, worker)
        assert supervisor.pid("web") == web, "the others are left alone"
        assert supervisor.restarts("web") == 0
        log = out.getvalue()
        assert "worker | worker exited with code -9 (SIGKILL); restarting in 0.2s" in log
        assert log.count("web    | started with pid") == 1
        assert "web    | up" in log, "the children's output is passed on, prefixed"
    finally:
        supervisor.stop_all()
    assert not _alive(web)
    assert supervisor.pid("web") is None


def test_repeated_deaths_wait_longer_each_time(tmp_path: Path) -> None:
    out = io.StringIO()
    crasher = ProcessSpec("worker", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = Supervisor(
        [crasher], env=dict(os.environ), cwd=str(tmp_path), out=out, backoff=Backoff(first=0.1)
    )
    try:
        supervisor.start()
        _wait_for(lambda: supervisor.check_once() or supervisor.restarts("worker") >= 2)
    finally:
        supervisor.stop_all()
    log = out.getvalue()
    assert "worker exited with code 3; restarting in 0.1s" in log
    assert "worker exited with code 3; restarting in 0.2s" in log


def test_stop_reaches_grandchildren_and_stops_the_last_ones_last(tmp_path: Path) -> None:
    marker = tmp_path / "order"
    # A shell whose own child (the grandchild) would outlive a plain kill of the shell.
    shell = f"sleep 60 & echo $! > {tmp_path}/grandchild; wait"
    parent = ProcessSpec("web", ["/bin/sh", "-c", shell])
    record = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        f"    open({str(marker)!r}, 'a').write(sys.argv[1] + '\\n'); sys.exit(0)\n"
        "signal.signal(signal.SIGTERM, stop)\n"
        "time.sleep(60)\n"
    )
    redis = ProcessSpec("redis", [sys.executable, "-c", record, "redis"], stop_last=True)
    worker = ProcessSpec("worker", [sys.executable, "-c", record, "worker"])
    out = io.StringIO()
    supervisor = Supervisor(
        [redis, worker, parent], env=dict(os.environ), cwd=str(tmp_path), out=out
    )
    supervisor.start()
    _wait_for(lambda: (tmp_path / "grandchild").exists() and (tmp_path / "grandchild").read_text())
    grandchild = int((tmp_path / "grandchild").read_text())
    time.sleep(0.3)  # the Python children install their SIGTERM handler
    supervisor.stop_all()
    assert not _alive(grandchild)
    assert marker.read_text().split() == ["worker", "redis"]
    assert "redis  | stopping redis" in out.getvalue()


def test_procfile_lines_become_shell_commands(tmp_path: Path) -> None:
    procfile = tmp_path / "Procfile"
    procfile.write_text("# a comment\n\nweb: run --port ${PORT:-5000}\nbeat: celery beat\n")
    specs = procfile_specs(procfile)
    assert [(s.name, list(s.argv)) for s in specs] == [
        ("web", ["/bin/sh", "-c", "exec run --port ${PORT:-5000}"]),
        ("beat", ["/bin/sh", "-c", "exec celery beat"]),
    ]


@pytest.mark.parametrize("name", ["web", "worker", "video", "beat", "stripe"])
def test_the_demo_procfile_keeps_its_processes(name: str) -> None:
    root = Path(__file__).resolve().parents[2]
    assert name in [spec.name for spec in procfile_specs(root / "Procfile.dev")]
