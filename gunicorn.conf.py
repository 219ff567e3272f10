"""gunicorn's settings for the ``web`` process (the Procfile passes ``--config gunicorn.conf.py``).

Why threads: a sync worker serves one request at a time and reads the request body inside it,
so three clients trickling a body in occupied three sync workers and ``/healthz`` timed out; and
the arbiter killed any worker still busy after ``timeout`` seconds, so an honest 1.1 MB upload at
32 KB/s (35 s) failed at 30 s. A ``gthread`` worker hands each request to one of its threads
while its main loop keeps answering the arbiter's heartbeat: a slow body occupies one thread, not
the worker, and ``timeout`` only kills a worker whose main loop is stuck, never a long upload.

What threads cannot do: each slow client still holds a thread (and, once signed in, a database
connection) while it sends. ``WEB_CONCURRENCY`` x ``WEB_THREADS`` slow clients at once (24 with
the defaults) leave none for anyone else. On the open internet, put a buffering proxy in front
(``deploy/nginx.conf``), which receives the whole body before gunicorn sees the request; see the
README's "Deploying it for real".

``tests/integration/services/test_slow_clients_on_services.py`` starts the Procfile's web line
and checks both: slow bodies do not starve ``/healthz``, and a 35 s upload is accepted.
"""

from __future__ import annotations

import os

# Every interface, as platforms that set PORT expect; the proxy or firewall decides who reaches it.
bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
worker_class = "gthread"
# At most SQLAlchemy's default pool (5 + 10 overflow) per process: a signed-in request keeps its
# connection while its body arrives, so more threads than connections would make the extra ones
# (and /healthz) wait for a connection instead of a thread.
threads = int(os.environ.get("WEB_THREADS", "8"))

# Seconds a worker's main loop may go without a heartbeat before the arbiter restarts it. With
# gthread that loop never waits for a request, so this is not a limit on requests or uploads.
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
# On a restart or deploy, requests in flight (an upload, say) get this long to finish.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "60"))
# Idle kept-alive connections wait in the worker's poller, not in a thread; 5 s is enough for a
# browser's next request and keeps few of them open.
keepalive = 5

# gunicorn's defaults, stated: they refuse oversized request lines and headers before the app
# runs. Bodies are bounded by the app (MARKETPLACE_MAX_REQUEST_BYTES) and by the proxy.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

accesslog = "-"
# The path without its query string (a search or an admin's filter can hold a name or an
# address), no client address, and the request id the app answered with, so an access line
# joins the app's own lines of the same request. JSON in production, like the app's lines.
_JSON_LINES = os.environ.get("MARKETPLACE_LOG_FORMAT", "").lower() == "json" or (
    os.environ.get("MARKETPLACE_LOG_FORMAT", "") == ""
    and os.environ.get("MARKETPLACE_ENV") == "production"
)
access_log_format = (
    '{"time": "%(t)s", "level": "INFO", "logger": "gunicorn.access", "message": "%(m)s %(U)s",'
    ' "status": %(s)s, "bytes": "%(B)s", "duration_ms": %(M)s,'
    ' "request_id": "%({x-request-id}o)s"}'
    if _JSON_LINES
    else '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms [%({x-request-id}o)s]'
)
# Heartbeat files in memory, not on a container's overlay disk, where a slow fsync can make the
# arbiter think a healthy worker hung.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - Linux's tmpfs
# gunicornc's control socket sits at one path per user: several web processes on a machine (or
# a test beside a running site) would take each other's. Nothing here uses it.
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """The app is loaded: its objects stay out of every later garbage collection's walk
    (``marketplace.heap``: a full collection walked 300,000 of them, 200 ms, every few pages)."""
    from marketplace.heap import freeze_startup_objects

    freeze_startup_objects()


def child_exit(server: object, worker: object) -> None:
    """A dead worker's live gauges leave the metrics (prometheus_client's multiprocess mode).

    Only with MARKETPLACE_METRICS=1 and PROMETHEUS_MULTIPROC_DIR (see marketplace/observability).
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)  # type: ignore[attr-defined]
