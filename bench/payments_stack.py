"""``bench.payments``, the stack under test: gunicorn and the Celery worker as processes of
their own, and the CPU time each part of the stack uses (see ``bench/payments.py``)."""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.payments_setup import BOOT_TIMEOUT_S  # noqa: E402
from tests.fixtures.payments import (  # noqa: E402
    PUBLISHABLE_KEY,
    WEBHOOK_SECRET,
)
from tests.fixtures.stripe_emulator import TEST_SECRET_KEY  # noqa: E402

# gunicorn's advice for sync workers: (2 x cores) + 1, so that one waiting on the database or
# the broker leaves the cores busy (5 on the project's 2-core machine).
WEB_WORKERS = 2 * (os.cpu_count() or 1) + 1
MONITOR = "bench-payments-monitor"  # application_name of this process's own connections


# --- the web app and the worker ---------------------------------------------------------------


def stack_env(
    folder: Path, url: str, redis_url: str, queue: str, stripe_base: str, profile_dir: Path | None
) -> dict[str, str]:
    """The environment of tests/fixtures/services.py, for gunicorn and Celery."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MARKETPLACE_", "STRIPE_", "BENCH_"))
        and key not in ("REDIS_URL", "CELERY_BROKER_URL", "DATABASE_URL")
    }
    env.update(
        {
            "MARKETPLACE_ENV": "test",
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "MARKETPLACE_FLASK_CELERY__task_default_queue": queue,
            "MARKETPLACE_FLASK_CELERY__worker_enable_remote_control": "false",
            "MARKETPLACE_MAIL_BACKEND": "console",
            "MARKETPLACE_BASE_URL": "http://localhost",
            "STRIPE_API_BASE": stripe_base,
            "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "PYTHONPATH": str(ROOT),
        }
    )
    if profile_dir is not None:
        env["BENCH_PROFILE_DIR"] = str(profile_dir)
    return env


def find_gunicorn() -> str:
    gunicorn = Path(sys.executable).parent / "gunicorn"
    found = str(gunicorn) if gunicorn.exists() else shutil.which("gunicorn")
    if found is None:
        raise SystemExit(
            "gunicorn is missing: make install (or pip install -c constraints.txt -e .)"
        )
    return found


def start_web(
    folder: Path, env: dict[str, str], port: int, workers: int = WEB_WORKERS
) -> subprocess.Popen[bytes]:
    log = (folder / "gunicorn.log").open("ab")
    command = [find_gunicorn(), "--workers", str(workers), "--worker-class", "sync"]
    # No control socket: gunicorn would otherwise put one in ~/.gunicorn, outside the folder.
    command += ["--bind", f"127.0.0.1:{port}", "--no-control-socket", "marketplace:create_app()"]
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_until_serving(server: subprocess.Popen[bytes], port: int) -> None:
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not answer in time")


def start_worker(
    folder: Path, env: dict[str, str], queue: str, workers: int
) -> subprocess.Popen[bytes]:
    log = (folder / "worker.log").open("ab")
    command = [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker"]
    command += ["--pool=prefork", f"--concurrency={workers}", "--loglevel=WARNING"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    command += [f"--queues={queue}", "--include=bench.payments_tasks"]
    command += [f"--hostname=bench-payments-{os.getpid()}@%h"]
    return subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )


def wait_until_consuming(worker: subprocess.Popen[bytes], redis_url: str, queue: str) -> None:
    """Until the worker has run a no-op task (at WARNING it logs nothing when it is ready)."""
    import redis

    client = redis.Redis.from_url(redis_url)
    key = f"{queue}:ready"
    try:
        sender = _sender(redis_url, queue)
        sender.send_task("bench.noop", args=[key])
        deadline = time.monotonic() + BOOT_TIMEOUT_S
        while not client.get(key):
            if worker.poll() is not None:
                raise RuntimeError(f"the Celery worker exited with code {worker.returncode}")
            if time.monotonic() > deadline:
                raise RuntimeError("the Celery worker did not start in time")
            time.sleep(0.1)
    finally:
        client.close()


def stop(process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM (gunicorn's and Celery's graceful stop), then its whole session killed."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only its own processes
        process.wait()


def _sender(redis_url: str, queue: str) -> Any:
    from celery import Celery

    app = Celery("bench-payments", broker=redis_url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
    )
    return app


def queue_length(redis_url: str, queue: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen(queue))
    finally:
        client.close()


def drop_redis_keys(redis_url: str, token: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"*{token}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


# --- CPU time, by process ---------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("web", "worker", "PostgreSQL", "emulator", "bench")


def _proc_table() -> dict[int, tuple[int, float]]:
    """Every process: pid -> (parent pid, CPU seconds used, user + system)."""
    table = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            text = Path(entry.path, "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = text[text.rindex(")") + 2 :].split()
        table[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return table


class CpuMeter:
    """CPU seconds used by each part of the stack: the web server and the worker (each with all
    its processes), this database's PostgreSQL backends, the emulator and this process."""

    def __init__(self, url: str, roots: dict[str, int]) -> None:
        import psycopg

        self.roots = roots
        self.connection = psycopg.connect(
            sa.engine.make_url(url).set(drivername="postgresql").render_as_string(False),
            autocommit=True,
        )

    def sample(self) -> dict[str, float]:
        backends = {
            int(pid)
            for (pid,) in self.connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND application_name <> %s",
                (MONITOR,),
            )
        }
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (parent, _cpu) in table.items():
            children.setdefault(parent, []).append(pid)

        def tree(root: int) -> float:
            total, stack = 0.0, [root]
            while stack:
                pid = stack.pop()
                total += table.get(pid, (0, 0.0))[1]
                stack += children.get(pid, [])
            return total

        used = {name: tree(pid) for name, pid in self.roots.items()}
        used["PostgreSQL"] = sum(table.get(pid, (0, 0.0))[1] for pid in backends)
        used["bench"] = table.get(os.getpid(), (0, 0.0))[1]
        return used

    def close(self) -> None:
        self.connection.close()


def settle(meter: CpuMeter, most_seconds: float = 60.0) -> None:
    """Until the stack is idle (web, worker and their database under 5 % of a CPU for half a
    second): gunicorn's workers finish booting after the first answers, and the last tasks
    of a run may still be running when the queue is empty."""
    deadline = time.monotonic() + most_seconds
    before = meter.sample()
    while time.monotonic() < deadline:
        time.sleep(0.5)
        after = meter.sample()
        busy = sum(after[k] - before[k] for k in ("web", "worker", "PostgreSQL"))
        if busy < 0.025:
            return
        before = after


def cpu_between(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: max(0.0, after.get(name, 0.0) - before.get(name, 0.0)) for name in GROUPS}
