"""Where files live: one small interface, a local-disk backend and an S3-compatible one.

Originals are precious: they are checksummed while they stream in and only become visible once
complete, so a failed or refused upload leaves nothing behind. ``LocalStorage`` lives here;
``S3Storage`` lives in ``marketplace.storage.s3`` and is imported only when configured, so an
install on local disk never needs boto3.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from flask import Flask, current_app

from marketplace.config import ConfigError
from marketplace.storage.base import (
    CHUNK_BYTES,
    HEAD_BYTES,
    SERVE_MODES,
    NotFound,
    StorageError,
    StoredEntry,
    StoredFile,
    TooLarge,
    UploadMeter,
    check_key,
)
from marketplace.storage.incoming import IncomingFile

__all__ = [
    "CHUNK_BYTES",
    "HEAD_BYTES",
    "SERVE_MODES",
    "IncomingFile",
    "LocalStorage",
    "NotFound",
    "Storage",
    "StorageError",
    "StoredEntry",
    "StoredFile",
    "TooLarge",
    "UploadMeter",
    "check_key",
    "get_storage",
    "init_storage",
    "sniff_image_type",
]


class Storage(Protocol):
    def save_stream(self, key: str, stream: IO[bytes], max_bytes: int) -> StoredFile:
        """Store ``stream`` under ``key``; raise TooLarge as soon as it passes ``max_bytes``."""

    def save_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None = None
    ) -> None:
        """Store a file already on disk (a derived file: preview, thumbnail, rendition)."""

    def open(self, key: str) -> IO[bytes]:
        """A streaming reader; raise NotFound if there is no such file."""

    def download_to(self, key: str, path: Path) -> None:
        """Copy the file to ``path`` on the local disk; raise NotFound if there is none."""

    def delete(self, key: str) -> None:
        """Remove the file; deleting a missing file is not an error."""

    def exists(self, key: str) -> bool: ...

    def list_keys(self, prefix: str) -> Iterator[StoredEntry]:
        """Every file whose key starts with ``prefix``, a page at a time (in no set order)."""

    def size(self, key: str) -> int:
        """The size in bytes; raise NotFound if there is no such file."""

    def check(self) -> None:
        """Raise StorageError unless the storage is reachable now."""

    def url(
        self,
        key: str,
        *,
        expires_s: int,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        """A short-lived direct download link, or None when the app must serve the file."""

    def local_path(self, key: str) -> Path | None:
        """The file's own path when it is on this machine's disk (never to be written to)."""

    def incoming_folder(self) -> Path:
        """Where uploads are received before being stored (see ``storage.incoming``)."""

    def adopt(self, key: str, incoming: IncomingFile, max_bytes: int) -> StoredFile:
        """Store a received upload under ``key``; the upload is consumed."""


class LocalStorage:
    """Files under one folder on the local disk."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _existing(self, key: str) -> Path:
        path = self._path(key)
        if not path.is_file():
            raise NotFound(f"no stored file {key!r}")
        return path

    def _write_atomically(self, key: str, write: Callable[[IO[bytes]], None]) -> None:
        # A temporary name in the same folder, then a rename: readers never see half a file.
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as out:
                write(out)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp_name, target)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise

    def save_stream(self, key: str, stream: IO[bytes], max_bytes: int) -> StoredFile:
        meter = UploadMeter(max_bytes)

        def write(out: IO[bytes]) -> None:
            while chunk := stream.read(CHUNK_BYTES):
                meter.add(chunk)
                out.write(chunk)

        self._write_atomically(key, write)
        return meter.stored(key)

    def save_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None = None
    ) -> None:
        # The app serves local files and sets the type and caching headers itself.
        del content_type, cache_control

        def write(out: IO[bytes]) -> None:
            with path.open("rb") as source:
                shutil.copyfileobj(source, out, CHUNK_BYTES)

        self._write_atomically(key, write)

    def open(self, key: str) -> IO[bytes]:
        return self._existing(key).open("rb")

    def download_to(self, key: str, path: Path) -> None:
        shutil.copyfile(self._existing(key), path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list_keys(self, prefix: str) -> Iterator[StoredEntry]:
        # Keys are folders and names, so a prefix ending in "/" is a folder to walk.
        folder = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        start = folder if prefix.endswith("/") or not prefix else folder.parent
        for directory, _, names in os.walk(start):
            for name in names:
                path = Path(directory) / name
                key = path.relative_to(self.root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    modified = path.stat().st_mtime
                except FileNotFoundError:  # removed while we walked
                    continue
                yield StoredEntry(key, datetime.fromtimestamp(modified, UTC))

    def size(self, key: str) -> int:
        return self._existing(key).stat().st_size

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

    def url(
        self,
        key: str,
        *,
        expires_s: int,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        check_key(key)
        return None

    def local_path(self, key: str) -> Path | None:
        return self._existing(key)

    def incoming_folder(self) -> Path:
        # On the same disk as the stored files, so that adopting an upload is a rename.
        return self.root / ".incoming"

    def adopt(self, key: str, incoming: IncomingFile, max_bytes: int) -> StoredFile:
        if incoming.size > max_bytes:
            raise TooLarge(max_bytes)
        target = self._path(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming.flush()
        os.fsync(incoming.fileno())
        os.replace(incoming.path, target)
        incoming.adopted = True
        return incoming.stored_as(key)


def init_storage(app: Flask) -> None:
    backend = app.config.get("STORAGE_BACKEND", "local")
    serve_mode = app.config.get("MEDIA_SERVE_MODE", "app")
    if serve_mode not in SERVE_MODES:
        raise ConfigError(
            f"MARKETPLACE_MEDIA_SERVE_MODE must be 'app' or 'presigned', not {serve_mode!r}."
        )
    storage: Storage
    if backend == "local":
        if serve_mode == "presigned":
            raise ConfigError(
                "MARKETPLACE_MEDIA_SERVE_MODE=presigned needs MARKETPLACE_STORAGE=s3."
            )
        storage = LocalStorage(app.config["STORAGE_LOCAL_ROOT"])
    elif backend == "s3":
        storage = _s3_from_config(app)
    else:
        raise ConfigError(f"MARKETPLACE_STORAGE must be 'local' or 's3', not {backend!r}.")
    app.extensions["storage"] = storage


def _s3_from_config(app: Flask) -> Storage:
    from marketplace.storage.s3 import S3Storage  # Only here: boto3 is needed for S3 alone.

    bucket = app.config.get("S3_BUCKET")
    if not bucket:
        raise ConfigError("MARKETPLACE_STORAGE=s3 needs MARKETPLACE_S3_BUCKET.")
    access_key = app.config.get("S3_ACCESS_KEY_ID")
    secret_key = app.config.get("S3_SECRET_ACCESS_KEY")
    if bool(access_key) != bool(secret_key):
        raise ConfigError(
            "Set both MARKETPLACE_S3_ACCESS_KEY_ID and MARKETPLACE_S3_SECRET_ACCESS_KEY, or "
            "neither (to use the machine's AWS credentials, e.g. an instance role)."
        )
    return S3Storage(
        bucket,
        endpoint_url=app.config.get("S3_ENDPOINT_URL") or None,
        region=app.config.get("S3_REGION") or None,
        access_key=access_key or None,
        secret_key=secret_key or None,
        prefix=app.config.get("S3_PREFIX") or "",
        public_endpoint_url=app.config.get("S3_PUBLIC_ENDPOINT_URL") or None,
    )


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
