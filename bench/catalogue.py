"""A synthetic catalogue for benchmarks: contributors and published assets, loaded fast.

Use from another benchmark::

    from bench.catalogue import generate_catalogue

    info = generate_catalogue("postgresql+psycopg://postgres@127.0.0.1:5432/bench_x", 1_000_000)

or from the command line (``.venv/bin/python -m bench.catalogue URL --rows N``). The database
must be empty: the schema comes from the Alembic migrations (``flask_migrate.upgrade``), so it
is exactly the production schema, member classes included. Then, without the ORM:

* ``contributors`` users, each an active member of the "artists" class, all with the password
  ``BENCH_PASSWORD`` (one argon2 hash shared by all, so later benchmarks can sign in);
* ``rows`` published photos and videos. Keywords: 10-40 per asset, drawn without replacement
  from a vocabulary (``build_vocabulary``: a few hundred real stock-photo words, then made-up
  words) with Zipf weights (exponent 1), so the first words are in most assets and the last in
  about a thousand per million. Titles and descriptions are made of the asset's own keywords.
  Assets are spread over contributors with a skew (a few prolific ones), over all orientations
  (landscape, portrait, square, panoramic) and kinds (8 % video), with 3-5 dominant colours.
  Ids follow upload order and ``published_at`` follows ids with a review delay of hours to
  days, over two years: as in a real catalogue, a higher id is almost always newer work.

The data depends only on ``seed`` (and ``rows``, ``contributors``, ``vocabulary_size``), so
both engines get the same catalogue. Loading: PostgreSQL uses ``COPY`` with the table's
secondary indexes (the GIN index included) dropped and recreated from their own definitions
afterwards, then ``VACUUM ANALYZE``; SQLite uses ``executemany`` in large transactions with
``synchronous=OFF``, the full-text triggers dropped during the load, one FTS5 ``rebuild`` and
the triggers recreated from the very SQL the migration stored, then ``ANALYZE``.

The work is spread over ``catalogue_words`` (the vocabulary and names), ``catalogue_rows`` (the
generated columns), ``catalogue_load`` (what both loaders share), ``catalogue_postgresql`` and
``catalogue_sqlite`` (the loaders); this module ties them together and keeps the names other
benchmarks import from it.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.catalogue_french import FRENCH  # noqa: E402
from bench.catalogue_load import (  # noqa: E402
    _fill_vocabulary_table,
    _Phases,
    _table_columns,
    database_size,
)
from bench.catalogue_postgresql import _copy_text, _load_postgresql  # noqa: E402
from bench.catalogue_rows import (  # noqa: E402
    CATALOGUE_YEARS,
    _catalogue_end,
    _email,
    _people_columns,
    _Plan,
    _timestamps,
)
from bench.catalogue_sqlite import _load_sqlite  # noqa: E402
from bench.catalogue_words import (  # noqa: E402
    DEFAULT_VOCABULARY,
    TITLE_LINKS,
    build_vocabulary,
    zipf_cdf,
)

# What other benchmarks import from here (bench.search, bench.pages, bench.payments,
# bench.dividends, bench.dividends_sales), whichever module now holds it.
__all__ = [
    "BENCH_PASSWORD",
    "DEFAULT_VOCABULARY",
    "TITLE_LINKS",
    "CatalogueInfo",
    "_copy_text",
    "_timestamps",
    "build_vocabulary",
    "database_size",
    "generate_catalogue",
    "main",
    "upgrade_catalogue",
    "zipf_cdf",
]

BENCH_PASSWORD = "bench-contributor-2026"  # noqa: S105 - benchmark data, printed on purpose


@dataclass
class CatalogueInfo:
    """What was generated, for the benchmark that uses it (and to decide whether to reuse)."""

    database_url: str
    dialect: str
    rows: int
    contributors: int
    seed: int
    revision: str
    vocabulary: list[str]  # most common first
    document_counts: list[int]  # assets with each vocabulary word, same order
    first_asset_id: int
    last_asset_id: int
    member_ids: list[int]  # members.id of the contributors (member_number = position + 1)
    published_from: str  # ISO 8601, UTC
    published_to: str
    password: str = BENCH_PASSWORD
    # The share of assets described in French, and each vocabulary word's French form (the
    # word itself when it has none) with the French assets holding it, same order.
    french_share: float = 0.0
    french_vocabulary: list[str] = field(default_factory=list)
    french_document_counts: list[int] = field(default_factory=list)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)
    size_bytes: int = 0

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> CatalogueInfo:
        return cls(**json.loads(text))

    def email(self, member_number: int) -> str:
        return _email(member_number)


def upgrade_catalogue(database_url: str) -> str:
    """Bring an existing catalogue to the newest migration; returns the revision it is now at.

    Later migrations rarely touch the generated rows, so this is far cheaper than generating
    a million assets again.
    """
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.extensions import db

    url = sa.engine.make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.drivername == "postgresql":
        database_url = url.set(drivername="postgresql+psycopg").render_as_string(False)
    with tempfile.TemporaryDirectory(prefix="catalogue-") as scratch:
        app = create_app(
            {
                "PROFILE": "test",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": str(Path(scratch) / "instance"),
                "TASKS_INLINE": True,
            }
        )
        with app.app_context():
            upgrade()
            with db.engine.connect() as connection:
                revision = connection.execute(
                    sa.text("SELECT version_num FROM alembic_version")
                ).scalar()
            db.engine.dispose()
    return str(revision)


def generate_catalogue(
    database_url: str,
    rows: int,
    contributors: int = 5000,
    seed: int = 0,
    *,
    vocabulary_size: int = DEFAULT_VOCABULARY,
    instance_path: str | Path | None = None,
    french_share: float = 0.0,
) -> CatalogueInfo:
    """Migrate the empty database at ``database_url`` and fill it with a catalogue.

    ``rows`` published assets by ``contributors`` members; the same data for the same
    arguments on every database. Returns what was generated, with the time it took.
    """
    from flask_migrate import upgrade

    from marketplace import create_app
    from marketplace.accounts.passwords import hash_password
    from marketplace.extensions import db

    started = time.perf_counter()
    phases = _Phases()
    url = sa.engine.make_url(database_url)
    dialect = url.get_backend_name()
    if dialect not in ("postgresql", "sqlite"):
        raise ValueError(f"No catalogue loader for {dialect}.")
    if dialect == "postgresql" and url.drivername == "postgresql":
        database_url = url.set(drivername="postgresql+psycopg").render_as_string(False)
    with tempfile.TemporaryDirectory(prefix="catalogue-") as scratch:
        app = create_app(
            {
                "PROFILE": "test",
                "SQLALCHEMY_DATABASE_URI": database_url,
                "INSTANCE_PATH": str(instance_path or Path(scratch) / "instance"),
                "TASKS_INLINE": True,
            }
        )
        with app.app_context():
            upgrade()
            engine = db.engine
            with engine.connect() as connection:
                if connection.execute(sa.text("SELECT count(*) FROM assets")).scalar_one():
                    raise RuntimeError(f"{database_url} already has assets: give an empty one.")
                revision = str(
                    connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
                )
                member_class_id = connection.execute(
                    sa.text("SELECT id FROM member_classes WHERE code = 'artists'")
                ).scalar_one()
                first_user = int(
                    connection.execute(sa.text("SELECT coalesce(max(id), 0) FROM users")).scalar()
                    or 0
                )
            columns = {t: _table_columns(engine, t) for t in ("users", "members", "assets")}
            password_hash = hash_password(BENCH_PASSWORD)
            phases.done(f"migrations (to {revision})")

            end = _catalogue_end()
            vocabulary = build_vocabulary(vocabulary_size, seed)
            member_ids = list(range(first_user + 1, first_user + contributors + 1))
            shares = np.random.default_rng([seed, 3]).permutation(
                1.0 / np.arange(1, contributors + 1) ** 0.8
            )
            member_cdf = np.cumsum(shares / shares.sum())
            member_cdf[-1] = 1.0
            plan = _Plan(
                rows=rows,
                contributors=contributors,
                seed=seed,
                vocabulary=vocabulary,
                words=np.asarray(vocabulary, dtype=object),
                cdf=zipf_cdf(len(vocabulary)),
                member_ids=member_ids,
                member_cdf=member_cdf,
                start=end - timedelta(days=365 * CATALOGUE_YEARS),
                end=end,
                postgresql=dialect == "postgresql",
                document_counts=np.zeros(len(vocabulary), dtype=np.int64),
                french_share=french_share,
                french_words=np.asarray([FRENCH.get(w, w) for w in vocabulary], dtype=object),
                french_document_counts=np.zeros(len(vocabulary), dtype=np.int64),
            )
            people = _people_columns(plan, password_hash, int(member_class_id))
            engine.dispose()
            loader = _load_postgresql if dialect == "postgresql" else _load_sqlite
            loader(database_url, plan, people, columns, phases)
            with engine.begin() as connection:
                # Member numbers are handed out by this counter: carry on after ours.
                sequences = sa.table("named_sequences", sa.column("name"), sa.column("value"))
                connection.execute(sa.delete(sequences).where(sequences.c.name == "member_number"))
                connection.execute(
                    sa.insert(sequences).values(name="member_number", value=contributors)
                )
            _fill_vocabulary_table(engine, plan)
            engine.dispose()
    size = database_size(database_url)
    return CatalogueInfo(
        database_url=database_url,
        dialect=dialect,
        rows=rows,
        contributors=contributors,
        seed=seed,
        revision=revision,
        vocabulary=vocabulary,
        document_counts=plan.document_counts.tolist(),
        french_share=french_share,
        french_vocabulary=[FRENCH.get(w, w) for w in vocabulary],
        french_document_counts=(
            plan.french_document_counts.tolist() if plan.french_document_counts is not None else []
        ),
        first_asset_id=1,
        last_asset_id=rows,
        member_ids=member_ids,
        published_from=plan.start.isoformat(),
        published_to=plan.end.isoformat(),
        seconds=round(time.perf_counter() - started, 1),
        phases=phases.seconds,
        size_bytes=size,
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("database_url", help="an empty database: sqlite:///FILE or postgresql://")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--contributors", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    info = generate_catalogue(args.database_url, args.rows, args.contributors, args.seed)
    summary = {k: v for k, v in asdict(info).items() if k not in ("vocabulary", "member_ids")}
    summary["document_counts"] = summary["document_counts"][:10]
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
