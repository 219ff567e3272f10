"""``bench.mixed``, the load: buyers at a fixed offered rate, and a stream of large uploads.

Open loop: request n is due at ``start + n / rate`` whatever happened to the ones before, and
its latency counts from that moment, so a server that falls behind shows it in the tail instead
of quietly being offered less (no coordinated omission). Each request is one of the routes in
``MIX``; a purchase is three requests (the order, its payment at the Stripe emulator, and the
signed ``payment_intent.succeeded`` webhook, as Stripe sends it).
"""

from __future__ import annotations

import http.client
import io
import json
import random
import secrets
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from bench.mixed_stack import WORDS
from tests.fixtures.payments import payment_method, payment_succeeded, signature_header

# Shares of the offered requests (a purchase counts as one arrival of three requests).
MIX = (("api_search", 0.45), ("search_page", 0.2), ("asset_page", 0.3), ("purchase", 0.05))
CLIENT_THREADS = 64


@dataclass
class Samples:
    """Latencies (seconds) and failures per route, for one phase."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, route: str, seconds: float, failure: str | None) -> None:
        with self.lock:
            self.latencies[route].append(seconds)
            if failure is not None:
                self.failures[route].append(failure)


class Shop:
    """One buyer's or member's view of the running app, over keep-alive connections."""

    def __init__(self, port: int, emulator_url: str, titles: dict[int, str]) -> None:
        from marketplace.catalogue.pages import slug_of

        self.port, self.emulator_url = port, emulator_url
        self.asset_paths = [f"/assets/{i}-{slug_of(t)}" for i, t in sorted(titles.items())]
        self.for_sale = sorted(titles)
        self._bought = 0
        self._bought_lock = threading.Lock()
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self._local.connection = connection
        return connection

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        for attempt in (1, 2):
            connection = self._connection()
            try:
                connection.request(method, path, body=body, headers=headers or {})
                response = connection.getresponse()
                return response.status, response.read()
            except (http.client.HTTPException, OSError):
                connection.close()
                self._local.connection = None
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def token(self, email: str, password: str) -> str:
        body = json.dumps({"email": email, "password": password}).encode()
        status, answer = self.request(
            "POST", "/api/v1/tokens", body, {"Content-Type": "application/json"}
        )
        if status != 201:
            raise RuntimeError(f"no token for {email}: {status} {answer[:200]!r}")
        return str(json.loads(answer)["token"])

    def next_asset_to_buy(self) -> int:
        # Never the same work twice: a licence held already would be refunded, not sold.
        with self._bought_lock:
            asset_id = self.for_sale[self._bought % len(self.for_sale)]
            self._bought += 1
        return asset_id


def _timed(
    samples: Samples, route: str, due: float, call: Callable[[], tuple[int, bytes]], ok: int
) -> bytes | None:
    try:
        status, body = call()
    except (OSError, http.client.HTTPException) as error:
        samples.add(route, time.monotonic() - due, f"{type(error).__name__}: {error}")
        return None
    failure = None if status == ok else f"{status}: {body[:120]!r}"
    samples.add(route, time.monotonic() - due, failure)
    return body if failure is None else None


def one_arrival(
    shop: Shop, route: str, rng: random.Random, tokens: list[str], samples: Samples, due: float
) -> None:
    words = " ".join(rng.sample(WORDS, rng.choice((1, 1, 2))))
    if route == "api_search":
        path = f"/api/v1/search?q={words.replace(' ', '+')}&per_page=24"
        _timed(samples, route, due, lambda: shop.request("GET", path), 200)
    elif route == "search_page":
        path = f"/search?q={words.replace(' ', '+')}"
        _timed(samples, route, due, lambda: shop.request("GET", path), 200)
    elif route == "asset_page":
        path = rng.choice(shop.asset_paths)
        _timed(samples, route, due, lambda: shop.request("GET", path), 200)
    else:
        purchase(shop, rng.choice(tokens), samples, due)


def purchase(shop: Shop, token: str, samples: Samples, due: float) -> None:
    auth = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    item = {"asset_id": shop.next_asset_to_buy(), "licence": "standard", "size": "M"}
    body = json.dumps({"items": [item]}).encode()
    order = _timed(
        samples, "order", due, lambda: shop.request("POST", "/api/v1/orders", body, auth), 201
    )
    if order is None:
        return
    order_id = json.loads(order)["id"]
    method = payment_method(shop.emulator_url)
    pay = json.dumps({"payment_method": method}).encode()
    started = time.monotonic()
    paid = _timed(
        samples,
        "payment",
        started,
        lambda: shop.request("POST", f"/api/v1/orders/{order_id}/payment", pay, auth),
        200,
    )
    if paid is None:
        return
    event = json.dumps(payment_succeeded(json.loads(paid)["payment_intent_id"])).encode()
    headers = {"Content-Type": "application/json", "Stripe-Signature": signature_header(event)}

    def settle() -> tuple[int, bytes]:
        return shop.request("POST", "/webhooks/stripe", event, headers)

    _timed(samples, "webhook", time.monotonic(), settle, 200)


def offer_load(
    shop: Shop, tokens: list[str], rate: float, seconds: float, seed: int
) -> tuple[Samples, float]:
    """Offer ``rate`` arrivals a second for ``seconds``; the samples and the time it took."""
    rng = random.Random(seed)
    routes, weights = zip(*MIX, strict=True)
    arrivals = int(rate * seconds)
    samples = Samples()
    start = time.monotonic() + 0.5
    with ThreadPoolExecutor(CLIENT_THREADS, thread_name_prefix="buyer") as pool:
        for n in range(arrivals):
            due = start + n / rate
            route = rng.choices(routes, weights)[0]
            own = random.Random(rng.random())
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            pool.submit(one_arrival, shop, route, own, tokens, samples, due)
    return samples, time.monotonic() - start


class Uploader(threading.Thread):
    """A member uploading large photos one after another, ``gap`` seconds apart."""

    def __init__(self, shop: Shop, token: str, photo: bytes, gap: float) -> None:
        super().__init__(name="uploader", daemon=True)
        self.shop, self.token, self.photo, self.gap = shop, token, photo, gap
        self.stop_event = threading.Event()
        self.results: list[tuple[int, float]] = []

    def run(self) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", self.shop.port, timeout=300)
        while not self.stop_event.is_set():
            body, content_type = _multipart(_unique(self.photo))
            started = time.monotonic()
            try:
                connection.request(
                    "POST",
                    "/api/v1/assets",
                    body,
                    {"Authorization": f"Bearer {self.token}", "Content-Type": content_type},
                )
                response = connection.getresponse()
                response.read()
                self.results.append((response.status, time.monotonic() - started))
            except (OSError, http.client.HTTPException):
                connection.close()
                self.results.append((0, time.monotonic() - started))
            self.stop_event.wait(self.gap)
        connection.close()


def _unique(jpeg: bytes) -> bytes:
    # A comment segment after SOI: a new file (its own SHA-256) for the same picture.
    comment = f"bench-mixed {secrets.token_hex(8)}".encode()
    return jpeg[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + jpeg[2:]


def _multipart(jpeg: bytes) -> tuple[bytes, str]:
    boundary = "bench-mixed-" + secrets.token_hex(8)
    parts = io.BytesIO()
    parts.write(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jpg"\r\n'
        "Content-Type: image/jpeg\r\n\r\n".encode()
    )
    parts.write(jpeg)
    parts.write(f"\r\n--{boundary}--\r\n".encode())
    return parts.getvalue(), f"multipart/form-data; boundary={boundary}"


def large_photo(megapixels: int = 24) -> bytes:
    """A JPEG of about ``megapixels`` MP with detail (a gradient and noise), as a camera makes."""
    import numpy as np
    from PIL import Image

    width = int((megapixels * 1_000_000 * 3 / 2) ** 0.5)
    height = width * 2 // 3
    rng = np.random.default_rng(18)
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    base = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    noisy = base + rng.normal(0, 12, base.shape).astype(np.float32)
    image = Image.fromarray(noisy.clip(0, 255).astype(np.uint8), "RGB")
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def summary(samples: Samples) -> dict[str, Any]:
    """Per route: count, p50 and p99 in ms, failures."""
    result = {}
    for route, values in sorted(samples.latencies.items()):
        ordered = sorted(values)
        result[route] = {
            "count": len(ordered),
            "p50_ms": 1000 * ordered[len(ordered) // 2],
            "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
            "failures": len(samples.failures.get(route, [])),
            "first_failure": (samples.failures.get(route) or [None])[0],
        }
    return result
