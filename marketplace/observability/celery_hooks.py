"""What every Celery task does around its body: carry the request id, count, time, remember.

Connected once per process by :func:`connect`, in the web process (publishing: the request id
goes into each task's headers) and in the worker (running: the id comes back, the run is
counted and timed, a failure is kept for the Operations page, a scheduled task's last run too).
"""

from __future__ import annotations

import logging
import os
import time
from contextvars import Token
from typing import Any

from celery import Celery, Task
from celery.signals import (
    after_setup_logger,
    after_setup_task_logger,
    beat_init,
    before_task_publish,
    task_failure,
    task_postrun,
    task_prerun,
    task_retry,
    worker_process_shutdown,
    worker_ready,
)

from marketplace.observability import operations
from marketplace.observability.logs import (
    formatter_for,
    install_record_factory,
    request_id_var,
    task_name_var,
)
from marketplace.observability.metrics import (
    CELERY_DURATION,
    CELERY_TASKS,
    forget_process,
    multiprocess_dir,
)

log = logging.getLogger(__name__)
HEADER = "coopstock_request_id"

_settings: dict[str, Any] = {"log_format": "text", "metrics": False, "worker_metrics_port": None}
_running: dict[str, tuple[float, Token[str | None], Token[str | None]]] = {}
_connected = False


def connect(log_format: str, metrics: bool, worker_metrics_port: int | None) -> None:
    """Connect the signal handlers (once per process; later calls update the settings)."""
    global _connected
    _settings.update(
        log_format=log_format, metrics=metrics, worker_metrics_port=worker_metrics_port
    )
    if _connected:
        return
    before_task_publish.connect(_carry_request_id, weak=False)
    task_prerun.connect(_task_started, weak=False)
    task_postrun.connect(_task_finished, weak=False)
    task_failure.connect(_task_failed, weak=False)
    task_retry.connect(_task_retried, weak=False)
    after_setup_logger.connect(_format_worker_logs, weak=False)
    after_setup_task_logger.connect(_format_worker_logs, weak=False)
    worker_process_shutdown.connect(_process_gone, weak=False)
    worker_ready.connect(_serve_worker_metrics, weak=False)
    worker_ready.connect(_publish_schedule, weak=False)
    beat_init.connect(_publish_schedule, weak=False)
    _connected = True


def _carry_request_id(headers: dict[str, Any] | None = None, **_: Any) -> None:
    request_id = request_id_var.get()
    if request_id and headers is not None:
        headers.setdefault(HEADER, request_id)


def _task_started(task_id: str, task: Task, **_: Any) -> None:
    request_id = getattr(task.request, HEADER, None)
    headers = getattr(task.request, "headers", None) or {}
    request_id = request_id or headers.get(HEADER)
    eager = bool(getattr(task.request, "is_eager", False))
    # Inline (eager) runs keep the id of the request that ran them; in a worker a task queued
    # by no request (beat's) must not inherit the previous task's id.
    id_token = request_id_var.set(request_id or (request_id_var.get() if eager else None))
    name_token = task_name_var.set(task.name)
    _running[task_id] = (time.perf_counter(), id_token, name_token)
    if _settings["metrics"]:
        CELERY_TASKS.labels(task.name, "started").inc()


def _task_finished(task_id: str, task: Task, state: str | None = None, **_: Any) -> None:
    started = _running.pop(task_id, None)
    if started is None:
        return
    began, id_token, name_token = started
    seconds = time.perf_counter() - began
    if _settings["metrics"]:
        CELERY_DURATION.labels(task.name).observe(seconds)
        if state == "SUCCESS":
            CELERY_TASKS.labels(task.name, "succeeded").inc()
    _remember_beat_run(task.app, task.name, state or "", seconds)
    if not getattr(task.request, "is_eager", False):
        # A worker process logs "Task ... succeeded" after this signal: the ids stay set for
        # that line, and the next task's start replaces them.
        return
    try:
        request_id_var.reset(id_token)
        task_name_var.reset(name_token)
    except ValueError:
        # Set in another context (a thread pool): nothing of this task's is left to undo.
        request_id_var.set(None)
        task_name_var.set(None)


def _task_failed(
    task_id: str | None = None,
    exception: BaseException | None = None,
    sender: Task | None = None,
    args: Any = None,
    kwargs: Any = None,
    **_: Any,
) -> None:
    if sender is None:
        return
    if _settings["metrics"]:
        CELERY_TASKS.labels(sender.name, "failed").inc()
    if sender.app.conf.task_always_eager:
        return
    operations.record_failure(
        operations.ops_redis(str(sender.app.conf.broker_url or "")),
        task_id=task_id or "",
        task=sender.name,
        args=list(args or ()),
        error=f"{type(exception).__name__}: {exception}" if exception else "",
        request_id=request_id_var.get(),
    )


def _task_retried(sender: Task | None = None, **_: Any) -> None:
    if sender is not None and _settings["metrics"]:
        CELERY_TASKS.labels(sender.name, "retried").inc()


def _remember_beat_run(app: Celery, task_name: str, state: str, seconds: float) -> None:
    if app.conf.task_always_eager:
        return
    entries = [
        name
        for name, entry in (app.conf.beat_schedule or {}).items()
        if entry.get("task") == task_name
    ]
    if entries:
        operations.record_beat_run(
            operations.ops_redis(str(app.conf.broker_url or "")), entries, state, seconds
        )


def _publish_schedule(sender: Any = None, **_: Any) -> None:
    app = getattr(sender, "app", None)
    if app is None:
        return
    operations.record_schedule(
        operations.ops_redis(str(app.conf.broker_url or "")), dict(app.conf.beat_schedule or {})
    )


def _format_worker_logs(logger: logging.Logger | None = None, **_: Any) -> None:
    install_record_factory()
    if logger is None:
        return
    for handler in logger.handlers:
        handler.setFormatter(formatter_for(_settings["log_format"]))


def _process_gone(**_: Any) -> None:
    forget_process(os.getpid())


def _serve_worker_metrics(**_: Any) -> None:
    port = _settings["worker_metrics_port"]
    if not (_settings["metrics"] and port):
        return
    from prometheus_client import start_http_server
    from prometheus_client.core import CollectorRegistry
    from prometheus_client.multiprocess import MultiProcessCollector

    directory = multiprocess_dir()
    if not directory:
        log.warning("Worker metrics need PROMETHEUS_MULTIPROC_DIR (prefork children count).")
        return
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    # Beside the worker only; the firewall keeps it from the internet, as for the web's port.
    start_http_server(
        port,
        addr=os.environ.get("MARKETPLACE_METRICS_WORKER_ADDR", "0.0.0.0"),  # noqa: S104
        registry=registry,
    )
    log.info("Worker metrics on port %s", port)
