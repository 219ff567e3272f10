"""``python -m workers.liveness``: alive while the heartbeat is fresh; dead when stale or gone."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from workers import liveness


def test_a_fresh_heartbeat_is_alive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    heartbeat = tmp_path / "run" / "worker.heartbeat"
    liveness.touch(heartbeat)
    assert liveness.main(["--file", str(heartbeat)]) == 0
    assert capsys.readouterr().out.startswith(f"alive: {heartbeat} touched ")


def test_a_stale_heartbeat_is_dead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    heartbeat = tmp_path / "worker.heartbeat"
    liveness.touch(heartbeat)
    old = time.time() - 61
    os.utime(heartbeat, (old, old))
    assert liveness.main(["--file", str(heartbeat)]) == 1
    assert "last touched 61 s ago (> 60 s)" in capsys.readouterr().out
    assert liveness.main(["--file", str(heartbeat), "--max-age", "90"]) == 0


def test_no_heartbeat_is_dead(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert liveness.main(["--file", str(tmp_path / "none")]) == 1
    assert "no heartbeat file" in capsys.readouterr().err


def test_the_file_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARKETPLACE_WORKER_HEARTBEAT_FILE", str(tmp_path / "hb"))
    assert liveness.heartbeat_file() == tmp_path / "hb"
    monkeypatch.delenv("MARKETPLACE_WORKER_HEARTBEAT_FILE")
    assert liveness.heartbeat_file().name == "coop-stock-worker.heartbeat"


def test_the_worker_app_uses_the_heartbeat_and_the_locked_beat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker module builds its app at import: in the test profile, in a folder of its own.
    monkeypatch.setenv("MARKETPLACE_ENV", "test")
    monkeypatch.setenv("MARKETPLACE_INSTANCE_PATH", str(tmp_path / "instance"))
    from workers.celery_app import celery

    assert celery.conf.beat_scheduler == "workers.beat_lock:LockedScheduler"
    assert liveness.Heartbeat in celery.steps["consumer"]
