"""What ``bench.payments`` adds to its Celery workers (``celery worker -I bench.payments_tasks``).

* ``bench.noop``: the floor. It does nothing but count itself (one Redis ``INCR`` of the key
  it is given), so that the benchmark knows when the last one is done.
* With ``BENCH_PROFILE_DIR`` set, each pool process profiles the CPU time of the tasks it runs
  (all but the no-op) with cProfile, and writes ``worker-<pid>.prof`` there when it exits
  (``bench.payments --profile``).

The workers' app is ``workers.celery_app``: the no-op task runs as every task does, inside a
Flask app context, on the same broker, queue and settings as ``payments.process_event``.
"""

from __future__ import annotations

import cProfile
import os
import time
from pathlib import Path
from typing import Any

import redis
from celery import shared_task
from celery.signals import task_postrun, task_prerun, worker_process_shutdown

_client: redis.Redis | None = None


def _redis() -> redis.Redis:
    global _client
    if _client is None:
        _client = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _client


@shared_task(name="bench.noop")
def noop(counter_key: str) -> None:
    _redis().incr(counter_key)


# --- profiling, with BENCH_PROFILE_DIR ------------------------------------------------------

_PROFILE_DIR = os.environ.get("BENCH_PROFILE_DIR")
_profiler: cProfile.Profile | None = None


if _PROFILE_DIR:

    @task_prerun.connect
    def _start_profiling(sender: Any = None, **_: Any) -> None:
        global _profiler
        if getattr(sender, "name", None) == noop.name:
            return  # the floor is not what we profile
        if _profiler is None:
            # CPU time, not wall time: the workers are CPU-bound, and waits would hide it.
            _profiler = cProfile.Profile(time.process_time)
        _profiler.enable()

    @task_postrun.connect
    def _pause_profiling(**_: Any) -> None:
        if _profiler is not None:
            _profiler.disable()

    @worker_process_shutdown.connect
    def _write_profile(**_: Any) -> None:
        if _profiler is not None and _PROFILE_DIR:
            _profiler.dump_stats(str(Path(_PROFILE_DIR) / f"worker-{os.getpid()}.prof"))
