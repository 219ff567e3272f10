"""Slow clients against the Procfile's web process (gunicorn.conf.py), on the production profile,
and through the recommended proxy in front of it (deploy/nginx.conf).

With the old line (sync workers, 30 s timeout) three clients trickling an upload made
``/healthz`` time out, and an honest 1.1 MB upload at 32 KB/s was cut off at 30 s. Threads fix
both, up to one slow client per thread; nginx holds any number of them before gunicorn.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Flask

from tests.fixtures.factories import Factory, unique_email
from tests.fixtures.nginx import Nginx, find_nginx, start_nginx, stop_nginx
from tests.fixtures.services import ServicesEnv, unavailable
from tests.fixtures.slow_clients import (
    SlowBodies,
    WebProcess,
    get,
    noise_jpeg,
    probe_health,
    start_web,
    stop_web,
    upload_at_rate,
)
from tests.fixtures.stripe_emulator import free_port
from tests.fixtures.web import api_token

pytestmark = pytest.mark.services

SLOW_LINK_BYTES_PER_S = 32 * 1024
OLD_WORKER_TIMEOUT_S = 30
# More than WEB_CONCURRENCY x WEB_THREADS (3 x 8): gunicorn alone would run out of threads.
SLOWLORIS_CONNECTIONS = 40


@pytest.fixture(scope="module")
def web(
    services_env: ServicesEnv, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WebProcess]:
    env = {**services_env.environ(), "MARKETPLACE_ENV": "production"}
    log = tmp_path_factory.mktemp("web") / "gunicorn.log"
    process = start_web(env, free_port(), log)
    try:
        yield process
    finally:
        stop_web(process)


@pytest.fixture(scope="module")
def proxy(web: WebProcess, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    binary = find_nginx()
    if binary is None:
        unavailable("nginx is not installed (`make nginx` installs Debian's)")
    assert binary is not None
    folder = tmp_path_factory.mktemp("nginx")
    nginx = start_nginx(binary, web.port, folder, (free_port(), free_port()))
    try:
        yield nginx
    finally:
        stop_nginx(nginx)


def member_token(app: Flask) -> str:
    email = unique_email("slowlink")
    Factory().member(email)
    header = api_token(app.test_client(), email)["Authorization"]
    return header.removeprefix("Bearer ")


def test_slow_request_bodies_do_not_starve_healthz(services_app: Flask, web: WebProcess) -> None:
    slow = SlowBodies(web.port, member_token(services_app), count=6)
    try:
        time.sleep(1)  # the six requests starting up at once is not what is measured
        probe = probe_health(web.port, duration_s=10, limit_s=2.0)
        assert slow.still_open() == 6, "the server dropped the slow clients; nothing was tested"
    finally:
        slow.close()
    assert not probe.failures, f"/healthz stalled while 6 bodies trickled in: {probe.failures}"
    assert len(probe.seconds) >= 15


def test_large_upload_over_a_slow_link_is_accepted(services_app: Flask, web: WebProcess) -> None:
    photo = noise_jpeg(seed=32)
    assert 1_050_000 < len(photo) < 1_200_000
    uploaded = upload_at_rate(web.port, member_token(services_app), photo, SLOW_LINK_BYTES_PER_S)
    assert uploaded.status == 202, f"{uploaded.status} {uploaded.body}\n{web.output()[-3000:]}"
    # Longer than the old worker timeout, or the test would prove nothing.
    assert uploaded.seconds > OLD_WORKER_TIMEOUT_S


def test_behind_nginx_many_slow_bodies_leave_gunicorn_alone(
    services_app: Flask, web: WebProcess, proxy: Nginx
) -> None:
    token = member_token(services_app)
    slow = SlowBodies(proxy.https_port, token, count=SLOWLORIS_CONNECTIONS, tls=True)
    try:
        time.sleep(1)
        probe = probe_health(proxy.https_port, duration_s=4, limit_s=2.0, tls=True)
        photo = noise_jpeg(seed=40)
        uploaded = upload_at_rate(proxy.https_port, token, photo, 10 * 1024 * 1024, tls=True)
        assert slow.still_open() == SLOWLORIS_CONNECTIONS
    finally:
        slow.close()
    assert not probe.failures, f"/healthz stalled behind nginx: {probe.failures}"
    assert uploaded.status == 202, f"{uploaded.status} {uploaded.body}\n{proxy.output()[-3000:]}"
    redirect = get("127.0.0.1", proxy.http_port, "/healthz", timeout=5)
    assert redirect[0] == 301
