"""The rows of a generated catalogue, as columns of Python values ready for either database.

``_Plan`` fixes everything before the first row; ``_asset_chunk`` makes the columns of a run of
assets (keywords, titles, sizes, dates, colours…) and ``_people_columns`` the users and members
behind them. The values depend only on the plan and the seed, never on the database, except
for the text of timestamps and booleans, which follows what each database reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np

from bench.catalogue_french import TITLE_LINKS as FRENCH_LINKS
from bench.catalogue_french import plural
from bench.catalogue_words import CAMERAS, CITIES, FIRST_NAMES, LAST_NAMES, PALETTE, TITLE_LINKS

KEYWORDS_PER_ASSET = (10, 40)
CATALOGUE_YEARS = 2
CHUNK_ROWS = 20_000
VIDEO_SHARE = 0.08


def _email(member_number: int) -> str:
    return f"contributor{member_number:05d}@bench.example"


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
    # A share of the assets described in French (bench.catalogue_french): each vocabulary
    # word's French form (the word itself when it has none), and their counts in French work.
    french_share: float = 0.0
    french_words: np.ndarray | None = None
    french_document_counts: np.ndarray | None = None


def _json_strings(values: list[str]) -> str:
    """``json.dumps`` of a list of plain strings (no quotes or backslashes; accents are kept as
    UTF-8, which JSON allows), faster."""
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
    ends = np.cumsum(keep.sum(axis=1)).tolist()
    # French work: drawn from a stream of its own, so the rest of the catalogue (and a catalogue
    # without French) stays the same row for row.
    french = np.random.default_rng([plan.seed, 4, chunk]).random(n) < plan.french_share
    in_french = np.repeat(french, keep.sum(axis=1))
    np.add.at(plan.document_counts, chosen[~in_french], 1)
    words_of = plan.words
    if plan.french_words is not None and plan.french_document_counts is not None:
        np.add.at(plan.french_document_counts, chosen[in_french], 1)
        words_of = np.where(in_french, plan.french_words[chosen], plan.words[chosen])
        flat_words = words_of.tolist()
    else:
        flat_words = plan.words[chosen].tolist()
    keyword_lists = [
        list(dict.fromkeys(flat_words[a:b])) for a, b in zip([0, *ends[:-1]], ends, strict=True)
    ]

    # Titles and descriptions from the asset's own keywords: "Beach family with dog".
    shapes = rng.integers(0, 4, n).tolist()
    links = rng.integers(0, len(TITLE_LINKS), n).tolist()
    cities = rng.integers(0, len(CITIES), n).tolist()
    titles: list[str] = []
    descriptions: list[str] = []
    for words, shape, link, city, is_french in zip(
        keyword_lists, shapes, links, cities, french.tolist(), strict=True
    ):
        a, b, c = words[0], words[1], words[2]
        if is_french:
            title, description = _french_title(words, shape, link, CITIES[city])
            titles.append(title)
            descriptions.append(description)
            continue
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
        "language": ["fr" if f else "en" for f in french.tolist()],
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


def _french_title(words: list[str], shape: int, link: int, city: str) -> tuple[str, str]:
    """A French title and description from the asset's own keywords, often in the plural:
    "Bateaux et phares", "Église sous neige"."""
    a, b, c = words[0], words[1], words[2]
    if shape == 0:
        title = f"{plural(a)} {b}"
    elif shape == 1:
        title = f"{a} {b} {FRENCH_LINKS[link]} {c}"
    elif shape == 2:
        title = f"{plural(a)} et {plural(b)}"
    else:
        title = f"{a} {plural(b)} {c}"
    title = title[0].upper() + title[1:]
    return title, f"{title}, photographiés à {city} : {', '.join(words[3:6])}."


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
