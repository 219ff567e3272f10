"""``bench.mixed``, the stack under test: a PostgreSQL database with a catalogue and buyers,
gunicorn with the project's ``gunicorn.conf.py`` (gthread), a real Celery worker on the
``celery`` and ``photos`` queues, and the Stripe emulator. Nothing here measures."""

from __future__ import annotations

import os
import random
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.payments_setup import _pg_admin, _pg_url, free_port  # noqa: E402
from bench.payments_stack import find_gunicorn, stack_env, wait_until_serving  # noqa: E402
from tests.fixtures.factories import TEST_PASSWORD  # noqa: E402

WORDS = (
    "harbour boat sea dawn dusk forest mountain river lake city street night market bread "
    "coffee portrait child elder dog cat bird flower field snow rain storm bridge tower train "
    "bicycle kitchen studio workshop hands tools farm harvest wine olive desert dune sky cloud"
).split()
QUEUE = "celery"


def create_database() -> tuple[str, str]:
    name = f"bench_mixed_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    return name, _pg_url(name)


def drop_database(name: str) -> None:
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_env(folder: Path, url: str, redis_url: str, stripe_base: str) -> dict[str, str]:
    """The payments bench's environment, with production's page cache and the app's own queues."""
    env = stack_env(folder, url, redis_url, QUEUE, stripe_base, None)
    del env["MARKETPLACE_FLASK_CELERY__task_default_queue"]
    env.update(
        {
            "MARKETPLACE_PAGE_CACHE": "redis",
            "MARKETPLACE_PAGE_CACHE_PREFIX": f"bench-mixed-{secrets.token_hex(4)}:",
            "MARKETPLACE_MEDIA_ROOT": str(folder / "media"),
            "MARKETPLACE_PHOTO_MIN_PIXELS": "1",
        }
    )
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run(  # noqa: S603 - this Python, fixed arguments
        [sys.executable, "-m", "flask", "--app", "marketplace", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


def seed(env: dict[str, str], assets: int, buyers: int) -> dict[str, Any]:
    """A member with ``assets`` published works, ``buyers`` buyers; their emails and titles."""
    from marketplace import create_app
    from marketplace.assets.models import Asset
    from marketplace.database import unit_of_work, utcnow
    from tests.fixtures.factories import Factory

    app = create_app(
        {
            "PROFILE": "test",
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"],
            "INSTANCE_PATH": env["MARKETPLACE_INSTANCE_PATH"],
            "STORAGE_LOCAL_ROOT": env["MARKETPLACE_MEDIA_ROOT"],
            "TASKS_INLINE": True,
            "MAIL_BACKEND": "console",
        }
    )
    rng = random.Random(18)
    with app.app_context():
        factory = Factory()
        member_email = "artist@bench-mixed.example"
        member = factory.member(member_email).member
        assert member is not None
        buyer_emails = [f"buyer{n:03d}@bench-mixed.example" for n in range(buyers)]
        for email in buyer_emails:
            factory.buyer(email)
        now = utcnow()
        rows = []
        for n in range(assets):
            words = rng.sample(WORDS, 4)
            rows.append(
                {
                    "member_id": member.id,
                    "kind": "photo",
                    "status": "published",
                    "title": f"{words[0].title()} and {words[1]} {n}",
                    "description": " ".join(rng.sample(WORDS, 8)),
                    "keywords": words,
                    "keywords_text": " ".join(words),
                    "original_key": f"originals/bench/{uuid.uuid4().hex}",
                    "original_mime": "image/jpeg",
                    "original_size_bytes": 1,
                    "original_sha256": uuid.uuid4().hex * 2,
                    "width": 6000,
                    "height": 4000,
                    "published_at": now,
                    "created_at": now,
                    "dominant_colours": [],
                    "suggested": {},
                }
            )
        # Straight into the table: through the ORM each work would queue its related-work task,
        # run inline here (about a second each). Asset pages then show the artist's newest work.
        with unit_of_work() as session:
            session.execute(sa.insert(Asset), rows)
            found = session.execute(
                sa.select(Asset.id, Asset.title).where(Asset.member_id == member.id)
            ).all()
        titles = {asset_id: title for asset_id, title in found}
    return {"member": member_email, "buyers": buyer_emails, "titles": titles}


def start_web(folder: Path, env: dict[str, str], processes: int, threads: int) -> Any:
    """gunicorn as the Procfile runs it: gunicorn.conf.py, gthread workers."""
    port = free_port()
    log = (folder / "gunicorn.log").open("ab")
    run_env = {
        **env,
        "PORT": str(port),
        "WEB_CONCURRENCY": str(processes),
        "WEB_THREADS": str(threads),
    }
    command = [find_gunicorn(), "--config", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    command += ["--access-logfile", "/dev/null", "marketplace:create_app()"]
    server = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        command, cwd=ROOT, env=run_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_until_serving(server, port)
    return server, port


def start_worker(
    folder: Path, env: dict[str, str], concurrency: int, nice: int
) -> subprocess.Popen[bytes]:
    """The Procfile's ``worker`` (queues celery and photos), at the given nice level."""
    log = (folder / "worker.log").open("ab")
    command = ["nice", "-n", str(nice)] if nice else []
    command += [sys.executable, "-m", "celery", "-A", "workers.celery_app", "worker"]
    command += ["--queues=celery,photos", f"--concurrency={concurrency}", "--loglevel=INFO"]
    command += ["--without-gossip", "--without-mingle", f"--hostname=bench-mixed-{os.getpid()}@%h"]
    worker = subprocess.Popen(  # noqa: S603 - this Python, fixed arguments
        command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 90
    log_path = folder / "worker.log"
    while b"ready." not in log_path.read_bytes():
        if worker.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the Celery worker did not start; see {log_path}")
        time.sleep(0.2)
    return worker


def processed_since(url: str, since: Any) -> tuple[int, int]:
    """Uploads whose processing finished since ``since``, and those still processing."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            done = connection.execute(
                sa.text("SELECT count(*) FROM assets WHERE processed_at >= :t"), {"t": since}
            ).scalar_one()
            waiting = connection.execute(
                sa.text("SELECT count(*) FROM assets WHERE status = 'processing'")
            ).scalar_one()
        return int(done), int(waiting)
    finally:
        engine.dispose()


def drop_queues(redis_url: str) -> None:
    """Tasks the stopped worker left (renders still queued): the bench's Redis database only."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.delete("celery", "photos", "video", "unacked", "unacked_index")
    finally:
        client.close()


__all__ = ["TEST_PASSWORD"]
