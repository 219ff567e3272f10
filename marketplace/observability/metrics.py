"""Prometheus series for operators: requests, tasks, queues, webhooks, transfers, orders.

Opt-in with ``MARKETPLACE_METRICS=1``. Under gunicorn and Celery's prefork pool each process
counts on its own; with ``PROMETHEUS_MULTIPROC_DIR`` set (an empty directory, emptied before the
processes start) they write their counts to files there and one scrape adds them up
(``prometheus_client``'s multiprocess mode; gunicorn.conf.py and the worker's process shutdown
mark a dead process's gauges gone). Queue depth is read from Redis at each scrape, not counted.

The series (names are a contract: dashboards, alerts and the multi-host test read them):

- ``coopstock_http_requests_total{method,endpoint,status}`` and
  ``coopstock_http_request_duration_seconds{method,endpoint}``: by Flask endpoint name, never
  the raw path (an id in a path would make one series per asset);
- ``coopstock_celery_tasks_total{task,state}`` (state: started, succeeded, failed, retried) and
  ``coopstock_celery_task_duration_seconds{task}``;
- ``coopstock_queue_depth{queue}``: messages waiting in each Celery queue;
- ``coopstock_webhook_lag_seconds``: from a Stripe event's ``created`` to its settling here;
- ``coopstock_transfer_failures_total{kind}`` (payout, dividend, redemption);
- ``coopstock_orders_paid_total``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from prometheus_client.registry import Collector

# Per-process series live here rather than in prometheus_client's default registry, so a
# scrape shows exactly the co-op's series (and the tests can read them without the rest).
REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_TASK_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 1800.0)
_LAG_BUCKETS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 86400.0)
TRANSFER_KINDS = ("payout", "dividend", "redemption")

HTTP_REQUESTS = Counter(
    "coopstock_http_requests",
    "HTTP requests answered, by Flask endpoint and status code.",
    ["method", "endpoint", "status"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "coopstock_http_request_duration_seconds",
    "Time from a request's arrival in the app to its answer, by Flask endpoint.",
    ["method", "endpoint"],
    buckets=_LATENCY_BUCKETS,
    registry=REGISTRY,
)
CELERY_TASKS = Counter(
    "coopstock_celery_tasks",
    "Celery task runs by task name and state (started, succeeded, failed, retried).",
    ["task", "state"],
    registry=REGISTRY,
)
CELERY_DURATION = Histogram(
    "coopstock_celery_task_duration_seconds",
    "How long a task's body ran, by task name.",
    ["task"],
    buckets=_TASK_BUCKETS,
    registry=REGISTRY,
)
WEBHOOK_LAG = Histogram(
    "coopstock_webhook_lag_seconds",
    "Seconds from a Stripe event's creation (its 'created') to the co-op settling it.",
    buckets=_LAG_BUCKETS,
    registry=REGISTRY,
)
TRANSFER_FAILURES = Counter(
    "coopstock_transfer_failures",
    "Transfers to members that failed, by kind (payout, dividend, redemption).",
    ["kind"],
    registry=REGISTRY,
)
ORDERS_PAID = Counter(
    "coopstock_orders_paid",
    "Orders whose payment settled.",
    registry=REGISTRY,
)
for _kind in TRANSFER_KINDS:
    # A series at 0 from the start: an alert on increase() needs the 0 before the first failure.
    TRANSFER_FAILURES.labels(_kind)


def multiprocess_dir() -> str | None:
    """The directory of multiprocess mode, or None when each process is scraped alone."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class QueueDepthCollector(Collector):
    """``coopstock_queue_depth{queue}``, read from the broker's Redis when scraped."""

    def __init__(self, depths: Any) -> None:
        # A callable returning (queue, depth) pairs; None depth = the broker did not answer.
        self._depths = depths

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "coopstock_queue_depth", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, depth in self._depths():
            if depth is not None:
                family.add_metric([queue], float(depth))
        yield family


def scrape(extra: Sequence[Collector] = ()) -> bytes:
    """The Prometheus text of this host: every process's series in multiprocess mode."""
    registry = CollectorRegistry(auto_describe=False)
    directory = multiprocess_dir()
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_Own())
    for collector in extra:
        registry.register(collector)
    return generate_latest(registry)


class _Own(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def forget_process(pid: int) -> None:
    """A dead process's live gauges stop counting (its counters stay, as Prometheus expects)."""
    if multiprocess_dir():
        mark_process_dead(pid)
