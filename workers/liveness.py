"""Worker liveness without ``celery inspect ping``: a heartbeat file and a command that reads it.

A running worker touches ``MARKETPLACE_WORKER_HEARTBEAT_FILE`` every few seconds from its
consumer's event loop (the ``Heartbeat`` bootstep, added in ``workers/celery_app.py``). The step
starts once the worker is connected to the broker, and the timer only runs while that loop turns,
so a worker that lost its broker for good, or whose loop is stuck, stops touching the file.

A container healthcheck (or systemd, or a cron job) runs::

    python -m workers.liveness            # exit 0: touched within 60 s; exit 1: stale or missing
    python -m workers.liveness --max-age 30 --file /run/coop-stock/worker.heartbeat

``celery inspect ping`` needs the broker and a reply from every worker; it wakes them all and
times out when one is merely busy. Reading a file costs nothing and asks one worker only: its own.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from celery import bootsteps

HEARTBEAT_ENV = "MARKETPLACE_WORKER_HEARTBEAT_FILE"
# Seconds between two touches; the command's default --max-age allows several missed in a row.
INTERVAL_S = 10.0
DEFAULT_MAX_AGE_S = 60.0


def heartbeat_file() -> Path:
    """Where this machine's worker keeps its heartbeat (one worker per container or host)."""
    configured = os.environ.get("MARKETPLACE_WORKER_HEARTBEAT_FILE")
    return Path(configured or Path(tempfile.gettempdir()) / "coop-stock-worker.heartbeat")


def touch(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch()
    os.utime(path)


def age_s(path: Path, now: float | None = None) -> float | None:
    """Seconds since the heartbeat was touched, or None when there is none."""
    try:
        touched = path.stat().st_mtime
    except FileNotFoundError:
        return None
    return (time.time() if now is None else now) - touched


class Heartbeat(bootsteps.StartStopStep):
    """A consumer step: touch the heartbeat file now and every INTERVAL_S from the event loop."""

    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.path = heartbeat_file()
        self.timer_entry: Any = None

    def start(self, parent: Any) -> None:
        touch(self.path)
        self.timer_entry = parent.timer.call_repeatedly(INTERVAL_S, touch, (self.path,))

    def stop(self, parent: Any) -> None:
        if self.timer_entry is not None:
            self.timer_entry.cancel()
            self.timer_entry = None

    def shutdown(self, parent: Any) -> None:
        self.stop(parent)
        # A worker that stopped on purpose is not alive either; the next one writes a new file.
        self.path.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m workers.liveness",
        description="Exit 0 when this machine's Celery worker touched its heartbeat file lately.",
    )
    parser.add_argument("--file", type=Path, default=None, help=f"default: ${HEARTBEAT_ENV}")
    parser.add_argument(
        "--max-age",
        type=float,
        default=DEFAULT_MAX_AGE_S,
        help="seconds since the last touch still counted alive (default: %(default)s)",
    )
    options = parser.parse_args(argv)
    path: Path = options.file or heartbeat_file()
    age = age_s(path)
    if age is None:
        print(f"dead: no heartbeat file at {path}", file=sys.stderr)
        return 1
    if age > options.max_age:
        print(f"dead: {path} last touched {age:.0f} s ago (> {options.max_age:.0f} s)")
        return 1
    print(f"alive: {path} touched {age:.1f} s ago")
    return 0


if __name__ == "__main__":
    sys.exit(main())
