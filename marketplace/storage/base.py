"""What every storage backend shares: the limits, the errors and what a stored file is.

Kept apart from ``marketplace.storage`` so that the backends (``s3``) and the upload receiver
(``incoming``) can import it without importing the package that chooses among them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

CHUNK_BYTES = 1024 * 1024
HEAD_BYTES = 64
SERVE_MODES = ("app", "presigned")
_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")


class StorageError(Exception):
    pass


class NotFound(StorageError):
    """No file under that key."""


class TooLarge(StorageError):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(f"larger than {limit_bytes} bytes")
        self.limit_bytes = limit_bytes


@dataclass(frozen=True)
class StoredFile:
    key: str
    size_bytes: int
    sha256: str
    head: bytes  # The first bytes, so callers can tell the file type without reading it again.


@dataclass(frozen=True)
class StoredEntry:
    """A file found by listing: its key and when it was last written."""

    key: str
    modified_at: datetime


def check_key(key: str) -> str:
    if not _SAFE_KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"unsafe storage key {key!r}")
    return key


class UploadMeter:
    """Size, SHA-256 and first bytes of a stream, refusing it the moment it passes the limit."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.head = b""
        self._digest = hashlib.sha256()

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.max_bytes:
            raise TooLarge(self.max_bytes)
        if len(self.head) < HEAD_BYTES:
            self.head += chunk[: HEAD_BYTES - len(self.head)]
        self._digest.update(chunk)

    def stored(self, key: str) -> StoredFile:
        return StoredFile(
            key=key, size_bytes=self.size, sha256=self._digest.hexdigest(), head=self.head
        )
