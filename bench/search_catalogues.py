"""The catalogue each engine searches: generated for the run, or reused from ``--reuse DIR``.

A reused catalogue is described by ``catalogue-ENGINE.json`` in DIR (``CatalogueInfo`` as
JSON); it is used while rows, seed and contributors match, migrated forward when only the
migrations moved on, and generated again otherwise. PostgreSQL catalogues live in databases
named ``bench_search_…`` created through ``MARKETPLACE_BENCH_PG``; SQLite ones in DIR.
"""

from __future__ import annotations

import argparse
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bench.catalogue import CatalogueInfo, generate_catalogue, upgrade_catalogue

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get(
    "MARKETPLACE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Prepared:
    url: str
    info: CatalogueInfo
    generated: bool
    database: str | None = None  # the PostgreSQL database to drop at the end


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory(str(ROOT / "migrations")).get_current_head())


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        connection.execute(sql)


def _pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def _pg_url(name: str) -> str:
    base = sa.engine.make_url(PG_ADMIN_URL).set(drivername="postgresql+psycopg", database=name)
    return base.render_as_string(hide_password=False)


def prepare(engine: str, args: argparse.Namespace, folder: Path) -> Prepared:
    """A catalogue for ``engine``: reused from ``--reuse DIR`` when it matches, else generated."""
    marker = folder / f"catalogue-{engine}.json"
    if args.reuse and marker.exists():
        info = CatalogueInfo.from_json(marker.read_text())
        matches = (info.rows, info.seed, info.contributors, info.revision) == (
            args.rows,
            args.seed,
            args.contributors,
            _alembic_head(),
        )
        same_french = info.french_share == args.french_share
        name = sa.engine.make_url(info.database_url).database or ""
        present = _pg_exists(name) if engine == "postgresql" else Path(name).exists()
        same_rows = same_french and (info.rows, info.seed, info.contributors) == (
            args.rows,
            args.seed,
            args.contributors,
        )
        matches = matches and same_french
        if same_rows and present and not matches:
            print(f"Migrating the {ENGINE_NAMES[engine]} catalogue to {_alembic_head()}")
            info.revision = upgrade_catalogue(info.database_url)
            marker.write_text(info.to_json())
            matches = info.revision == _alembic_head()
        if matches and present:
            print(f"Reusing the {ENGINE_NAMES[engine]} catalogue in {info.database_url}")
            return Prepared(info.database_url, info, generated=False)
        print(f"Not reusing {info.database_url}: it no longer matches; generating again.")
        if engine == "postgresql" and present:
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        marker.unlink()
    if engine == "postgresql":
        database = f"bench_search_{secrets.token_hex(4)}"
        _pg_admin(f'CREATE DATABASE "{database}"')
        url = _pg_url(database)
    else:
        database = None
        path = folder / "catalogue.sqlite"
        for leftover in folder.glob("catalogue.sqlite*"):
            leftover.unlink()
        url = f"sqlite:///{path}"
    print(f"Generating {args.rows:,} assets on {ENGINE_NAMES[engine]} ({url})", flush=True)
    try:
        info = generate_catalogue(
            url, args.rows, args.contributors, args.seed, french_share=args.french_share
        )
    except BaseException:
        if database and not (args.keep or args.reuse):
            _pg_admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        raise
    if args.reuse:
        marker.write_text(info.to_json())
    return Prepared(url, info, generated=True, database=database)
