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
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from queue import Queue
from typing import Any, TypeVar

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

_T = TypeVar("_T")

BENCH_PASSWORD = "bench-contributor-2026"  # noqa: S105 - benchmark data, printed on purpose
DEFAULT_VOCABULARY = 4000
ZIPF_EXPONENT = 1.0
KEYWORDS_PER_ASSET = (10, 40)
CATALOGUE_YEARS = 2
CHUNK_ROWS = 20_000
VIDEO_SHARE = 0.08

# The words stock photographers use most, roughly most common first: the head of the Zipf
# distribution. Every word here is a single token for FTS5 and for PostgreSQL's 'english'
# configuration, and none is one of its stop words.
HEAD_WORDS = """
people nature outdoors woman lifestyle man travel city summer beautiful happy background
landscape portrait young adult sky water food business family light colorful day smiling
green blue sunset winter beach holiday natural children fun tree autumn modern architecture
street urban vintage sea sun together friends love relaxation healthy fresh night black white
red house home view flower forest mountain spring snow child girl boy couple vacation work
technology office computer laptop phone hand close texture pattern abstract wood old new
garden park river lake ocean wave sand rock stone road car bicycle walking running sport
fitness yoga dog cat animal bird horse farm field grass leaf plant coffee cup drink table
kitchen cooking eating dinner breakfast lunch restaurant bread fruit vegetable salad dessert
cake wine party celebration christmas wedding bride music guitar dance art creative design
fashion style dress hair face eyes smile laughing thinking reading book school student
learning teacher education science medicine doctor health hospital care senior baby mother
father daughter son brother sister teenager diversity culture tradition religion church
temple market shopping store money finance success teamwork meeting communication sunlight
shadow reflection window door wall floor interior bedroom bathroom living room sofa chair
bed pillow blanket candle lamp plants flowers rose tulip sunflower daisy lavender herbs
spices tea chocolate cheese pasta pizza burger sushi soup rice meat fish seafood chicken
egg milk juice beer cocktail glass bottle plate bowl spoon knife fork napkin picnic camping
hiking adventure tent backpack map journey train airport airplane boat ship bridge tower
skyline downtown building skyscraper night-time neon traffic crowd festival concert stage
light-painting fireworks lantern desert canyon valley hill meadow waterfall cave island
tropical palm coast cliff harbor lighthouse pier dock fog mist rain storm cloud cloudy
sunrise dawn dusk twilight golden hour moon stars galaxy space planet earth environment
ecology sustainability recycling energy solar wind electric industry factory construction
worker engineer tools repair craft handmade pottery painting drawing sculpture photography
camera film retro minimal simplicity calm peaceful quiet serene lonely alone emotion sad
angry surprised excited joy freedom hope dream imagination fantasy mystery dark bright
pastel pink purple yellow orange brown gray silver gold turquoise teal navy beige
""".split()

# Spelling pieces for the long tail: made-up but pronounceable words ("tavorin", "meskulo").
_ONSETS = (
    "b c d f g h j k l m n p r s t v w z br cr dr fl gr kl pl pr sk sl sn st tr ch sh th".split()
)
_VOWELS = "a e i o u a e i o ai ea ou".split()
_CODAS = ("", "", "", "n", "r", "l", "s", "m", "k", "nd", "rt", "st", "x")

# PostgreSQL's English stop words that made-up words could hit; they would match nothing there.
_STOP_WORDS = frozenset(
    "a about above after again against all am an and any are as at be because been before being "
    "below between both but by can did do does doing don down during each few for from further "
    "had has have having he her here hers him his how i if in into is it its just me more most my "
    "no nor not now of off on once only or other our out over own same she should so some such "
    "than that the their them then there these they this those through to too under until up "
    "very was we were what when where which while who whom why will with you your".split()
)

