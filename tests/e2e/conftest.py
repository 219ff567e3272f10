"""A live server on a free port, and headless Debian Chromium driven by Playwright."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.fixtures.services import services_required
from tests.fixtures.shop import register_webhook
from tests.fixtures.stripe_emulator import StripeEmulator, free_port

CHROMIUM = os.environ.get("MARKETPLACE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app served over real HTTP in a thread, for the browser."""
    port = free_port()
    app.config["SERVER_BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=10)


SHOP_WEBHOOK_NAME = "coop-stock-e2e"


@contextmanager
def serving_shop(
    shop_app: Flask, stripe_emulator: StripeEmulator, host: str = "127.0.0.1"
) -> Iterator[str]:
    """The shop app over real HTTP at ``http://<host>:<port>``, receiving the emulator's signed
    webhooks; afterwards the emulator's endpoint points somewhere harmless again, since later
    tests have no server on that port."""
    port = free_port()
    base_url = f"http://{host}:{port}"
    shop_app.config["SERVER_BASE_URL"] = base_url
    server = make_server("127.0.0.1", port, shop_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    webhook_url = f"http://127.0.0.1:{port}/webhooks/stripe"
    register_webhook(stripe_emulator, webhook_url, SHOP_WEBHOOK_NAME)
    try:
        yield base_url
    finally:
        register_webhook(stripe_emulator, "http://127.0.0.1:9/", SHOP_WEBHOOK_NAME)
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def shop_live_server(shop_app: Flask, stripe_emulator: StripeEmulator) -> Iterator[str]:
    """The shop app over real HTTP on 127.0.0.1, receiving the emulator's signed webhooks."""
    with serving_shop(shop_app, stripe_emulator) as base_url:
        yield base_url


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        message = f"Chromium is not installed at {CHROMIUM} (make browser installs it)"
        if services_required():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-dev-shm-usage",
            ],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield page
        context.close()
        browser.close()


# Werkzeug's development server, which serves the pages to the browser here (production runs
# gunicorn), leaves a file it was sending open (a static file, or a preview or thumbnail from
# the media folder) when the browser drops the connection mid-answer, as it does when a test
# navigates while an image is still loading. Python reports the file when it
# is collected, at a moment no test controls; that is the server's, not the code under test.
_DROPPED_STATIC_FILE = (
    "ignore:Exception ignored in. <_io.(FileIO|BufferedReader) name='[^']*/(static|media)/"
    ":pytest.PytestUnraisableExceptionWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(pytest.mark.filterwarnings(_DROPPED_STATIC_FILE))
