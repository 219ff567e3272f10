"""The people ``bench.pages`` signs in as, and the related work of the asset pages it loads.

``prepare_people`` adds (once; a reused catalogue keeps them) a buyer with three works in the
cart and three lightboxes, and an admin; the member is the catalogue's first contributor. It
also has the worker's job done for the sampled asset pages (``related_store.refresh``), as the
worker would have done when they were published, and says how long that took per work.
``sign_in`` signs one of them in over HTTP and returns the cookie header to send.
"""

from __future__ import annotations

import http.client
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

BUYER = ("bench-buyer@example.org", "Bench Buyer")
ADMIN = ("bench-admin@example.org", "Bench Admin")
PASSWORD = "bench-people-2026"  # noqa: S105 - benchmark people, printed on purpose
CART_WORKS = 3
LIGHTBOXES = 3
_CSRF = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
_ASSET_ID = re.compile(r"^/assets/(\d+)")


@dataclass
class People:
    logins: dict[str, tuple[str, str]]  # role -> (email, password)
    related_ms_per_work: float


def _app(database_url: str, instance: Path):  # type: ignore[no-untyped-def]
    from marketplace import create_app

    return create_app(
        {
            "PROFILE": "test",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": str(instance),
            "TASKS_INLINE": True,
        }
    )


def prepare_people(database_url: str, asset_paths: list[str]) -> People:
    import sqlalchemy as sa

    from bench.catalogue import BENCH_PASSWORD, _email
    from marketplace.accounts.models import User
    from marketplace.accounts.services import sign_up
    from marketplace.admin.services import create_admin
    from marketplace.catalogue.related_store import refresh
    from marketplace.extensions import db
    from marketplace.lightboxes import services as lightboxes
    from marketplace.orders.models import CartItem
    from marketplace.orders.services import ItemRequest, add_to_cart

    asset_ids = [int(m.group(1)) for p in asset_paths if (m := _ASSET_ID.match(p))]
    with tempfile.TemporaryDirectory(prefix="bench-people-") as scratch:
        app = _app(database_url, Path(scratch) / "instance")
        with app.app_context():
            buyer = db.session.execute(
                sa.select(User).where(User.email == BUYER[0])
            ).scalar_one_or_none()
            if buyer is None:
                buyer = sign_up(BUYER[0], PASSWORD, BUYER[1])
                for asset_id in asset_ids[:CART_WORKS]:
                    add_to_cart(buyer, ItemRequest(asset_id, "standard", "S"))
                for number in range(LIGHTBOXES):
                    chosen = asset_ids[number * 2 : number * 2 + 2]
                    box = lightboxes.add_to_new(buyer, f"Bench board {number + 1}", chosen[0])
                    for asset_id in chosen[1:]:
                        lightboxes.add_item(buyer, box.item.lightbox_id, asset_id)
            assert db.session.execute(
                sa.select(sa.func.count()).where(CartItem.user_id == buyer.id)
            ).scalar_one()
            create_admin(ADMIN[0], PASSWORD, ADMIN[1])
            started = time.perf_counter()
            for asset_id in asset_ids:
                refresh(asset_id)
            seconds = time.perf_counter() - started
            db.session.remove()
            db.engine.dispose()
    return People(
        {
            "buyer": (BUYER[0], PASSWORD),
            "member": (_email(1), BENCH_PASSWORD),
            "admin": (ADMIN[0], PASSWORD),
        },
        seconds * 1000 / max(len(asset_ids), 1),
    )


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]


def _request(
    port: int, method: str, path: str, jar: dict[str, str], body: str | None = None
) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())}
    if body is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
        _cookies(response, jar)
        return response.status, text
    finally:
        connection.close()


def sign_in(port: int, email: str, password: str) -> str:
    """Signs in through the login form; the Cookie header of the signed-in browser."""
    jar: dict[str, str] = {}
    status, page = _request(port, "GET", "/login", jar)
    token = _CSRF.search(page)
    if status != 200 or token is None:
        raise RuntimeError(f"/login answered {status} without a CSRF token")
    form = urlencode({"csrf_token": token.group(1), "email": email, "password": password})
    status, _ = _request(port, "POST", "/login", jar, form)
    if status != 302:
        raise RuntimeError(f"signing in as {email} answered {status}")
    # The welcome message is shown once; show it here, not on a timed page.
    _request(port, "GET", "/account", jar)
    return "; ".join(f"{k}={v}" for k, v in jar.items())
