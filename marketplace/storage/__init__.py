"""Where files live: a small interface with a local-disk backend.

Originals are precious: they are written to a temporary name while they stream in, checksummed
on the way, and only then moved into place, so a failed upload leaves nothing behind.
An S3-compatible backend joins this interface with the media pipeline.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, Protocol

from flask import Flask, current_app

CHUNK_BYTES = 1024 * 1024
_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,254}$")


class StorageError(Exception):
    pass


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


class Storage(Protocol):
    def save_stream(self, key: str, stream: IO[bytes], max_bytes: int) -> StoredFile: ...

    def open(self, key: str) -> BinaryIO: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...

    def check(self) -> None:
        """Raise StorageError unless files can be written and read now."""


def _check_key(key: str) -> str:
    if not _SAFE_KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"unsafe storage key {key!r}")
    return key


class LocalStorage:
    """Files under one folder on the local disk."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / _check_key(key)

    def save_stream(self, key: str, stream: IO[bytes], max_bytes: int) -> StoredFile:
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        size = 0
        head = b""
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_BYTES):
                    size += len(chunk)
                    if size > max_bytes:
                        raise TooLarge(max_bytes)
                    if len(head) < 64:
                        head += chunk[: 64 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size_bytes=size, sha256=digest.hexdigest(), head=head)

    def open(self, key: str) -> BinaryIO:
        return self._path(key).open("rb")

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def check(self) -> None:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            probe = self.root / ".health-probe"
            probe.write_bytes(b"ok")
            if probe.read_bytes() != b"ok":
                raise StorageError("read back something else than was written")
            probe.unlink()
        except OSError as error:
            raise StorageError(str(error)) from error


def init_storage(app: Flask) -> None:
    backend = app.config["STORAGE_BACKEND"]
    if backend != "local":
        raise ValueError(f"Unknown MARKETPLACE_STORAGE {backend!r}; this version supports 'local'.")
    app.extensions["storage"] = LocalStorage(app.config["STORAGE_LOCAL_ROOT"])


def get_storage() -> Storage:
    storage: Storage = current_app.extensions["storage"]
    return storage


def sniff_image_type(head: bytes) -> str | None:
    """The image type from a file's first bytes (never from its name), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image/tiff"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[4:8] == b"ftyp" and head[8:12] in (
        b"heic",
        b"heix",
        b"mif1",
        b"msf1",
        b"heim",
        b"heis",
    ):
        return "image/heic"
    return None
