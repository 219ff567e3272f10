"""CPU time per page in one process next to hello's: bench.pages' shares without the load.

``bench.pages`` measures requests per second through gunicorn and wrk; on a machine that other
work keeps busy, its figures move with that work. This measures what a request costs the web
process itself: ``time.process_time()`` over N requests through Flask's test client (no HTTP,
no gunicorn), for hello, the asset pages (anonymous, and the buyer of ``bench.pages_people``),
the buyer's search page (a signed-in answer has the viewer's own parts rendered in), with the
page cache in this process (``memory``, after one request per address) and off (``none``).
A share is hello's CPU time over the page's: what the page's rate would be next to hello's on
an idle machine, before the HTTP server's own cost, which narrows every share.

Run after ``bench.pages`` prepared the catalogue (its people and related work):
``.venv/bin/python -m bench.pages_cpu DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402

from bench.catalogue import build_vocabulary  # noqa: E402
from bench.pages_people import BUYER, PASSWORD  # noqa: E402

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def make_app(database_url: str, cache: str) -> Flask:
    from marketplace import create_app

    app = create_app(
        {
            "PROFILE": "demo",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-cpu-"),
            "PAGE_CACHE": cache,
            "PAGE_CACHE_TTL_SECONDS": 3600,
            "PAGE_CACHE_MAX_ENTRIES": 10_000,
            "RATELIMIT_STORAGE_URI": "memory://",
            "SECRET_KEY": uuid.uuid4().hex * 2,
        }
    )
    app.add_url_rule("/_bench/hello", "bench_hello", lambda: "hello")
    return app


def cpu_ms(client: FlaskClient, paths: list[str], requests: int) -> float:
    """Mean CPU milliseconds per request, after one untimed request per address."""
    for path in paths:
        client.get(path)
    started = time.process_time()
    for number in range(requests):
        response = client.get(paths[number % len(paths)])
        if response.status_code != 200:
            raise RuntimeError(f"{paths[number % len(paths)]} answered {response.status_code}")
    return (time.process_time() - started) * 1000 / requests


def signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    token = _CSRF.search(client.get("/login").get_data(as_text=True))
    assert token is not None
    form = {"csrf_token": token.group(1), "email": BUYER[0], "password": PASSWORD}
    if client.post("/login", data=form).status_code != 302:
        raise RuntimeError("run bench.pages on this catalogue first: it adds the buyer")
    client.get("/account")  # the welcome message
    return client


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("database_url")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args(argv)
    engine = sa.create_engine(args.database_url)
    with engine.connect() as connection:
        prepared = connection.execute(
            sa.text("SELECT asset_id FROM related_works ORDER BY asset_id LIMIT 50")
        )
        asset_ids = [int(row[0]) for row in prepared]
    engine.dispose()
    if not asset_ids:
        raise SystemExit("No related work prepared: run bench.pages on this catalogue first.")
    searches = [f"/search?q={word}" for word in build_vocabulary(seed=0)[:20]]
    print(f"{'cache':7} {'page':26} {'CPU ms':>8} {'of hello':>9}")
    for cache in ("memory", "none"):
        app = make_app(args.database_url, cache)
        anonymous = app.test_client()
        assets = [anonymous.get(f"/assets/{i}").headers["Location"] for i in asset_ids]
        buyer = signed_in(app)
        hello = cpu_ms(anonymous, ["/_bench/hello"], args.requests * 3)
        rows = {
            "hello": hello,
            "asset page": cpu_ms(anonymous, assets, args.requests),
            "asset page, buyer": cpu_ms(buyer, assets, args.requests),
            "search, buyer": cpu_ms(buyer, searches, args.requests),
        }
        for name, ms in rows.items():
            print(f"{cache:7} {name:26} {ms:8.2f} {hello / ms:9.1%}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
