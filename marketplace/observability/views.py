"""``GET /metrics`` for Prometheus, and the admin's Operations page."""

from __future__ import annotations

import hmac

from celery import Celery
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from prometheus_client import CONTENT_TYPE_LATEST
from werkzeug.wrappers import Response

from marketplace.errors import AppError
from marketplace.observability import operations
from marketplace.observability.metrics import QueueDepthCollector, scrape
from marketplace.web_support import role_required

metrics_bp = Blueprint("metrics", __name__)
bp = Blueprint("operations", __name__, url_prefix="/admin/operations")


def _broker_redis() -> operations.redis.Redis | None:
    celery_app: Celery = current_app.extensions["celery"]
    return operations.ops_redis(str(celery_app.conf.broker_url or ""))


@metrics_bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text; 404 unless MARKETPLACE_METRICS=1, 401 without the token when one is set."""
    if not current_app.config["METRICS_ENABLED"]:
        abort(404)
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        offered = request.headers.get("Authorization", "")
        if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
            return Response(
                "Metrics need the bearer token (MARKETPLACE_METRICS_TOKEN).\n",
                status=401,
                mimetype="text/plain",
                headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
            )
    client = _broker_redis()
    body = scrape([QueueDepthCollector(lambda: operations.queue_depths(client))])
    response = Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.before_request
@role_required("admin")
def require_admin() -> None:
    """Every page here is for admins only."""


@bp.get("/")
def index() -> str:
    client = _broker_redis()
    return render_template(
        "admin/operations.html",
        on_redis=client is not None,
        queues=operations.queue_depths(client),
        failed=operations.failed_tasks(client),
        failed_total=operations.failed_count(client),
        beat_runs=operations.beat_runs(client),
        lag=operations.webhook_lag(),
        metrics_enabled=current_app.config["METRICS_ENABLED"],
    )


@bp.post("/failed/<task_id>/retry")
def retry(task_id: str) -> Response:
    try:
        failed = operations.retry_failed_task(_broker_redis(), current_user, task_id)
    except AppError as error:
        flash(str(error), "error")
    else:
        flash(
            gettext(
                "%(task)s was sent again; it will run as soon as a worker is free.",
                task=failed.task,
            ),
            "success",
        )
    return redirect(url_for("operations.index"))
