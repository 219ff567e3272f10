"""The whole suite as ``make pytest`` runs it: the fast tier beside the others, not after them.

The services, browser and hosts tiers spend much of their time waiting on servers, workers and
the browser: run alone on two cores they leave about half the CPU idle. So two pytest processes
run at once:

- the services, browser and hosts tiers, at normal priority, as before;
- the fast tier (SQLite, no shared servers), in two pytest-xdist workers at a lower priority
  (``nice``), so that it takes the CPU the other tiers leave and never slows their timed waits.

Each writes its own output to a file, printed when it ends; the run fails when either fails.
Each has a Redis database and a temporary folder of its own (under a new folder in the
system's temporary folder, which also keeps the two outputs). ``python -m tests.tiers``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOW_TIERS = "services or e2e or hosts"
FAST_TIER = f"not ({SLOW_TIERS})"
# The fast tier's own Redis database: its tests use none, but a fixture that pings one must
# never share the services tier's broker (its Celery worker would take the tasks).
FAST_TIER_REDIS = "redis://127.0.0.1:6379/9"


def _start(
    name: str, args: list[str], env: dict[str, str], log: Path, niceness: int = 0
) -> subprocess.Popen[bytes]:
    print(f"== {name}: pytest {' '.join(args)}", flush=True)
    with log.open("wb") as output:
        return subprocess.Popen(  # noqa: S603 - this Python's pytest, fixed arguments
            [sys.executable, "-m", "pytest", *args],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            # Before pytest starts: its xdist workers inherit the priority.
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,  # noqa: PLW1509
        )


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="coop-stock-tiers-"))
    started = time.monotonic()
    slow_log, fast_log = folder / "services-browser-hosts.log", folder / "fast.log"
    slow = _start(
        "services, browser and hosts tiers",
        ["-m", SLOW_TIERS, f"--basetemp={folder / 'tmp-slow'}"],
        dict(os.environ),
        slow_log,
    )
    fast = _start(
        "fast tier (two workers, lower priority)",
        ["-m", FAST_TIER, "-n", "2", f"--basetemp={folder / 'tmp-fast'}"],
        {**os.environ, "MARKETPLACE_TEST_REDIS": FAST_TIER_REDIS},
        fast_log,
        niceness=10,
    )
    running = {"services, browser and hosts tiers": (slow, slow_log), "fast tier": (fast, fast_log)}
    failed = []
    while running:
        for name, (process, log) in list(running.items()):
            if process.poll() is None:
                continue
            del running[name]
            minutes = (time.monotonic() - started) / 60
            print(f"\n== {name}: exit {process.returncode} after {minutes:.1f} min", flush=True)
            sys.stdout.write(log.read_text(errors="replace"))
            sys.stdout.flush()
            if process.returncode != 0:
                failed.append(name)
        time.sleep(1)
    print(f"\n== every tier in {(time.monotonic() - started) / 60:.1f} min", flush=True)
    if failed:
        print(f"== failed: {', '.join(failed)}", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
