"""A process's memory as Linux reports it: ``VmRSS`` sampled in a thread, ``VmHWM`` reset and read.

``bench/upload.py`` watches the gunicorn worker with these while it receives the upload.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024
SAMPLE_EVERY_S = 0.02


@dataclass
class RssSampler:
    """Samples one process's VmRSS in a background thread."""

    pid: int
    samples: list[tuple[float, int]] = field(default_factory=list)  # (monotonic s, bytes)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.samples.append((time.monotonic(), proc_status_bytes(self.pid, "VmRSS")))
            except (OSError, KeyError):
                return  # the process is gone
            self._stop.wait(SAMPLE_EVERY_S)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def peak(self) -> tuple[float, int]:
        return max(self.samples, key=lambda sample: sample[1])


def proc_status_bytes(pid: int | str, key: str) -> int:
    """A ``kB`` line of /proc/PID/status (VmRSS, VmHWM…), in bytes."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) * 1024
    raise KeyError(key)


def reset_peak_rss(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0); False if the kernel refused."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def mb(n_bytes: float) -> float:
    return n_bytes / MIB
