"""Watching the co-op run: metrics, log lines with request ids, errors and traces.

``init_observability(app)`` reads the settings (all off by default but the log lines) and hooks
the pieces into the app and into Celery's signals; the web part (``/metrics`` and the admin
Operations page) is the blueprint in ``observability.views``.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request

from marketplace.observability import logs


def _set(value: str | None) -> str | None:
    """An environment value, with an empty one meaning unset."""
    return value if value not in (None, "") else None


def load_settings(app: Flask) -> None:
    """Fill in the observability settings from the environment, unless a test set them."""
    metrics = _set(os.environ.get("MARKETPLACE_METRICS")) in ("1", "true", "yes")
    port = _set(os.environ.get("MARKETPLACE_METRICS_WORKER_PORT"))
    defaults = {
        "METRICS_ENABLED": metrics,
        "METRICS_TOKEN": _set(os.environ.get("MARKETPLACE_METRICS_TOKEN")),
        "METRICS_WORKER_PORT": int(port) if port else None,
        "LOG_FORMAT": logs.log_format(
            app.config["PROFILE"], _set(os.environ.get("MARKETPLACE_LOG_FORMAT"))
        ),
        "SENTRY_DSN": _set(os.environ.get("SENTRY_DSN")),
        "SENTRY_ENVIRONMENT": _set(os.environ.get("SENTRY_ENVIRONMENT")),
        "SENTRY_TRACES_SAMPLE_RATE": _set(os.environ.get("SENTRY_TRACES_SAMPLE_RATE")),
    }
    for key, value in defaults.items():
        app.config.setdefault(key, value)


def init_observability(app: Flask) -> None:
    """Logs, request ids, metrics, Sentry and tracing for this app and its tasks."""
    from marketplace.observability import celery_hooks, money_events, tracing  # noqa: F401

    load_settings(app)
    logs.configure_logging(app.config["LOG_FORMAT"])
    celery_hooks.connect(
        app.config["LOG_FORMAT"], app.config["METRICS_ENABLED"], app.config["METRICS_WORKER_PORT"]
    )
    _track_requests(app)
    tracing.init_sentry(app)
    tracing.init_tracing(app)


def _track_requests(app: Flask) -> None:
    from marketplace.observability.metrics import HTTP_DURATION, HTTP_REQUESTS

    metrics = app.config["METRICS_ENABLED"]

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id_token = logs.request_id_var.set(
            logs.new_request_id(request.headers.get(logs.REQUEST_ID_HEADER))
        )

    @app.after_request
    def finish_request(response: Response) -> Response:
        request_id = logs.request_id_var.get()
        if request_id:
            response.headers[logs.REQUEST_ID_HEADER] = request_id
        started = g.pop("request_started", None)
        if metrics and started is not None:
            endpoint = request.endpoint or "unmatched"
            HTTP_REQUESTS.labels(request.method, endpoint, str(response.status_code)).inc()
            HTTP_DURATION.labels(request.method, endpoint).observe(time.perf_counter() - started)
        return response

    @app.teardown_request
    def forget_request_id(_error: BaseException | None) -> None:
        token = g.pop("request_id_token", None)
        if token is not None:
            try:
                logs.request_id_var.reset(token)
            except ValueError:
                logs.request_id_var.set(None)
