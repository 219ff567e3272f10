"""Runs the demo's processes from ``Procfile.dev`` with honcho (``make demo``).

Honcho kills a process that has not stopped 5 seconds after being asked to. The Celery worker
on the demo's filesystem queue polls, and needs a little longer to finish its warm shutdown, so
this gives every process 20 seconds to stop cleanly on Ctrl-C.
"""

from __future__ import annotations

import sys

from honcho import manager
from honcho.command import main as honcho_main

GRACEFUL_STOP_SECONDS = 20


def main() -> int:
    manager.KILL_WAIT = GRACEFUL_STOP_SECONDS
    try:
        honcho_main(["start", "--procfile", "Procfile.dev", *sys.argv[1:]])
    except SystemExit as stop:
        # Ctrl-C is how a person ends the demo: a clean stop, not a failure.
        return 0 if stop.code in (None, 0, 130, -2) else int(stop.code or 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
