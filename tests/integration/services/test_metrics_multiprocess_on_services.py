"""Metrics of a whole host: gunicorn's worker processes and a Celery worker's children write
their counts to PROMETHEUS_MULTIPROC_DIR, and one scrape of ``/metrics`` adds them up, even
after a web worker was killed and replaced. Access lines are JSON with the request id.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery import Celery
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from tests.fixtures.services import ROOT, ServicesEnv
from tests.fixtures.slow_clients import WebProcess, start_web, stop_web
from tests.fixtures.stripe_emulator import free_port

pytestmark = pytest.mark.services
TOKEN = "metrics-token-for-the-test"
PROBE_QUEUE = "metrics-probe"


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.2)


@pytest.fixture(scope="module")
def host(
    services_env: ServicesEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[WebProcess, Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("metrics-host")
    multiproc = folder / "prometheus"
    multiproc.mkdir()
    env = {
        **services_env.environ(),
        "MARKETPLACE_ENV": "production",
        "MARKETPLACE_METRICS": "1",
        "MARKETPLACE_METRICS_TOKEN": TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(multiproc),
        "WEB_CONCURRENCY": "3",
    }
    web = start_web(env, free_port(), folder / "gunicorn.log")
    try:
        yield web, multiproc, env
    finally:
        stop_web(web)


def _scrape(web: WebProcess) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    status, text = get(web.port, "/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def _healthz_count(web: WebProcess) -> float:
    key = (
        "coopstock_http_requests_total",
        frozenset({"method": "GET", "endpoint": "health.healthz", "status": "200"}.items()),
    )
    return _scrape(web).get(key, 0.0)


def _web_workers(web: WebProcess) -> list[int]:
    found = subprocess.run(
        ["pgrep", "-P", str(web.process.pid)], capture_output=True, text=True, check=False
    )
    return [int(pid) for pid in found.stdout.split()]


def test_one_scrape_adds_up_every_web_process_even_after_one_is_killed(
    host: tuple[WebProcess, Path, dict[str, str]],
) -> None:
    web, multiproc, _ = host
    refused = get(web.port, "/metrics")[0]
    assert refused == 401
    # Start-up's own probes may still be answered late (one timed out on the client while the
    # workers booted): count from a moment when nothing else is in flight.
    settled: list[float] = []

    def quiet() -> bool:
        settled.append(_healthz_count(web))
        time.sleep(1)
        return len(settled) > 1 and settled[-1] == settled[-2]

    _wait_for(quiet)
    before = settled[-1]
    for _ in range(30):
        assert get(web.port, "/healthz")[0] == 200
    assert _healthz_count(web) == before + 30
    writers = {path.stem.rsplit("_", 1)[-1] for path in multiproc.glob("counter_*.db")}
    assert len(writers) >= 2, f"one process served everything: {writers}"

    victim = _web_workers(web)[0]
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: victim not in _web_workers(web) and len(_web_workers(web)) == 3)
    for _ in range(10):
        assert get(web.port, "/healthz")[0] == 200
    # A dead process's counts stay: counters never go down.
    assert _healthz_count(web) == before + 40

    lines = [
        json.loads(line)
        for line in web.output().splitlines()
        if line.startswith('{"time"') and '"logger": "gunicorn.access"' in line
    ]
    healthz = [line for line in lines if line["message"] == "GET /healthz"]
    assert len(healthz) >= 40
    assert all(len(line["request_id"]) == 32 for line in healthz)
    assert all(line["status"] == 200 for line in healthz)


def test_a_celery_workers_children_count_their_tasks_into_the_hosts_scrape(
    host: tuple[WebProcess, Path, dict[str, str]], services_app: Flask
) -> None:
    web, _, env = host
    log_path = web.log.parent / "probe-worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(  # noqa: S603 - the worker entry module, as a host runs it
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.celery_app",
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                f"--queues={PROBE_QUEUE}",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for(lambda: b"ready." in log_path.read_bytes(), timeout=60)
        celery: Celery = services_app.extensions["celery"]
        for _ in range(3):
            celery.send_task("catalogue.refresh_vocabulary", queue=PROBE_QUEUE)
        celery.send_task("catalogue.refresh_vocabulary", args=[1, 2], queue=PROBE_QUEUE)

        def task_count(state: str) -> float:
            labels = frozenset({"task": "catalogue.refresh_vocabulary", "state": state}.items())
            return _scrape(web).get(("coopstock_celery_tasks_total", labels), 0.0)

        _wait_for(lambda: task_count("succeeded") == 3 and task_count("failed") == 1)
        assert task_count("started") == 4
        duration = frozenset({"task": "catalogue.refresh_vocabulary"}.items())
        assert _scrape(web)[("coopstock_celery_task_duration_seconds_count", duration)] == 4
        # The worker's own lines are JSON too, in production.
        task_lines = [
            json.loads(line)
            for line in log_path.read_text().splitlines()
            if line.startswith("{") and "refresh_vocabulary" in line
        ]
        assert any("succeeded" in line["message"] for line in task_lines)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
