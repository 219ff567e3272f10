"""A small process supervisor for the demo: one child per line, restarted when it dies.

Honcho (which ran the demo before) stops every process as soon as one of them exits, so one
crashed worker took the web app, beat and the emulator down with it. Here a child that exits is
started again after a back-off (1 s, doubling to 30 s, back to 1 s once it has run for a minute),
with one log line saying so; everything stops only when ``request_stop`` is called (the runner
calls it on Ctrl-C or SIGTERM).

Each child runs in a process group of its own, so stopping it reaches whatever it started, and
on Linux it is sent SIGTERM if the supervisor itself dies, so nothing outlives a killed runner.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO

POLL_SECONDS = 0.2
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before the n-th restart in a row (n from 0), and when a run counts as
    healthy enough to forget earlier failures."""

    first: float = 1.0
    longest: float = 30.0
    stable_after: float = 60.0

    def delay(self, failures_in_a_row: int) -> float:
        return float(min(self.longest, self.first * 2**failures_in_a_row))


@dataclass(frozen=True)
class ProcessSpec:
    """One supervised process. ``stop_last`` ones (the demo's Redis) are stopped after the
    others have finished, so that workers can still acknowledge their tasks while stopping."""

    name: str
    argv: Sequence[str]
    stop_last: bool = False


@dataclass
class _Child:
    spec: ProcessSpec
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    failures_in_a_row: int = 0
    restart_at: float | None = None
    restarts: int = 0
    readers: list[threading.Thread] = field(default_factory=list)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, between fork and exec
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def describe_exit(code: int) -> str:
    """``0``, ``1``, or ``-9 (SIGKILL)`` for a child ended by a signal."""
    if code < 0:
        try:
            return f"{code} ({signal.Signals(-code).name})"
        except ValueError:
            return str(code)
    return str(code)


class Supervisor:
    """Starts the given processes, restarts any that exits, stops them all on request."""

    def __init__(
        self,
        specs: Sequence[ProcessSpec],
        *,
        env: Mapping[str, str],
        cwd: str,
        out: IO[str] | None = None,
        backoff: Backoff | None = None,
        stop_timeout: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._children = [_Child(spec) for spec in specs]
        self._env = dict(env)
        self._cwd = cwd
        self._out = out or sys.stdout
        self._backoff = backoff or Backoff()
        self._stop_timeout = stop_timeout
        self._clock = clock
        self._stop = threading.Event()
        self._write_lock = threading.Lock()
        self._width = max((len(spec.name) for spec in specs), default=6)

    def log(self, name: str, line: str) -> None:
        """One line of output, prefixed with the time and the process's name, as honcho did."""
        stamp = time.strftime("%H:%M:%S")
        with self._write_lock:
            self._out.write(f"{stamp} {name:<{self._width}} | {line}\n")
            self._out.flush()

    def restarts(self, name: str) -> int:
        return sum(child.restarts for child in self._children if child.spec.name == name)

    def pid(self, name: str) -> int | None:
        for child in self._children:
            if child.spec.name == name and child.process is not None:
                return child.process.pid
        return None

    def start(self, name: str | None = None) -> None:
        """Start every process (or the one named) that is not running yet."""
        for child in self._children:
            if (name is None or child.spec.name == name) and child.process is None:
                self._spawn(child)

    def request_stop(self) -> None:
        """Ask ``run`` to return; safe from a signal handler."""
        self._stop.set()

    def run(self) -> None:
        """Watch the children until ``request_stop``, restarting those that exit, then stop all."""
        try:
            while not self._stop.wait(POLL_SECONDS):
                self.check_once()
        finally:
            self.stop_all()

    def check_once(self) -> None:
        """Notice children that exited, and start again those whose back-off is over."""
        now = self._clock()
        for child in self._children:
            if child.process is not None:
                code = child.process.poll()
                if code is None:
                    continue
                # Whatever it started goes too: the new one starts from a clean slate.
                self._signal(child, signal.SIGKILL)
                self._reap(child)
                ran_for = now - child.started_at
                if ran_for >= self._backoff.stable_after:
                    child.failures_in_a_row = 0
                delay = self._backoff.delay(child.failures_in_a_row)
                child.failures_in_a_row += 1
                child.restart_at = now + delay
                self.log(
                    child.spec.name,
                    f"{child.spec.name} exited with code {describe_exit(code)}; "
                    f"restarting in {delay:g}s",
                )
            elif child.restart_at is not None and now >= child.restart_at:
                child.restart_at = None
                child.restarts += 1
                self._spawn(child)

    def stop_all(self) -> None:
        """SIGTERM the processes (``stop_last`` ones after the rest), SIGKILL after the timeout."""
        self._stop.set()
        for last in (False, True):
            group = [c for c in self._children if c.spec.stop_last is last and c.process]
            for child in group:
                self.log(child.spec.name, f"stopping {child.spec.name}")
                self._signal(child, signal.SIGTERM)
            deadline = self._clock() + self._stop_timeout
            for child in group:
                if child.process is None:
                    continue
                try:
                    child.process.wait(max(0.0, deadline - self._clock()))
                except subprocess.TimeoutExpired:
                    self.log(child.spec.name, f"still running after {self._stop_timeout:g}s")
                    self._signal(child, signal.SIGKILL)
                    child.process.wait()
                # Whatever the process started in its group goes with it.
                self._signal(child, signal.SIGKILL)
                self._reap(child)

    def _spawn(self, child: _Child) -> None:
        process = subprocess.Popen(  # noqa: S603 - the demo's own Procfile lines and Redis
            list(child.spec.argv),
            cwd=self._cwd,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,  # noqa: PLW1509 - no threads touch the child's state
        )
        child.process = process
        child.started_at = self._clock()
        reader = threading.Thread(
            target=self._copy_output, args=(child.spec.name, process), daemon=True
        )
        reader.start()
        child.readers = [reader]
        self.log(child.spec.name, f"started with pid {process.pid}")

    def _copy_output(self, name: str, process: subprocess.Popen[bytes]) -> None:
        if process.stdout is None:
            return
        for raw in iter(process.stdout.readline, b""):
            self.log(name, raw.decode("utf-8", "replace").rstrip("\n"))
        process.stdout.close()

    def _signal(self, child: _Child, signum: int) -> None:
        if child.process is None:
            return
        try:
            os.killpg(child.process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def _reap(self, child: _Child) -> None:
        for reader in child.readers:
            reader.join(timeout=2)
        child.readers = []
        child.process = None
