"""The app ``bench/upload.py`` uploads to: a migrated SQLite workspace and gunicorn serving it.

``make_workspace`` prepares the environment, the database, an approved member and their API
token; ``start_server``, ``wait_for_worker`` and ``stop_server`` run one sync gunicorn worker
on 127.0.0.1 in a session of its own and find the worker's pid for the memory measurements.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.upload_memory import MIB

ROOT = Path(__file__).resolve().parent.parent
BOOT_TIMEOUT_S = 60.0

# Runs inside the app (same environment as the server): an admin, an approved member, a token.
SEED = """
import sys
from marketplace import create_app
app = create_app()
with app.app_context():
    from marketplace.accounts.services import issue_api_token, sign_up
    from marketplace.admin.services import create_admin
    from marketplace.membership import services as membership
    password = sys.argv[1]
    admin, _ = create_admin("admin@bench.example.org", password, "Bench Admin")
    user = sign_up("member@bench.example.org", password, "Bench Member")
    application = membership.submit_application(
        user, "I film coastlines and want to sell through a co-op I own.", "https://example.org/b"
    )
    membership.decide_application(admin, application.id, "approve", "", "artists")
    _, raw = issue_api_token(user, "bench")
    print(raw)
"""


@dataclass
class Workspace:
    folder: Path
    env: dict[str, str]
    token: str = ""


def child_pids(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may hold spaces: fields follow the last ')'.
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent:
            children.append(int(entry.name))
    return children


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def make_workspace(folder: Path, size_bytes: int) -> Workspace:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("MARKETPLACE_") and key not in ("REDIS_URL", "CELERY_BROKER_URL")
    }
    limit = str(size_bytes + 64 * MIB)
    (folder / "tmp").mkdir()
    env.update(
        {
            "MARKETPLACE_ENV": "test",
            "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "MARKETPLACE_INSTANCE_PATH": str(folder / "instance"),
            "MARKETPLACE_MEDIA_ROOT": str(folder / "media"),
            "MARKETPLACE_MAX_UPLOAD_BYTES": limit,
            "MARKETPLACE_MAX_REQUEST_BYTES": limit,
            "MARKETPLACE_PHOTO_MIN_PIXELS": "1",
            "TMPDIR": str(folder / "tmp"),
            "PYTHONPATH": str(ROOT),
        }
    )
    workspace = Workspace(folder=folder, env=env)
    run_quietly([sys.executable, "-m", "flask", "--app", "marketplace", "db", "upgrade"], env)
    output = run_quietly([sys.executable, "-c", SEED, secrets.token_urlsafe(16)], env)
    workspace.token = output.strip().splitlines()[-1]
    return workspace


def run_quietly(command: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise RuntimeError(f"{command[:4]} failed with exit code {done.returncode}")
    return done.stdout


def start_server(workspace: Workspace, port: int) -> subprocess.Popen[bytes]:
    log = (workspace.folder / "gunicorn.log").open("wb")
    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    # No control socket: gunicorn would otherwise put one in ~/.gunicorn, outside the folder.
    command = [gunicorn, "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "900"]
    command.append("--no-control-socket")
    return subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        [*command, "marketplace:create_app()"],
        cwd=ROOT,
        env=workspace.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # we stop it ourselves, after the measurement
    )


def wait_for_worker(server: subprocess.Popen[bytes], port: int) -> int:
    """The worker's pid, once it answers ``GET /healthz``."""
    deadline = time.monotonic() + BOOT_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {server.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            connection.close()
            workers = child_pids(server.pid)
            if len(workers) == 1:
                return workers[0]
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the app did not answer within a minute")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    # SIGINT is gunicorn's quick shutdown: SIGTERM would let the worker finish its request.
    server.send_signal(signal.SIGINT)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)  # its own session: only the master and worker
        server.wait()
