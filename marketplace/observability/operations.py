"""What the Operations page shows and does: queues, failed tasks, scheduled runs, webhook lag.

Failed tasks and the last run of each scheduled task are kept in the broker's Redis (a list
bounded at :data:`FAILED_KEEP` entries and a hash), not in the database: they are about this
installation's machinery, they must be written from a worker whose transaction just failed,
and losing them with Redis loses nothing of the co-op's.
"""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import redis
import sqlalchemy as sa
from flask_babel import gettext

from marketplace.accounts.models import User
from marketplace.audit import services as audit
from marketplace.background import enqueue
from marketplace.database import unit_of_work, utcnow
from marketplace.errors import AppError
from marketplace.extensions import db
from marketplace.observability.logs import redact
from marketplace.observability.money_events import webhook_lag_seconds
from marketplace.payments.models import StripeEvent

FAILED_KEY = "coopstock:ops:failed_tasks"
BEAT_KEY = "coopstock:ops:beat_runs"
SCHEDULE_KEY = "coopstock:ops:beat_schedule"
FAILED_KEEP = 200
LAG_SAMPLE = 100
# kombu's Redis transport keeps each queue as a list of this name.
QUEUES = ("celery", "photos", "video")


@lru_cache(maxsize=8)
def ops_redis(broker_url: str) -> redis.Redis | None:
    """A client of the broker's Redis, or None when the broker is not Redis (inline tests)."""
    if not broker_url.startswith(("redis://", "rediss://", "unix://")):
        return None
    return redis.Redis.from_url(broker_url, socket_timeout=3, socket_connect_timeout=3)


@dataclass(frozen=True)
class FailedTask:
    id: str
    task: str
    args: list[Any]
    error: str
    failed_at: datetime
    request_id: str | None

    @property
    def args_shown(self) -> str:
        """The arguments as an admin may see them: short, with no personal data."""
        shown = redact(json.dumps(self.args, default=str))
        return shown if len(shown) <= 120 else shown[:117] + "..."


def record_failure(
    client: redis.Redis | None,
    *,
    task_id: str,
    task: str,
    args: list[Any],
    error: str,
    request_id: str | None,
) -> None:
    """Keep a failed run (newest first, at most FAILED_KEEP); never raises into the worker."""
    if client is None:
        return
    entry = {
        "id": task_id,
        "task": task,
        "args": args,
        "error": redact(error)[:1000],
        "failed_at": time.time(),
        "request_id": request_id,
    }
    try:
        pipe = client.pipeline()
        pipe.lpush(FAILED_KEY, json.dumps(entry, default=str))
        pipe.ltrim(FAILED_KEY, 0, FAILED_KEEP - 1)
        pipe.execute()
    except redis.RedisError:
        return


def _parse_failed(raw: bytes | str) -> FailedTask:
    entry = json.loads(raw)
    return FailedTask(
        id=str(entry["id"]),
        task=str(entry["task"]),
        args=list(entry.get("args") or []),
        error=str(entry.get("error") or ""),
        failed_at=datetime.fromtimestamp(float(entry["failed_at"]), UTC),
        request_id=entry.get("request_id"),
    )


def failed_tasks(client: redis.Redis | None, limit: int = 50) -> list[FailedTask]:
    """The newest failed runs first."""
    if client is None:
        return []
    return [_parse_failed(raw) for raw in client.lrange(FAILED_KEY, 0, limit - 1)]


def failed_count(client: redis.Redis | None) -> int:
    return int(client.llen(FAILED_KEY)) if client is not None else 0


def retry_failed_task(client: redis.Redis | None, actor: User, task_id: str) -> FailedTask:
    """Send a failed run's task again with the same arguments, once, and say so in the audit log.

    The entry leaves the list first (LREM of its exact text), so two admins pressing Retry at
    once send it once: the second finds nothing to take.
    """
    if client is None:
        raise AppError(
            gettext("The task queue is not on Redis here: there are no failed tasks to retry.")
        )
    for raw in client.lrange(FAILED_KEY, 0, FAILED_KEEP - 1):
        failed = _parse_failed(raw)
        if failed.id == task_id and client.lrem(FAILED_KEY, 1, raw):  # type: ignore[arg-type]
            break
    else:
        raise AppError(
            gettext("That failed task is no longer in the list: it was retried already.")
        )
    try:
        with unit_of_work() as session:
            audit.record(
                session,
                actor,
                "task.retried",
                "task",
                failed.id,
                f"Retried {failed.task} (failed {failed.failed_at:%Y-%m-%d %H:%M} UTC)",
            )
            enqueue(session, failed.task, *failed.args)
    except Exception:
        client.lpush(FAILED_KEY, raw)
        raise
    return failed