TITLE_LINKS = ("in", "at", "on", "with", "by", "near", "under", "and")
CITIES = (
    "Lisbon Oslo Nairobi Kyoto Lima Quebec Hanoi Seville Tbilisi Reykjavik Marrakesh Valparaiso "
    "Bergen Cusco Tallinn Hobart Oaxaca Porto Krakow Accra Busan Cork Ghent Mendoza Bologna"
).split()
FIRST_NAMES = (
    "Ada Amara Ana Ben Carla Chen Dara Elif Emil Farah Greta Hana Ines Ivan Jonas Kai Lena Luca "
    "Maya Mina Nadia Noah Omar Priya Rosa Sami Sofia Tariq Uma Yara Zoe Aiko Bruno Chloe Diego"
).split()
LAST_NAMES = (
    "Okafor Lindqvist Moreau Tanaka Silva Novak Haddad Kowalski Rossi Nguyen Fischer Garcia "
    "Mensah Oliveira Petrov Sato Jensen Murphy Dubois Costa Ibrahim Kaur Alvarez Berg Yilmaz"
).split()
CAMERAS = (
    ("Canon EOS R5", "RF 24-70mm F2.8L"),
    ("Nikon Z 7II", "NIKKOR Z 24-120mm f/4 S"),
    ("Sony ILCE-7M4", "FE 35mm F1.4 GM"),
    ("Fujifilm X-T5", "XF 16-55mm F2.8"),
    ("Leica Q2", "Summilux 28mm f/1.7"),
    ("Apple iPhone 15 Pro", "iPhone 15 Pro back camera"),
)
# Dominant colours are drawn near these (sRGB), with a little jitter.
PALETTE = (
    (0x1B, 0x3A, 0x5C), (0x2E, 0x6F, 0xB5), (0x87, 0xC5, 0xEB), (0x2F, 0x5D, 0x3A),
    (0x6B, 0x8E, 0x23), (0xA8, 0xD5, 0x8F), (0xF4, 0xE1, 0xC1), (0xD2, 0xB4, 0x8C),
    (0x8B, 0x5A, 0x2B), (0x4A, 0x2C, 0x1A), (0xE0, 0x6C, 0x3C), (0xF2, 0xA6, 0x3B),
    (0xF7, 0xD0, 0x4A), (0xC0, 0x39, 0x2B), (0x8E, 0x1B, 0x3A), (0xE8, 0x9A, 0xB5),
    (0x7D, 0x3C, 0x98), (0x20, 0x20, 0x20), (0x60, 0x60, 0x60), (0xB0, 0xB0, 0xB0),
    (0xF5, 0xF5, 0xF0), (0x00, 0x80, 0x80), (0x3E, 0x4A, 0x61), (0xC9, 0xA2, 0x27),
)  # fmt: skip


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


def _email(member_number: int) -> str:
    return f"contributor{member_number:05d}@bench.example"


def build_vocabulary(size: int = DEFAULT_VOCABULARY, seed: int = 0) -> list[str]:
    """``size`` distinct words, most common first: ``HEAD_WORDS``, then made-up words."""
    words: list[str] = []
    seen: set[str] = set()
    for word in HEAD_WORDS:
        if word not in seen and "-" not in word:
            seen.add(word)
            words.append(word)
    rng = np.random.default_rng([seed, 7])
    while len(words) < size:
        syllables = int(rng.integers(2, 4))
        word = "".join(
            _ONSETS[int(rng.integers(len(_ONSETS)))]
            + _VOWELS[int(rng.integers(len(_VOWELS)))]
            + (_CODAS[int(rng.integers(len(_CODAS)))] if i == syllables - 1 else "")
            for i in range(syllables)
        )
        if len(word) >= 5 and word not in seen and word not in _STOP_WORDS:
            seen.add(word)
            words.append(word)
    return words[:size]


def zipf_cdf(size: int, exponent: float = ZIPF_EXPONENT) -> np.ndarray:
    weights = 1.0 / np.arange(1, size + 1, dtype=np.float64) ** exponent
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    return cdf


def _catalogue_end() -> datetime:
    """The newest publication date: the start of today (UTC), so "added since" filters work."""
    now = datetime.now(UTC)
    return datetime(now.year, now.month, now.day, tzinfo=UTC)


def _timestamps(micros: np.ndarray, postgresql: bool) -> list[str]:
    """UTC timestamps as text each database reads: SQLAlchemy's SQLite format, or ISO + zone."""
    text = np.datetime_as_string(micros.astype("datetime64[us]"), unit="us")
    if postgresql:
        return [t + "+00" for t in text.tolist()]
    return [t.replace("T", " ") for t in text.tolist()]


