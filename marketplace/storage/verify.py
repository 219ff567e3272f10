"""Backups you can trust: re-read every stored original and check it against its SHA-256.

The database records the size and SHA-256 of every file a person gave us (a work's original, a
signed release, an application's sample) and of every delivered rendition. ``verify_stored_files``
reads each one back from the configured storage (local disk or S3), hashes it as it streams and
reports the ones that are missing or whose bytes no longer match. Nothing is changed or repaired:
the operator restores the named files from a backup and runs it again.

The list of files is read a batch at a time and the transaction closed before any file is read,
so a long run over a large catalogue holds no database locks and no open transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marketplace.assets.models import Asset, Release
from marketplace.extensions import db
from marketplace.licensing.models import Rendition
from marketplace.membership.models import ApplicationSample
from marketplace.storage import Storage, get_storage
from marketplace.storage.base import CHUNK_BYTES, NotFound, StorageError

BATCH = 500


@dataclass(frozen=True)
class RecordedFile:
    """A stored file as the database records it."""

    kind: str  # "original", "release", "sample" or "rendition"
    row_id: int
    key: str
    sha256: str
    size_bytes: int | None


@dataclass(frozen=True)
class Problem:
    file: RecordedFile
    problem: str  # "missing", "corrupt" or "unreadable"
    detail: str

    def line(self) -> str:
        f = self.file
        return f"{self.problem.upper():<10} {f.kind} {f.row_id}  {f.key}  {self.detail}"


@dataclass
class VerifyReport:
    checked: int = 0
    bytes_read: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def count(self, problem: str) -> int:
        return sum(1 for p in self.problems if p.problem == problem)

    def summary(self) -> str:
        return (
            f"Checked {self.checked} stored files ({self.bytes_read:,} bytes read): "
            f"{self.checked - len(self.problems)} intact, {self.count('missing')} missing, "
            f"{self.count('corrupt')} corrupt, {self.count('unreadable')} unreadable."
        )


def _batches(
    kind: str, model: Any, key: Any, sha256: Any, size: Any, *where: Any
) -> Iterator[RecordedFile]:
    last_id = 0
    while True:
        rows = db.session.execute(
            sa.select(model.id, key, sha256, size)
            .where(model.id > last_id, *where)
            .order_by(model.id)
            .limit(BATCH)
        ).all()
        # Close the read transaction before any file is read: reading can take hours.
        db.session.rollback()
        if not rows:
            return
        for row_id, row_key, row_sha256, row_size in rows:
            yield RecordedFile(kind, row_id, row_key, row_sha256, row_size)
        last_id = rows[-1][0]


def recorded_files() -> Iterator[RecordedFile]:
    """Every file the database says is stored, with the SHA-256 it was stored with."""
    yield from _batches(
        "original",
        Asset,
        Asset.original_key,
        Asset.original_sha256,
        Asset.original_size_bytes,
        # A failed upload's original is removed on purpose after the retention period.
        Asset.original_removed_at.is_(None),
    )
    yield from _batches("release", Release, Release.storage_key, Release.sha256, Release.size_bytes)
    yield from _batches(
        "sample",
        ApplicationSample,
        ApplicationSample.storage_key,
        ApplicationSample.sha256,
        ApplicationSample.size_bytes,
    )
    yield from _batches(
        "rendition",
        Rendition,
        Rendition.key,
        Rendition.sha256,
        Rendition.bytes,
        Rendition.status == "ready",
        Rendition.key.is_not(None),
        Rendition.sha256.is_not(None),
    )


def _hash(storage: Storage, key: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with storage.open(key) as stream:
        while chunk := stream.read(CHUNK_BYTES):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def check_file(storage: Storage, recorded: RecordedFile) -> tuple[Problem | None, int]:
    """The problem with one stored file (None when intact) and the bytes read."""
    try:
        digest, size = _hash(storage, recorded.key)
    except NotFound:
        return Problem(recorded, "missing", "not in storage"), 0
    except (StorageError, OSError) as error:
        return Problem(recorded, "unreadable", str(error)), 0
    if digest != recorded.sha256:
        detail = f"SHA-256 {digest[:16]}… recorded {recorded.sha256[:16]}…"
        if recorded.size_bytes is not None and size != recorded.size_bytes:
            detail += f"; {size} bytes, recorded {recorded.size_bytes}"
        return Problem(recorded, "corrupt", detail), size
    return None, size


def verify_stored_files(
    storage: Storage | None = None,
    on_problem: Callable[[Problem], None] | None = None,
) -> VerifyReport:
    """Read back every recorded file and compare its SHA-256; changes nothing.

    ``on_problem`` is told of each problem as it is found, so a long run reports as it goes."""
    storage = storage or get_storage()
    report = VerifyReport()
    for recorded in recorded_files():
        problem, size = check_file(storage, recorded)
        report.checked += 1
        report.bytes_read += size
        if problem is not None:
            report.problems.append(problem)
            if on_problem is not None:
                on_problem(problem)
    return report
