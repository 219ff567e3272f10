"""One beat, however many are started: beat's scheduler runs the schedule only under a Redis lock.

Two ``celery beat`` processes (a second machine started by mistake, a container restarted while
the old one still drains) would each send every scheduled task: two monthly royalty runs queued,
two reconciliations. ``LockedScheduler`` (``beat_scheduler`` in ``workers/celery_app.py``) takes
a lock in the broker's Redis before each tick; the beat that does not hold it sends nothing and
asks again every few seconds. The holder renews the lock on every tick (at least every
``RENEW_EVERY_S``); if it dies, the lock expires after ``LOCK_TTL_S`` and a waiting beat takes
over. When it cannot reach Redis it lets the lock go rather than risk sending twice.

Each beat keeps its own schedule file, so a beat taking over would not know what the dead one
last sent: the holder writes each entry's last run into Redis as it sends it, and a beat that
acquires the lock starts from those times. An entry the dead beat already sent is not sent
again; one whose time came while nobody held the lock is sent once, at once.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import redis
from celery.beat import PersistentScheduler, ScheduleEntry
from celery.utils.log import get_logger

logger = get_logger(__name__)

LOCK_KEY = "coop-stock:beat:lock"
LAST_RUN_KEY = "coop-stock:beat:last-run"
LOCK_TTL_S = 30
RENEW_EVERY_S = 5.0
# A beat without the lock asks again this often: a dead holder is replaced within
# LOCK_TTL_S + WAIT_S.
WAIT_S = 5.0


class BeatLockError(RuntimeError):
    """The beat's lock needs a Redis broker."""


class LockedScheduler(PersistentScheduler):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.token = f"{uuid.uuid4().hex}"
        self.holding = False
        self._redis: redis.Redis | None = None
        super().__init__(*args, **kwargs)
        # Celery settings of this app's own (tests shorten them; production keeps the defaults).
        self.ttl_s = int(self.app.conf.get("coop_beat_lock_ttl_s", LOCK_TTL_S))
        self.wait_s = float(self.app.conf.get("coop_beat_lock_wait_s", WAIT_S))

    def _client(self) -> redis.Redis:
        if self._redis is None:
            url = str(self.app.conf.broker_url or "")
            if not url.startswith(("redis://", "rediss://", "unix://")):
                raise BeatLockError(
                    f"beat's single-instance lock needs a Redis broker, not {url.split(':')[0]!r}"
                )
            self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        return self._redis

    def _hold(self) -> bool:
        """Take or renew the lock; True while this beat holds it."""
        client = self._client()
        try:
            if self.holding:
                # Renew only our own lock: compare and extend in one step.
                renewed = client.eval(
                    "if redis.call('get', KEYS[1]) == ARGV[1] then "
                    "return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end",
                    1,
                    LOCK_KEY,
                    self.token,
                    self.ttl_s,
                )
                if not renewed:
                    logger.warning("beat: lost the lock to another beat; standing by")
                    self.holding = False
            elif client.set(LOCK_KEY, self.token, nx=True, ex=self.ttl_s):
                self.holding = True
                logger.info("beat: took the lock; this beat sends the schedule")
                self._adopt_last_runs(client)
        except redis.RedisError as error:
            if self.holding:
                logger.warning("beat: cannot reach Redis (%s); standing by", error)
            self.holding = False
        return self.holding

    def _adopt_last_runs(self, client: redis.Redis) -> None:
        stored: dict[bytes | str, bytes | str] = client.hgetall(LAST_RUN_KEY)
        for raw_name, raw_time in stored.items():
            name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
            entry = self.schedule.get(name)
            if entry is not None:
                when = raw_time.decode() if isinstance(raw_time, bytes) else raw_time
                last = datetime.datetime.fromisoformat(when)
                if entry.last_run_at is None or last > entry.last_run_at:
                    entry.last_run_at = last
        self._heap = None  # rebuilt from the adopted times at this tick

    def reserve(self, entry: ScheduleEntry) -> ScheduleEntry:
        next_entry: ScheduleEntry = super().reserve(entry)
        try:
            self._client().hset(LAST_RUN_KEY, entry.name, next_entry.last_run_at.isoformat())
        except redis.RedisError as error:
            logger.warning("beat: could not record the run of %s: %s", entry.name, error)
        return next_entry

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._hold():
            return self.wait_s
        return float(min(super().tick(*args, **kwargs), RENEW_EVERY_S, self.ttl_s / 3))

    def close(self) -> None:
        if self.holding and self._redis is not None:
            try:
                self._redis.eval(
                    "if redis.call('get', KEYS[1]) == ARGV[1] then "
                    "return redis.call('del', KEYS[1]) else return 0 end",
                    1,
                    LOCK_KEY,
                    self.token,
                )
            except redis.RedisError as error:
                logger.warning("beat: could not release the lock: %s", error)
            self.holding = False
        super().close()