@dataclass
class _Plan:
    """Everything the row generator needs, fixed before the first row."""

    rows: int
    contributors: int
    seed: int
    vocabulary: list[str]
    words: np.ndarray  # the vocabulary as an object array, for fancy indexing
    cdf: np.ndarray
    member_ids: list[int]
    member_cdf: np.ndarray
    start: datetime
    end: datetime
    postgresql: bool
    document_counts: np.ndarray


def _json_strings(values: list[str]) -> str:
    """``json.dumps`` of a list of plain strings (no quotes, backslashes or non-ASCII), faster."""
    return '["' + '", "'.join(values) + '"]' if values else "[]"


def _asset_chunk(plan: _Plan, first_id: int, n: int, chunk: int) -> dict[str, list[Any]]:
    """The columns of ``n`` assets starting at ``first_id``, the same for every database."""
    rng = np.random.default_rng([plan.seed, 1, chunk])
    ids = np.arange(first_id, first_id + n, dtype=np.int64)
    position = ids - 1  # asset ids start at 1 on a fresh database

    # Keywords: sequential Zipf draws with repeats skipped, which is sampling without
    # replacement; 80 draws always give more than 40 distinct words with these weights.
    counts = rng.integers(KEYWORDS_PER_ASSET[0], KEYWORDS_PER_ASSET[1] + 1, n)
    draws = np.searchsorted(plan.cdf, rng.random((n, 80)))
    order = np.argsort(draws, axis=1, kind="stable")
    ordered = np.take_along_axis(draws, order, axis=1)
    repeat = np.zeros(ordered.shape, dtype=bool)
    repeat[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
    first = np.empty_like(repeat)
    np.put_along_axis(first, order, ~repeat, axis=1)
    keep = first & (np.cumsum(first, axis=1) <= counts[:, None])
    chosen = draws[keep]  # row by row, in draw order
    np.add.at(plan.document_counts, chosen, 1)
    ends = np.cumsum(keep.sum(axis=1)).tolist()
    flat_words = plan.words[chosen].tolist()
    keyword_lists = [flat_words[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]

    # Titles and descriptions from the asset's own keywords: "Beach family with dog".
    shapes = rng.integers(0, 4, n).tolist()
    links = rng.integers(0, len(TITLE_LINKS), n).tolist()
    cities = rng.integers(0, len(CITIES), n).tolist()
    titles: list[str] = []
    descriptions: list[str] = []
    for words, shape, link, city in zip(keyword_lists, shapes, links, cities, strict=True):
        a, b, c = words[0], words[1], words[2]
        if shape == 0:
            title = f"{a} {b}"
        elif shape == 1:
            title = f"{a} {b} {TITLE_LINKS[link]} {c}"
        elif shape == 2:
            title = f"{a} and {b}"
        else:
            title = f"{a} {b} {c}"
        title = title[0].upper() + title[1:]
        titles.append(title)
        descriptions.append(f"{title}, photographed in {CITIES[city]}: {', '.join(words[3:6])}.")

    # Members: a skewed share of the catalogue each.
    member_ids = np.asarray(plan.member_ids)[np.searchsorted(plan.member_cdf, rng.random(n))]

    # Kind, size and orientation.
    video = rng.random(n) < VIDEO_SHARE
    orientation = rng.choice(4, n, p=[0.55, 0.31, 0.07, 0.07])  # land, portrait, square, pano
    long_edge = rng.choice(np.array([4000, 5472, 6000, 6720, 8192]), n)
    ratio = rng.choice(np.array([1.5, 4 / 3, 16 / 9]), n)
    short_edge = np.round(long_edge / ratio).astype(np.int64)
    pano_width = np.round(long_edge * rng.uniform(2.1, 4.0, n)).astype(np.int64)
    width = np.select(
        [orientation == 0, orientation == 1, orientation == 2], [long_edge, short_edge, long_edge],
        pano_width,
    )  # fmt: skip
    height = np.select(
        [orientation == 0, orientation == 1, orientation == 2], [short_edge, long_edge, long_edge],
        long_edge,
    )  # fmt: skip
    video_format = rng.choice(3, n, p=[0.6, 0.3, 0.1])  # 4K, HD, vertical HD
    width = np.where(video, np.choose(video_format, [3840, 1920, 1080]), width)
    height = np.where(video, np.choose(video_format, [2160, 1080, 1920]), height)
    pixels = width * height
    size_bytes = np.where(
        video, rng.integers(20, 900, n) * 1_000_000, (pixels * rng.uniform(0.6, 1.6, n)).round()
    ).astype(np.int64)
    duration = rng.integers(5_000, 60_000, n)

    # Time: ids follow upload order over two years; publication after a review delay.
    span = (plan.end - plan.start).total_seconds() * 1e6
    start_us = int(plan.start.timestamp() * 1e6)
    created = start_us + (position * (span / plan.rows)).astype(np.int64)
    created -= rng.integers(0, 6 * 3600 * 10**6, n)  # uploads are not evenly spaced
    processed = created + rng.integers(20, 600, n) * 10**6
    review_delay = np.minimum(rng.exponential(36 * 3600, n), 14 * 86400) * 1e6
    published = np.minimum(created + review_delay.astype(np.int64), int(plan.end.timestamp() * 1e6))
    taken = created - (rng.exponential(40, n) * 86400 * 1e6).astype(np.int64)

    # Colours: 3-5 near palette colours, the first the most dominant.
    palette = np.asarray(PALETTE, dtype=np.int64)
    colour_picks = palette[rng.integers(0, len(PALETTE), (n, 5))]
    colour_picks = np.clip(colour_picks + rng.integers(-18, 19, (n, 5, 3)), 0, 255)
    colour_counts = rng.integers(3, 6, n).tolist()
    colour_numbers = (colour_picks @ np.array([65536, 256, 1])).tolist()
    colour_lists = [
        [f"#{c:06x}" for c in row[:k]] for row, k in zip(colour_numbers, colour_counts, strict=True)
    ]
    sha = rng.bytes(32 * n).hex()
    phash = rng.bytes(8 * n).hex()
    cameras = rng.integers(0, len(CAMERAS), n).tolist()
    id_list = ids.tolist()
    video_list = video.tolist()
    postgresql = plan.postgresql

    def flag(values: np.ndarray) -> list[Any]:
        return values.tolist() if postgresql else values.astype(np.int64).tolist()

    def when(values: np.ndarray) -> list[str]:
        return _timestamps(values, postgresql)

    extension = [".mp4" if v else ".jpg" for v in video_list]
    sha_list = [sha[i * 64 : (i + 1) * 64] for i in range(n)]
    published_text = when(published)
    return {
        "id": id_list,
        "member_id": member_ids.tolist(),
        "kind": ["video" if v else "photo" for v in video_list],
        "status": ["published"] * n,
        "title": titles,
        "description": descriptions,
        "keywords": [_json_strings(words) for words in keyword_lists],
        "keywords_text": [" ".join(words) for words in keyword_lists],
        "has_people": flag(rng.random(n) < 0.35),
        "has_property": flag(rng.random(n) < 0.1),
        "original_key": [
            f"originals/bench/{i:09d}-{s[:16]}{e}"
            for i, s, e in zip(id_list, sha_list, extension, strict=True)
        ],
        "original_filename": [
            f"{'CLIP' if v else 'IMG'}_{i % 10000:04d}{e.upper()}"
            for i, v, e in zip(id_list, video_list, extension, strict=True)
        ],
        "original_mime": ["video/mp4" if v else "image/jpeg" for v in video_list],
        "original_size_bytes": size_bytes.tolist(),
        "original_sha256": sha_list,
        "width": width.tolist(),
        "height": height.tolist(),
        "duration_ms": [
            d if v else None for d, v in zip(duration.tolist(), video_list, strict=True)
        ],
        "frame_rate": ["25" if v else None for v in video_list],
        "codec": ["h264" if v else None for v in video_list],
        "camera": [CAMERAS[c][0] for c in cameras],
        "lens": [CAMERAS[c][1] for c in cameras],
        "taken_at": when(taken),
        "colour_profile": ["sRGB IEC61966-2.1"] * n,
        "dominant_colours": [_json_strings(colours) for colours in colour_lists],
        "colour_r": colour_picks[:, 0, 0].tolist(),
        "colour_g": colour_picks[:, 0, 1].tolist(),
        "colour_b": colour_picks[:, 0, 2].tolist(),
        "phash": [phash[i * 16 : (i + 1) * 16] for i in range(n)],
        "suggested": ["{}"] * n,
        "thumbnail_key": [f"derived/{i}/thumb.jpg" for i in id_list],
        "preview_key": [f"derived/{i}/preview.jpg" for i in id_list],
        "poster_key": [
            f"derived/{i}/poster.jpg" if v else None
            for i, v in zip(id_list, video_list, strict=True)
        ],
        "failure_reason": [""] * n,
        "rejection_reason": [""] * n,
        "reviewed_at": published_text,
        "published_at": published_text,
        "withdrawn_at": [None] * n,
        "processed_at": when(processed),
        "created_at": when(created),
    }


def _people_columns(plan: _Plan, password_hash: str, member_class_id: int) -> tuple[dict, dict]:
    """Users and members: one active "artists" member per contributor."""
    rng = np.random.default_rng([plan.seed, 2])
    n = plan.contributors
    numbers = list(range(1, n + 1))
    joined_us = int(plan.start.timestamp() * 1e6) - rng.integers(0, 400 * 86400 * 10**6, n)
    joined = _timestamps(joined_us, plan.postgresql)
    first = rng.integers(0, len(FIRST_NAMES), n).tolist()
    last = rng.integers(0, len(LAST_NAMES), n).tolist()
    cities = rng.integers(0, len(CITIES), n).tolist()
    users = {
        "id": plan.member_ids,
        "email": [_email(number) for number in numbers],
        "display_name": [
            f"{FIRST_NAMES[f]} {LAST_NAMES[g]}" for f, g in zip(first, last, strict=True)
        ],
        "password_hash": [password_hash] * n,
        "is_admin": [False if plan.postgresql else 0] * n,
        "login_epoch": [0] * n,
        "created_at": joined,
    }
    members = {
        "id": plan.member_ids,
        "user_id": plan.member_ids,
        "member_number": numbers,
        "member_class_id": [member_class_id] * n,
        "joined_on": [j[:10] for j in joined],
        "status": ["active"] * n,
        "bio": [f"Photographer based in {CITIES[c]}." for c in cities],
        "location": [CITIES[c] for c in cities],
        "portfolio_url": [f"https://portfolio.example/{number}" for number in numbers],
        "created_at": joined,
    }
    return users, members


@dataclass
class _Column:
    name: str
    nullable: bool
    has_default: bool


def _table_columns(engine: sa.Engine, table: str) -> list[_Column]:
    inspector = sa.inspect(engine)
    columns = []
    for column in inspector.get_columns(table):
        if column.get("computed"):  # PostgreSQL's generated search_vector
            continue
        columns.append(
            _Column(column["name"], bool(column["nullable"]), column.get("default") is not None)
        )
    return columns


def _writable(table: str, columns: list[_Column], generated: dict[str, list[Any]]) -> list[str]:
    """The generated columns the table has; refuses when a required column is not generated."""
    missing = [
        c.name for c in columns if not c.nullable and not c.has_default and c.name not in generated
    ]
    if missing:
        raise RuntimeError(
            f"{table}.{', '.join(missing)}: NOT NULL without a default, and bench/catalogue.py "
            "does not generate it yet. Add it to the generator."
        )
    return [c.name for c in columns if c.name in generated]


def _psycopg_url(database_url: str) -> str:
    url = sa.engine.make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _sqlite_path(database_url: str) -> str:
    database = sa.engine.make_url(database_url).database
    if not database or database == ":memory:":
        raise ValueError("The catalogue needs a SQLite file, not an in-memory database.")
    return database


def database_size(database_url: str) -> int:
    """Bytes on disk: the database (PostgreSQL) or the file and its WAL (SQLite)."""
    if sa.engine.make_url(database_url).get_backend_name() == "postgresql":
        import psycopg

        with psycopg.connect(_psycopg_url(database_url)) as connection:
            row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
            return int(row[0]) if row else 0
    path = Path(_sqlite_path(database_url))
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _log(message: str) -> None:
    print(f"  [catalogue] {message}", file=sys.stderr, flush=True)


class _Phases:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._started, 2)
        _log(f"{name}: {now - self._started:.1f} s")
        self._started = now


def _chunks(plan: _Plan) -> Iterable[dict[str, list[Any]]]:
    first = 1
    chunk = 0
    while first <= plan.rows:
        n = min(CHUNK_ROWS, plan.rows - first + 1)
        yield _asset_chunk(plan, first, n, chunk)
        first += n
        chunk += 1


def _rows(columns: dict[str, list[Any]], names: Sequence[str]) -> Iterable[tuple[Any, ...]]:
    return zip(*(columns[name] for name in names), strict=True)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_column(values: list[Any]) -> list[str]:
    """One column in COPY's text format."""
    sample = next((v for v in values if v is not None), None)
    if isinstance(sample, bool):
        return ["\\N" if v is None else ("t" if v else "f") for v in values]
    if isinstance(sample, str):
        text = "".join(v for v in values if v is not None)
        if any(c in text for c in "\\\t\n\r"):
            values = [None if v is None else v.translate(_COPY_ESCAPES) for v in values]
        return ["\\N" if v is None else v for v in values]
    return ["\\N" if v is None else str(v) for v in values]


def _copy_text(columns: dict[str, list[Any]], names: Sequence[str]) -> str:
    """Rows for ``COPY ... FROM STDIN`` (text format)."""
    lines = map("\t".join, zip(*(_copy_column(columns[n]) for n in names), strict=True))
    return "\n".join(lines) + "\n"


def _in_background(items: Iterator[_T], depth: int = 2) -> Iterator[_T]:
    """``items``, produced by a thread up to ``depth`` ahead of the consumer."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)

    def produce() -> None:
        try:
            for item in items:
                queue.put((True, item))
            queue.put((False, None))
        except BaseException as error:  # handed to the consumer, raised there
            queue.put((False, error))

    thread = threading.Thread(target=produce, name="catalogue-rows", daemon=True)
    thread.start()
    while True:
        more, item = queue.get()
        if not more:
            thread.join()
            if item is not None:
                raise item
            return
        yield item


def _load_postgresql(
    database_url: str,
    plan: _Plan,
    people: tuple[dict, dict],
    columns: dict[str, list[_Column]],
    phases: _Phases,
) -> None:
    import psycopg
    from psycopg import sql as psql
    from psycopg.copy import QueuedLibpqWriter

    url = _psycopg_url(database_url)
    with psycopg.connect(url) as connection:
        # Secondary indexes (the GIN one above all) are built faster once, after the load.
        indexes = connection.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname "
            "WHERE i.schemaname = current_schema() AND i.tablename = 'assets' "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = c.oid)"
        ).fetchall()
        for name, _definition in indexes:
            connection.execute(psql.SQL("DROP INDEX {}").format(psql.Identifier(name)))
    # Computing the generated tsvector is most of the work: two COPYs, on two connections,
    # keep two server processes busy while this one generates the rows.
    with psycopg.connect(url) as first, psycopg.connect(url) as second:
        for connection in (first, second):
            # The rows are consistent by construction: skip the per-row foreign-key triggers.
            connection.execute("SET session_replication_role = replica")
            connection.execute("SET synchronous_commit = off")
        for table, generated in (("users", people[0]), ("members", people[1])):
            names = _writable(table, columns[table], generated)
            with first.cursor().copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                copy.write(_copy_text(generated, names))
        first.commit()
        phases.done("contributors")
        chunks = iter(_chunks(plan))
        generated = next(chunks)
        names = _writable("assets", columns["assets"], generated)
        statement = f"COPY assets ({', '.join(names)}) FROM STDIN"
        cursors = (first.cursor(), second.cursor())
        with (
            cursors[0].copy(statement, writer=QueuedLibpqWriter(cursors[0])) as copy_a,
            cursors[1].copy(statement, writer=QueuedLibpqWriter(cursors[1])) as copy_b,
        ):
            copy_a.write(_copy_text(generated, names))
            for number, generated in enumerate(chunks, start=1):
                (copy_b if number % 2 else copy_a).write(_copy_text(generated, names))
        first.commit()
        second.commit()
        phases.done("assets (COPY, tsvector generated)")
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("SET maintenance_work_mem = '512MB'")
        for table in ("users", "members", "assets"):
            connection.execute(
                psql.SQL("SELECT setval(pg_get_serial_sequence({}, 'id'), {})").format(
                    psql.Literal(table),
                    psql.SQL("(SELECT max(id) FROM {})").format(psql.Identifier(table)),
                )
            )
        for name, definition in indexes:
            connection.execute(definition)
            phases.done(f"index {name}")
        for table in ("users", "members", "assets"):
            connection.execute(psql.SQL("VACUUM (ANALYZE) {}").format(psql.Identifier(table)))
    phases.done("vacuum analyze")


def _fts_triggers(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """The triggers that keep ``asset_search`` in step, exactly as the migration created them."""
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'assets' "
        "AND sql LIKE '%asset_search%' ORDER BY name"
    ).fetchall()


def _load_sqlite(
    database_url: str,
    plan: _Plan,
    people: tuple[dict, dict],
    columns: dict[str, list[_Column]],
    phases: _Phases,
) -> None:
    connection = sqlite3.connect(_sqlite_path(database_url), isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA cache_size=-524288")  # 512 MB
        connection.execute("PRAGMA temp_store=MEMORY")
        connection.execute("PRAGMA foreign_keys=OFF")
        triggers = _fts_triggers(connection)
        has_fts = bool(
            connection.execute("SELECT 1 FROM sqlite_master WHERE name = 'asset_search'").fetchone()
        )
        for name, _sql in triggers:
            connection.execute(f'DROP TRIGGER "{name}"')
        # Secondary indexes are built faster once, after the load, than row by row.
        indexes = connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'assets' "
            "AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
        for name, _sql in indexes:
            connection.execute(f'DROP INDEX "{name}"')

        def insert(table: str, names: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
            marks = ", ".join("?" for _ in names)
            connection.executemany(
                f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608
                rows,
            )

        connection.execute("BEGIN")
        for table, generated in (("users", people[0]), ("members", people[1])):
            names = _writable(table, columns[table], generated)
            insert(table, names, _rows(generated, names))
        connection.execute("COMMIT")
        phases.done("contributors")
        names = []

        def batches() -> Iterator[list[tuple[Any, ...]]]:
            for generated in _chunks(plan):
                if not names:
                    names.extend(_writable("assets", columns["assets"], generated))
                yield list(_rows(generated, names))

        # A thread generates the next rows while SQLite writes these (it releases the GIL).
        for rows in _in_background(batches()):
            connection.execute("BEGIN")
            insert("assets", names, rows)
            connection.execute("COMMIT")
        for _name, sql in indexes:
            connection.execute(sql)
        phases.done("assets (executemany)")
        if has_fts:
            connection.execute("INSERT INTO asset_search(asset_search) VALUES ('rebuild')")
            phases.done("FTS5 rebuild")
        for _name, sql in triggers:
            connection.execute(sql)
        connection.execute("ANALYZE")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        phases.done("analyze")
    finally:
        connection.close()


def _fill_vocabulary_table(engine: sa.Engine, plan: _Plan) -> None:
    """When the schema has ``search_terms`` (the "did you mean" vocabulary), fill it.

    Counted while generating, with the refresh task's rules: lower case, 2-60 characters,
    documents = assets for sale with the keyword.
    """
    if not sa.inspect(engine).has_table("search_terms"):
        return
    rows = [
        {"term": word.lower(), "documents": int(count)}
        for word, count in zip(plan.vocabulary, plan.document_counts.tolist(), strict=True)
        if count and 2 <= len(word) <= 60
    ]
    terms = sa.table("search_terms", sa.column("term"), sa.column("documents"))
    with engine.begin() as connection:
        connection.execute(sa.delete(terms))
        connection.execute(sa.insert(terms), rows)


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
