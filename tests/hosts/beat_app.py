"""A Celery app for the beat-lock test: the real ``LockedScheduler``, a schedule of one entry
every second, and a lock that expires in seconds instead of half a minute.

``BEAT_TEST_BROKER`` names the test's Redis; the sent tasks wait in its ``beat-test`` queue,
where the test counts them (no worker runs them).
"""

from __future__ import annotations

import os

from celery import Celery

app = Celery("beat_test", broker=os.environ["BEAT_TEST_BROKER"])
app.conf.beat_scheduler = "workers.beat_lock:LockedScheduler"
app.conf.coop_beat_lock_ttl_s = 3
app.conf.coop_beat_lock_wait_s = 0.5
app.conf.task_default_queue = "beat-test"
app.conf.beat_schedule = {"every-second": {"task": "beat_test.tick", "schedule": 1.0}}
