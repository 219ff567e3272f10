"""What ``bench.pages`` serves and asks for: the catalogue, and the addresses of each target.

``prepare_catalogue`` generates a catalogue (or takes one already filled); ``build_targets``
lists hello, the two search targets (common words, and common words with filters), a sample
of asset pages at their canonical addresses, and the same pages for signed-in people;
``admin_targets`` the admin's dashboard and lists at their last page.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.catalogue import build_vocabulary, generate_catalogue, upgrade_catalogue
from marketplace.ledger.views import JOURNAL_PER_PAGE

FILTERS = (
    "kind=photo&orientation=landscape",
    "kind=photo&people=no&sort=newest",
    "orientation=portrait&people=yes",
    "kind=video&sort=newest",
)


@dataclass
class Target:
    """Addresses loaded as one target, as whom, and the issue's targets for them."""

    name: str
    paths: list[str]
    checked: bool = False  # held to issue 14's 25 % (search pages, anonymous)
    who: str = "anonymous"  # or a role of bench.pages_people: buyer, member, admin
    min_share: float | None = None  # of hello's requests/s, with a page cache on
    min_share_uncached: float | None = None  # the same, with the cache off
    max_p95_ms: float | None = None  # one client, one connection
    cookie: str = ""  # filled in once the server runs and the person signed in


def _create_postgresql_database(url: str) -> None:
    """Creates the PostgreSQL database ``url`` names when it does not exist yet."""
    import psycopg

    from bench.dividends_sales import PG_ADMIN_URL

    name = sa.engine.make_url(url).database
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        if found.fetchone() is None:
            print(f"Creating the PostgreSQL database {name}", flush=True)
            connection.execute(f'CREATE DATABASE "{name}"')


def catalogue_counts(url: str) -> tuple[int, int]:
    """(assets, orders) in the database at ``url``; (0, 0) when it has no tables yet."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            assets = connection.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
            orders = connection.execute(sa.text("SELECT count(*) FROM orders")).scalar_one()
    except sa.exc.DBAPIError:
        return 0, 0  # no tables yet: an empty database
    finally:
        engine.dispose()
    return int(assets), int(orders)


def prepare_catalogue(args: argparse.Namespace, folder: Path) -> tuple[str, str]:
    """The database URL to serve, and a line describing it.

    An empty (or missing) database gets ``args.rows`` assets, then ``args.sales`` sales
    (order items, with their ledger entries) for the admin lists; a filled one is used as it
    is (brought to the newest migration first), but gets the sales when it has no orders yet
    and ``args.sales`` asks for some.
    """
    from bench.dividends_sales import load_sales

    url = args.database_url or f"sqlite:///{folder / 'catalogue.sqlite'}"
    dialect = sa.engine.make_url(url).get_backend_name()
    if dialect == "postgresql":
        _create_postgresql_database(url)
    elif dialect == "sqlite":
        Path(sa.engine.make_url(url).database or "").parent.mkdir(parents=True, exist_ok=True)
    assets, orders = catalogue_counts(url)
    if assets:
        revision = upgrade_catalogue(url)  # indexes added since it was generated
        print(f"Using the {assets:,} assets already in {url} (at {revision})", flush=True)
        description = f"{assets:,} assets in {dialect} (reused)"
    else:
        print(f"Generating {args.rows:,} assets in {url}", flush=True)
        info = generate_catalogue(url, args.rows, args.contributors, args.seed)
        print(f"  generated in {info.seconds:.0f} s", flush=True)
        url = info.database_url
        description = f"{info.rows:,} assets, {info.contributors:,} contributors, {dialect}"
    if not orders and args.sales:
        started = time.perf_counter()
        print(f"Loading {args.sales:,} sales (order items) for the admin lists", flush=True)
        loaded = load_sales(url, args.sales, args.seed)
        print(
            f"  {loaded['orders']:,} orders loaded in {time.perf_counter() - started:.0f} s",
            flush=True,
        )
        orders = loaded["orders"]
    return url, f"{description}, {orders:,} orders"


def build_targets(database_url: str, seed: int, asset_pages: int) -> list[Target]:
    from marketplace.catalogue.pages import slugify

    words = build_vocabulary(seed=seed)[:20]
    common = [f"/search?q={word}" for word in words]
    filtered = [
        f"/search?q={word}&{FILTERS[i % len(FILTERS)]}" for i, word in enumerate(words[:8] * 3)
    ]
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as connection:
            low, high = connection.execute(sa.text("SELECT min(id), max(id) FROM assets")).one()
            if low is None:
                raise SystemExit(f"{database_url} has no assets.")
            rng = np.random.default_rng([seed, 21])
            candidates = sorted({int(i) for i in rng.integers(low, high + 1, asset_pages * 3)})
            statement = sa.text(
                "SELECT id, title FROM assets WHERE id IN :ids AND status = 'published' "
                "AND withdrawn_at IS NULL ORDER BY id"
            ).bindparams(sa.bindparam("ids", expanding=True))
            rows = connection.execute(statement, {"ids": candidates}).all()
    finally:
        engine.dispose()
    chosen = [rows[int(i)] for i in rng.permutation(len(rows))[:asset_pages]]
    assets = [
        f"/assets/{i}-{slugify(title)}" if slugify(title) else f"/assets/{i}" for i, title in chosen
    ]
    return [
        Target("hello", ["/_bench/hello"]),
        Target("search, common word", common, checked=True, min_share=0.25),
        Target("search, filters", filtered, checked=True, min_share=0.25),
        Target("asset page", assets, min_share_uncached=0.10),
        Target("search, buyer", common, who="buyer", min_share=0.08),
        Target("asset page, buyer", assets, who="buyer", min_share=0.15, max_p95_ms=50),
        Target("asset page, member", assets, who="member"),
        Target("home, buyer", ["/"], who="buyer"),
    ]


def admin_targets(database_url: str) -> list[Target]:
    """The admin's dashboard and lists, each at its last page (where OFFSET costs most)."""
    engine = sa.create_engine(database_url)
    counts: dict[str, int] = {}
    try:
        with engine.connect() as connection:
            for table in ("orders", "journal_entries", "users"):
                counts[table] = connection.execute(
                    sa.text(f"SELECT count(*) FROM {table}")  # noqa: S608 - fixed names
                ).scalar_one()
    finally:
        engine.dispose()

    def last(count: int, per_page: int) -> int:
        return max(1, -(-count // per_page))

    pages = {
        "admin dashboard": "/admin/",
        "admin orders, last page": f"/admin/orders?page={last(counts['orders'], 50)}",
        "admin journal, last page": (
            f"/admin/ledger/journal?page={last(counts['journal_entries'], JOURNAL_PER_PAGE)}"
        ),
        "admin members, last page": f"/admin/users?page={last(counts['users'], 25)}",
        "admin curation queue": "/admin/assets/",
    }
    return [Target(name, [path], who="admin", max_p95_ms=100) for name, path in pages.items()]
