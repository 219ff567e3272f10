"""What ``bench.pages`` serves and asks for: the catalogue, and the addresses of each target.

``prepare_catalogue`` generates a catalogue (or takes one already filled); ``build_targets``
lists hello, the two search targets (common words, and common words with filters), a sample
of asset pages at their canonical addresses, and the same pages for signed-in people;
``admin_targets`` the admin's dashboard and lists at their last page.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from bench.catalogue import build_vocabulary, generate_catalogue

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


def prepare_catalogue(args: argparse.Namespace, folder: Path) -> tuple[str, str]:
    """The database URL to serve, and a line describing it."""
    url = args.database_url or f"sqlite:///{folder / 'catalogue.sqlite'}"
    if args.database_url:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as connection:
                assets = connection.execute(sa.text("SELECT count(*) FROM assets")).scalar_one()
        except sa.exc.DBAPIError:
            assets = 0  # no tables yet: an empty database
        finally:
            engine.dispose()
        if assets:
            print(f"Using the {assets:,} assets already in {url}", flush=True)
            return url, f"{assets:,} assets in {engine.dialect.name} (reused)"
    print(f"Generating {args.rows:,} assets in {url}", flush=True)
    info = generate_catalogue(url, args.rows, args.contributors, args.seed)
    print(f"  generated in {info.seconds:.0f} s", flush=True)
    return (
        info.database_url,
        f"{info.rows:,} assets, {info.contributors:,} contributors, {info.dialect}",
    )


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
            f"/admin/ledger/journal?page={last(counts['journal_entries'], 50)}"
        ),
        "admin members, last page": f"/admin/users?page={last(counts['users'], 25)}",
        "admin curation queue": "/admin/assets/",
    }
    return [Target(name, [path], who="admin", max_p95_ms=100) for name, path in pages.items()]
