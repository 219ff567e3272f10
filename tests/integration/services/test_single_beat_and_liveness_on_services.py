"""Two beats started by mistake send the schedule once; a worker's heartbeat says it is alive.

The beats are real ``celery beat`` processes on the test's Redis, with ``workers.beat_lock``'s
scheduler and an entry due every second (``tests/hosts/beat_app.py``): the sent tasks are
counted in their queue. The worker is the real ``workers.celery_app`` on PostgreSQL and Redis,
listening on a queue of its own so it takes no other test's tasks.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis

from tests.fixtures.services import ROOT, ServicesEnv
from workers.beat_lock import LAST_RUN_KEY, LOCK_KEY

pytestmark = [pytest.mark.services, pytest.mark.timeout(180)]

QUEUE = "beat-test"


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - our own command line
            command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.kill()
        process.wait(10)


@pytest.fixture
def broker(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    client.delete(QUEUE, LOCK_KEY, LAST_RUN_KEY)
    yield client
    client.delete(QUEUE, LOCK_KEY, LAST_RUN_KEY)
    client.close()


def test_two_beats_send_each_scheduled_run_once_and_a_standby_takes_over(
    broker: redis.Redis, redis_url: str, tmp_path: Path
) -> None:
    env = {**os.environ, "BEAT_TEST_BROKER": redis_url}
    beats = {
        name: _start(
            [
                sys.executable, "-m", "celery", "-A", "tests.hosts.beat_app", "beat",
                "--loglevel=INFO", f"--schedule={tmp_path / name}.schedule",
            ],
            env,
            tmp_path / f"{name}.log",
        )
        for name in ("first", "second")
    }  # fmt: skip
    try:
        _wait(lambda: broker.llen(QUEUE) >= 1, 60, "the first scheduled run")
        started, counted = time.monotonic(), broker.llen(QUEUE)
        time.sleep(6)
        sent = broker.llen(QUEUE) - counted
        elapsed = time.monotonic() - started
        # One entry due every second: one beat sends about `elapsed` of them, two would send twice.
        assert elapsed - 2 <= sent <= elapsed + 1, f"{sent} runs sent in {elapsed:.1f} s"
        logs = {name: (tmp_path / f"{name}.log").read_text() for name in beats}
        holders = [name for name, text in logs.items() if "took the lock" in text]
        assert len(holders) == 1, logs
        [holder] = holders
        [standby] = [name for name in beats if name != holder]

        beats[holder].send_signal(signal.SIGKILL)
        beats[holder].wait(10)
        killed_at, before = time.monotonic(), broker.llen(QUEUE)
        _wait(
            lambda: "took the lock" in (tmp_path / f"{standby}.log").read_text(),
            30,
            "the standby beat to take the lock",
        )
        took_over_s = time.monotonic() - killed_at
        _wait(lambda: broker.llen(QUEUE) >= before + 3, 15, "the standby's runs")
        # The lock lives 3 s in this test: the standby waited for it, no longer than that and
        # its own 0.5 s pause (and a slow machine's second).
        assert took_over_s <= 3 + 0.5 + 2, f"took over after {took_over_s:.1f} s"
        assert broker.hexists(LAST_RUN_KEY, "every-second")
    finally:
        for process in beats.values():
            _stop(process)


def test_a_running_worker_keeps_its_heartbeat_and_the_command_says_so(
    services_env: ServicesEnv, tmp_path: Path
) -> None:
    heartbeat = tmp_path / "worker.heartbeat"
    env = {**services_env.environ(), "MARKETPLACE_WORKER_HEARTBEAT_FILE": str(heartbeat)}
    liveness = [sys.executable, "-m", "workers.liveness"]

    def alive() -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603 - our own command line
            liveness, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60
        )

    before = alive()
    assert before.returncode == 1
    assert "no heartbeat file" in before.stderr
    worker = _start(
        [
            sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker",
            "--pool=solo", "--loglevel=INFO", "--without-gossip", "--without-mingle",
            f"--queues=liveness-{tmp_path.name}", f"--hostname=liveness-{tmp_path.name}@%h",
        ],
        env,
        tmp_path / "worker.log",
    )  # fmt: skip
    try:
        _wait(heartbeat.exists, 90, "the worker's first heartbeat")
        answer = alive()
        assert answer.returncode == 0, answer.stdout + answer.stderr
        assert answer.stdout.startswith("alive: ")
        first = heartbeat.stat().st_mtime
        # The step touches it again every 10 s from the worker's event loop.
        _wait(lambda: heartbeat.stat().st_mtime > first, 25, "a second heartbeat")
        # A worker stopped on purpose takes its heartbeat with it.
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        assert not heartbeat.exists()
        after = alive()
        assert after.returncode == 1
    finally:
        _stop(worker)
