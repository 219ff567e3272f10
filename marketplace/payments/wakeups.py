"""One queued task for many webhooks: the flag that says a settling task is on its way.

Every stored event must be settled by a task, but one task settles every pending event it
finds (``services.process_event`` drains them in batches). So a webhook queues a task only
when none is queued yet: it sets a flag in Redis (``SET NX``, with an expiry), and queues the
task when it set it; the task clears the flag as it starts, before it looks for pending
events. An event stored after that look is therefore covered either by the task its own
webhook queued, or by a task queued (flag set) and not started yet, which will see it.

If the flag's task is lost, the flag expires after ``FLAG_SECONDS`` and the beat task
``payments.retry_due_events`` finds every event left pending (``STUCK_EVENT_AFTER``). Without
Redis as the broker (the demo, the fast tests) there is no flag: every webhook queues its task.
"""

from __future__ import annotations

import hashlib
import logging
import os

import redis
from celery import Celery
from flask import current_app

log = logging.getLogger(__name__)

FLAG_SECONDS = 30
TASK = "payments.process_event"
CLIENT_KEY = "payments.wakeup_redis"


def _flag() -> tuple[redis.Redis, str] | None:
    """The Redis client and the flag's key for this app's task queue and database (worked
    out once per process: this runs on every webhook)."""
    cached = current_app.extensions.get(CLIENT_KEY)
    if cached is None or cached[0] != os.getpid():
        cached = (os.getpid(), _make_flag())
        current_app.extensions[CLIENT_KEY] = cached
    flag: tuple[redis.Redis, str] | None = cached[1]
    return flag


def _make_flag() -> tuple[redis.Redis, str] | None:
    config = current_app.config
    celery_app: Celery = current_app.extensions["celery"]
    broker = str(celery_app.conf.broker_url or "")
    if config["TASKS_INLINE"] or not broker.startswith(("redis://", "rediss://")):
        return None
    queue = celery_app.amqp.router.route({}, TASK, (), {})["queue"].name
    # Apps that share Redis (tests, staging) must not share a flag: a flag set for one would
    # hold back the other's task. The database and the queue name the deployment.
    scope = f"{config['SQLALCHEMY_DATABASE_URI']}|{queue}".encode()
    key = f"marketplace:payments:task-queued:{queue}:{hashlib.sha256(scope).hexdigest()[:16]}"
    return redis.Redis.from_url(broker, socket_timeout=1.0), key


def claim() -> bool:
    """Should this caller queue a settling task? True when none is queued (the flag is set
    now, for this caller's task), or when the flag cannot be read (queue one, to be safe)."""
    flag = _flag()
    if flag is None:
        return True
    client, key = flag
    try:
        return bool(client.set(key, "1", nx=True, ex=FLAG_SECONDS))
    except redis.RedisError:
        log.warning("Task flag unreadable; queueing a task anyway", exc_info=True)
        return True


def release() -> None:
    """Clear the flag: the task it announced starts now (or will never be sent)."""
    flag = _flag()
    if flag is None:
        return
    client, key = flag
    try:
        client.delete(key)
    except redis.RedisError:
        # It expires on its own; meanwhile webhooks rely on the task that is starting.
        log.warning("Task flag not cleared", exc_info=True)
