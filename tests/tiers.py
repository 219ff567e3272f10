"""The whole suite as ``make pytest`` runs it: the fast tier beside the others, not after them.

The services, browser and hosts tiers spend much of their time waiting on servers, workers and
the browser: run alone on two cores they leave about half the CPU idle. So two pytest processes
run at once:

- the services, browser and hosts tiers, at normal priority, as before;
- the fast tier (SQLite, no shared servers), in two pytest-xdist workers at a lower priority
  (``nice``), so that it takes the CPU the other tiers leave and never slows their timed waits.

The slow tiers' output is shown as it comes; the fast tier's, written to a file, is printed
once both have ended. The run fails when either fails; stopped (SIGTERM, Ctrl-C), it stops both.
Arguments are passed to both (``python -m tests.tiers tests/unit`` runs what each tier has
there). Each has a Redis database and a temporary folder of its own (under a new folder in the
system's temporary folder, which also keeps the two outputs). ``python -m tests.tiers``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType

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
            start_new_session=True,  # stopped as a group, xdist workers and servers included
            # Before pytest starts: its xdist workers inherit the priority.
            preexec_fn=(lambda: os.nice(niceness)) if niceness else None,  # noqa: PLW1509
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM a tier's process group (pytest, its workers and the servers it started), then
    SIGKILL what is left after 20 s."""
    if process.poll() is not None:
        return
    for sent in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sent)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
            return
        except subprocess.TimeoutExpired:
            continue


def _stopped(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _show_new(log: Path, shown: int) -> int:
    """Write what ``log`` gained since ``shown`` bytes; the bytes shown now."""
    with log.open("rb") as source:
        source.seek(shown)
        new = source.read()
    sys.stdout.buffer.write(new)
    sys.stdout.flush()
    return shown + len(new)


def main(extra: list[str]) -> int:
    signal.signal(signal.SIGTERM, _stopped)
    folder = Path(tempfile.mkdtemp(prefix="coop-stock-tiers-"))
    started = time.monotonic()
    slow_log, fast_log = folder / "services-browser-hosts.log", folder / "fast.log"
    print(f"== outputs in {folder}", flush=True)
    slow = _start(
        "services, browser and hosts tiers",
        ["-m", SLOW_TIERS, f"--basetemp={folder / 'tmp-slow'}", *extra],
        dict(os.environ),
        slow_log,
    )
    fast = _start(
        "fast tier (two workers, lower priority; its output follows at the end)",
        ["-m", FAST_TIER, "-n", "2", f"--basetemp={folder / 'tmp-fast'}", *extra],
        {**os.environ, "MARKETPLACE_TEST_REDIS": FAST_TIER_REDIS},
        fast_log,
        niceness=10,
    )
    fast_ended = False
    shown = 0
    try:
        while slow.poll() is None or fast.poll() is None:
            shown = _show_new(slow_log, shown)
            if not fast_ended and fast.poll() is not None:
                fast_ended = True
                minutes = (time.monotonic() - started) / 60
                print(f"\n== fast tier: exit {fast.returncode} after {minutes:.1f} min", flush=True)
            time.sleep(1)
        _show_new(slow_log, shown)
        minutes = (time.monotonic() - started) / 60
        print(
            f"\n== services, browser and hosts tiers: exit {slow.returncode} after "
            f"{minutes:.1f} min",
            flush=True,
        )
        print(f"\n== fast tier's output (exit {fast.returncode}):", flush=True)
        _show_new(fast_log, 0)
    finally:
        _stop(slow)
        _stop(fast)
    print(f"\n== every tier in {minutes:.1f} min", flush=True)
    codes = {"services, browser and hosts": slow.returncode, "fast": fast.returncode}
    # Arguments may leave a tier nothing to run: pytest's 5, "no tests collected", is no failure.
    fine = {0, 5} if extra else {0}
    failed = [name for name, code in codes.items() if code not in fine]
    if failed:
        print(f"== failed: {', '.join(failed)} tier(s)", flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