def record_beat_run(
    client: redis.Redis | None, entries: list[str], state: str, seconds: float
) -> None:
    if client is None:
        return
    run = json.dumps({"at": time.time(), "state": state, "seconds": round(seconds, 3)})
    try:
        client.hset(BEAT_KEY, mapping=dict.fromkeys(entries, run))
    except redis.RedisError:
        return


@dataclass(frozen=True)
class ScheduledRun:
    entry: str
    task: str
    schedule: str
    last_at: datetime | None
    state: str
    seconds: float | None


def record_schedule(client: redis.Redis | None, schedule: dict[str, Any]) -> None:
    """Publish the worker's beat schedule (entry: task and timing) for the web's page to read.

    The schedule lives with the worker (workers/celery_app.py), which the web never imports.
    """
    if client is None or not schedule:
        return
    described: dict[Any, Any] = {
        name: json.dumps(
            {"task": str(entry.get("task", "")), "schedule": _describe(entry.get("schedule"))}
        )
        for name, entry in schedule.items()
    }
    try:
        pipe = client.pipeline()
        pipe.delete(SCHEDULE_KEY)
        pipe.hset(SCHEDULE_KEY, mapping=described)
        pipe.execute()
    except redis.RedisError:
        return


def beat_runs(client: redis.Redis | None) -> list[ScheduledRun]:
    """Each schedule entry with its last run as a worker saw it (none yet: last_at is None)."""
    if client is None:
        return []
    schedule: dict[bytes, bytes] = client.hgetall(SCHEDULE_KEY)  # type: ignore[assignment]
    stored: dict[bytes, bytes] = client.hgetall(BEAT_KEY)  # type: ignore[assignment]
    runs = []
    for name, raw_entry in sorted(schedule.items()):
        entry = json.loads(raw_entry)
        raw = stored.get(name)
        last = json.loads(raw) if raw else {}
        runs.append(
            ScheduledRun(
                entry=name.decode(),
                task=str(entry.get("task", "")),
                schedule=str(entry.get("schedule", "")),
                last_at=datetime.fromtimestamp(float(last["at"]), UTC) if last else None,
                state=str(last.get("state", "")),
                seconds=last.get("seconds"),
            )
        )
    return runs


def _describe(schedule: Any) -> str:
    text = str(schedule)
    # crontab's str is "<crontab: m h dom moy dow (m/h/dom/moy/dow)>": keep the five fields.
    if text.startswith("<crontab: "):
        return text.removeprefix("<crontab: ").split(" (")[0]
    return text


def queue_depths(client: redis.Redis | None) -> list[tuple[str, int | None]]:
    """Messages waiting per queue; None for each when Redis does not answer."""
    if client is None:
        return [(queue, None) for queue in QUEUES]
    try:
        pipe = client.pipeline()
        for queue in QUEUES:
            pipe.llen(queue)
        return list(zip(QUEUES, [int(n) for n in pipe.execute()], strict=True))
    except redis.RedisError:
        return [(queue, None) for queue in QUEUES]


@dataclass(frozen=True)
class WebhookLag:
    sampled: int
    median_seconds: float | None
    worst_seconds: float | None
    waiting: int
    oldest_waiting_seconds: float | None


def webhook_lag() -> WebhookLag:
    """Lag of the last LAG_SAMPLE settled Stripe events, and the events still waiting."""
    settled = db.session.execute(
        sa.select(StripeEvent.payload, StripeEvent.processed_at)
        .where(StripeEvent.status == "processed", StripeEvent.processed_at.is_not(None))
        .order_by(StripeEvent.processed_at.desc())
        .limit(LAG_SAMPLE)
    ).all()
    lags = [
        lag
        for payload, processed_at in settled
        if (lag := webhook_lag_seconds(payload, processed_at.timestamp())) is not None
    ]
    waiting = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(StripeEvent.received_at)).where(
            StripeEvent.status.in_(("pending", "failed"))
        )
    ).one()
    oldest = (utcnow() - waiting[1]).total_seconds() if waiting[1] is not None else None
    return WebhookLag(
        sampled=len(lags),
        median_seconds=statistics.median(lags) if lags else None,
        worst_seconds=max(lags) if lags else None,
        waiting=int(waiting[0]),
        oldest_waiting_seconds=oldest,
    )
