"""``bench.demo_broker``'s Celery app: one no-op task on the broker named by the environment.

``BENCH_BROKER`` is ``redis`` (``BENCH_REDIS_URL``) or ``filesystem`` (kombu's, configured as the
demo had it until issue 13: a tenth of a second between polls); ``BENCH_DIR`` holds the
filesystem queue and ``done.log``, where the task writes when it was sent and when it ran.
The worker settings are the demo's: solo pool, one task prefetched, acknowledged late.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from celery import Celery

BROKER = os.environ.get("BENCH_BROKER", "redis")
FOLDER = Path(os.environ.get("BENCH_DIR", "."))
QUEUE = "bench"


def _config() -> dict[str, object]:
    common: dict[str, object] = {
        "task_ignore_result": True,
        "task_acks_late": True,
        "worker_prefetch_multiplier": 1,
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        "worker_hijack_root_logger": False,
    }
    if BROKER == "redis":
        return {**common, "broker_url": os.environ["BENCH_REDIS_URL"]}
    queue = FOLDER / "queue"
    queue.mkdir(parents=True, exist_ok=True)
    (FOLDER / "processed").mkdir(exist_ok=True)
    return {
        **common,
        "broker_url": "filesystem://localhost/",
        "broker_transport_options": {
            "data_folder_in": str(queue),
            "data_folder_out": str(queue),
            "processed_folder": str(FOLDER / "processed"),
            "control_folder": str(FOLDER / "control"),
            "store_processed": False,
            "polling_interval": 0.1,
        },
    }


app = Celery("bench_demo_broker")
app.config_from_object(_config())


@app.task(name="bench.noop")
def noop(sent_at: float) -> None:
    with (FOLDER / "done.log").open("a") as done:
        done.write(f"{sent_at!r} {time.time()!r}\n")
