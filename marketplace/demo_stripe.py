"""The Stripe emulator while the demo seeds its history: the same emulator, on the same state
folder, that ``make demo`` runs afterwards (``Procfile.dev``), so that the payments, refunds
and transfers of the seeded year are there when the demo starts."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import current_app

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 30.0
TEST_CARD = "4242424242424242"


class DemoStripeError(RuntimeError):
    """The emulator did not start for the seed."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_listening(process: subprocess.Popen[bytes], port: int, log_file: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    process.kill()
    process.wait()
    raise DemoStripeError(
        f"The Stripe emulator did not start for the demo's history; its log: {log_file}"
    )


@contextmanager
def running_emulator(state_dir: Path) -> Iterator[str]:
    """Run the emulator on ``state_dir`` and point the app's Stripe settings at it until the
    block ends; yields its base URL. It saves its state when it stops."""
    state_dir.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_file = state_dir.with_name("stripe-seed.log")
    # The same module Procfile.dev runs (it lives beside the app package, outside the wheel).
    command = [sys.executable, "-m", "stripe_emulator", "--host", "127.0.0.1", "--port", str(port)]
    with log_file.open("ab") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*command, "--state-dir", str(state_dir)],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    _wait_until_listening(process, port, log_file)
    base_url = f"http://127.0.0.1:{port}"
    config = current_app.config
    before = config.get("STRIPE_API_BASE")
    config["STRIPE_API_BASE"] = base_url
    try:
        yield base_url
    finally:
        config["STRIPE_API_BASE"] = before
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def payment_method(base_url: str, card: str = TEST_CARD) -> str:
    """A PaymentMethod for a test card, made as Stripe.js makes one in the buyer's browser."""
    body = urllib.parse.urlencode(
        {
            "key": current_app.config["STRIPE_PUBLISHABLE_KEY"],
            "type": "card",
            "card[number]": card,
            "card[exp_month]": "12",
            "card[exp_year]": str(time.gmtime().tm_year + 5),
            "card[cvc]": "123",
        }
    ).encode()
    url = f"{base_url}/js.stripe.com/coop/v1/payment_methods"
    with urllib.request.urlopen(url, body, timeout=10) as response:  # noqa: S310 - loopback
        return str(json.load(response)["id"])


def complete_onboarding(link_url: str) -> None:
    """Fill in the emulator's onboarding page as the member would, with every detail given."""
    with urllib.request.urlopen(link_url, timeout=10):  # noqa: S310 - loopback
        pass
    body = urllib.parse.urlencode({"outcome": "complete"}).encode()
    request = urllib.request.Request(link_url, body, method="POST")  # noqa: S310 - loopback
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        opener.open(request, timeout=10)
    except urllib.error.HTTPError as answer:
        # The page answers 303 to the co-op's return address, which is not running yet.
        if answer.code != 303:
            raise


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
