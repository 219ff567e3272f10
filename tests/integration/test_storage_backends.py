"""The storage promises, held by both backends: local disk, and S3 over HTTP (moto)."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from marketplace.config import ConfigError
from marketplace.storage import (
    CHUNK_BYTES,
    LocalStorage,
    NotFound,
    Storage,
    StorageError,
    TooLarge,
    init_storage,
)
from marketplace.storage.s3 import PART_BYTES, S3Storage
from tests.fixtures.s3 import MotoS3

MiB = 1024 * 1024
# An odd length, so that the pattern never lines up with chunk or part boundaries.
_PATTERN = random.Random(7).randbytes(MiB + 7)


class PatternStream(io.RawIOBase):
    """``size`` bytes of a repeating pattern, made up as they are read (never all in memory)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0

    def readable(self) -> bool:
        return True

    def read(self, limit: int = -1) -> bytes:
        start = self.position % len(_PATTERN)
        want = len(_PATTERN) - start if limit < 0 else limit
        data = _PATTERN[start : start + min(want, self.size - self.position)]
        self.position += len(data)
        return data


def pattern_sha256(size: int) -> str:
    digest, stream = hashlib.sha256(), PatternStream(size)
    while chunk := stream.read(CHUNK_BYTES):
        digest.update(chunk)
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


@dataclass
class Backend:
    storage: Storage
    leftovers: Callable[[], list[str]]  # Every object and unfinished upload the storage holds.


@pytest.fixture(params=["local", "s3"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "local":
        root = tmp_path / "media"

        def files() -> list[str]:
            return sorted(str(path) for path in root.rglob("*") if path.is_file())

        yield Backend(LocalStorage(root), files)
        return
    moto_s3: MotoS3 = request.getfixturevalue("moto_s3")
    storage, client = moto_s3.storage(), moto_s3.client()

    def leftovers() -> list[str]:
        listed = client.list_objects_v2(Bucket=moto_s3.bucket, Prefix=storage.prefix)
        uploads = client.list_multipart_uploads(Bucket=moto_s3.bucket, Prefix=storage.prefix)
        return [o["Key"] for o in listed.get("Contents", [])] + [
            f"unfinished upload {u['Key']}" for u in uploads.get("Uploads", [])
        ]

    yield Backend(storage, leftovers)
    storage.close()
    client.close()


@pytest.mark.parametrize("size", [0, 1, 3 * MiB + 17])
def test_round_trip_is_byte_identical(backend: Backend, tmp_path: Path, size: int) -> None:
    content = random.Random(size).randbytes(size)
    saved = backend.storage.save_stream("originals/7/photo", io.BytesIO(content), size)
    assert saved.size_bytes == size == backend.storage.size("originals/7/photo")
    assert saved.sha256 == hashlib.sha256(content).hexdigest()
    assert saved.head == content[:64]
    with backend.storage.open("originals/7/photo") as stored:
        assert stored.read() == content
    backend.storage.download_to("originals/7/photo", tmp_path / "copy")
    assert (tmp_path / "copy").read_bytes() == content


def test_big_stream_is_stored_with_flat_memory(backend: Backend, tmp_path: Path) -> None:
    size = 6 * PART_BYTES + 12345  # Several parts on S3, and a short last one.
    # boto3 loads its S3 API description (about 12 MiB) when the client is first used, once per
    # process: not a cost of the upload, so it is paid before measuring.
    assert not backend.storage.exists("originals/big")
    tracemalloc.start()
    try:
        saved = backend.storage.save_stream("originals/big", PatternStream(size), size)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # One S3 part (with its buffer's growth slack) and a few chunks in flight, whatever the size.
    assert peak < PART_BYTES + 6 * CHUNK_BYTES < size / 3
    assert saved.size_bytes == size == backend.storage.size("originals/big")
    assert saved.sha256 == pattern_sha256(size)
    backend.storage.download_to("originals/big", tmp_path / "big")
    assert file_sha256(tmp_path / "big") == saved.sha256


@pytest.mark.parametrize(
    ("size", "limit"),
    [(5000, 4096), (2 * PART_BYTES + MiB, PART_BYTES + MiB)],
    ids=["within-one-part", "after-a-part-is-stored"],
)
def test_too_large_is_refused_midstream_and_leaves_nothing(
    backend: Backend, size: int, limit: int
) -> None:
    stream = PatternStream(size)
    with pytest.raises(TooLarge):
        backend.storage.save_stream("originals/huge", stream, limit)
    assert stream.position <= limit + CHUNK_BYTES, "kept reading after the limit was passed"
    assert backend.leftovers() == []
    assert not backend.storage.exists("originals/huge")


def test_refused_upload_keeps_the_file_already_there(backend: Backend) -> None:
    backend.storage.save_stream("samples/1", io.BytesIO(b"first"), 100)
    with pytest.raises(TooLarge):
        backend.storage.save_stream("samples/1", io.BytesIO(b"x" * 200), 100)
    with backend.storage.open("samples/1") as stored:
        assert stored.read() == b"first"
    assert len(backend.leftovers()) == 1


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/absolute", "", "a\\b", ".hidden"])
def test_unsafe_keys_are_refused(backend: Backend, tmp_path: Path, key: str) -> None:
    source = tmp_path / "source"
    source.write_bytes(b"x")
    storage = backend.storage
    for attempt in (
        lambda: storage.save_stream(key, io.BytesIO(b"x"), 10),
        lambda: storage.save_file(key, source, "image/jpeg"),
        lambda: storage.open(key),
        lambda: storage.download_to(key, tmp_path / "target"),
        lambda: storage.delete(key),
        lambda: storage.exists(key),
        lambda: storage.size(key),
        lambda: storage.url(key, expires_s=60),
    ):
        with pytest.raises(StorageError, match="unsafe storage key"):
            attempt()
    assert backend.leftovers() == []


def test_missing_files(backend: Backend, tmp_path: Path) -> None:
    storage = backend.storage
    assert not storage.exists("nothing/here")
    storage.delete("nothing/here")  # Deleting twice, or something never stored, is fine.
    with pytest.raises(NotFound):
        storage.open("nothing/here")
    with pytest.raises(NotFound):
        storage.size("nothing/here")
    with pytest.raises(NotFound):
        storage.download_to("nothing/here", tmp_path / "target")
    assert not (tmp_path / "target").exists()


def test_delete(backend: Backend) -> None:
    backend.storage.save_stream("previews/3", io.BytesIO(b"preview"), 100)
    assert backend.storage.exists("previews/3")
    backend.storage.delete("previews/3")
    assert not backend.storage.exists("previews/3")
    assert backend.leftovers() == []


def test_list_keys_finds_every_file_under_a_prefix_with_its_time(backend: Backend) -> None:
    before = datetime.now(UTC) - timedelta(minutes=5)
    for key in ("originals/1/a", "originals/1/b", "originals/12/c", "derived/assets/1/t.jpg"):
        backend.storage.save_stream(key, io.BytesIO(key.encode()), 100)
    listed = {entry.key: entry.modified_at for entry in backend.storage.list_keys("originals/")}
    assert sorted(listed) == ["originals/1/a", "originals/1/b", "originals/12/c"]
    assert all(
        before < when <= datetime.now(UTC) + timedelta(minutes=5) for when in listed.values()
    )
    assert [e.key for e in backend.storage.list_keys("originals/1/")] in (
        ["originals/1/a", "originals/1/b"],
        ["originals/1/b", "originals/1/a"],
    )
    assert list(backend.storage.list_keys("nothing/")) == []


def test_save_file_stores_a_derived_file(backend: Backend, tmp_path: Path) -> None:
    rendition = tmp_path / "thumb.webp"
    rendition.write_bytes(random.Random(3).randbytes(2 * MiB + 5))
    backend.storage.save_file("thumbs/3.webp", rendition, "image/webp", "public, max-age=86400")
    assert backend.storage.size("thumbs/3.webp") == rendition.stat().st_size
    with backend.storage.open("thumbs/3.webp") as stored:
        assert stored.read() == rendition.read_bytes()


def test_s3_keeps_the_type_and_caching_of_derived_files(moto_s3: MotoS3, tmp_path: Path) -> None:
    storage, client = moto_s3.storage(), moto_s3.client()
    (tmp_path / "thumb").write_bytes(b"RIFF")
    storage.save_file("thumbs/4.webp", tmp_path / "thumb", "image/webp", "public, max-age=86400")
    head = client.head_object(Bucket=moto_s3.bucket, Key=f"{storage.prefix}thumbs/4.webp")
    assert (head["ContentType"], head["CacheControl"]) == ("image/webp", "public, max-age=86400")
    storage.close()
    client.close()


def test_url_is_a_working_presigned_link_on_s3_and_none_on_disk(backend: Backend) -> None:
    content = random.Random(5).randbytes(70_000)
    backend.storage.save_stream("originals/9", io.BytesIO(content), len(content))
    url = backend.storage.url(
        "originals/9", expires_s=120, filename="Café au lait.jpg", content_type="image/jpeg"
    )
    if isinstance(backend.storage, LocalStorage):
        assert url is None  # The app serves local files itself.
        return
    assert url is not None
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our moto server
        assert response.read() == content
        assert response.headers["Content-Type"] == "image/jpeg"
        disposition = response.headers["Content-Disposition"]
    assert disposition == (
        "attachment; filename=\"Caf au lait.jpg\"; filename*=UTF-8''Caf%C3%A9%20au%20lait.jpg"
    )
    with pytest.raises(StorageError):
        backend.storage.url("originals/9", expires_s=8 * 24 * 3600)


def test_check_passes_and_fails_when_the_place_is_missing(
    backend: Backend, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    backend.storage.check()
    if isinstance(backend.storage, LocalStorage):
        blocker = tmp_path / "a-file"
        blocker.write_text("no folder can be made under a file")
        with pytest.raises(StorageError):
            LocalStorage(blocker / "media").check()
        return
    missing = request.getfixturevalue("moto_s3").storage(bucket="no-such-bucket")
    with pytest.raises(StorageError, match="no-such-bucket"):
        missing.check()
    missing.close()


def test_init_storage_picks_the_backend_from_settings(moto_s3: MotoS3, tmp_path: Path) -> None:
    app = Flask(__name__)
    app.config["STORAGE_LOCAL_ROOT"] = str(tmp_path)
    init_storage(app)
    assert isinstance(app.extensions["storage"], LocalStorage)
    app.config.update(moto_s3.app_config(prefix="from-settings"), MEDIA_SERVE_MODE="presigned")
    init_storage(app)
    storage = app.extensions["storage"]
    assert isinstance(storage, S3Storage)
    assert storage.prefix == "from-settings/"
    storage.check()
    storage.close()


@pytest.mark.parametrize(
    "settings",
    [
        {"STORAGE_BACKEND": "ftp"},
        {"STORAGE_BACKEND": "s3"},
        {"STORAGE_BACKEND": "s3", "S3_BUCKET": "b", "S3_ACCESS_KEY_ID": "only-half"},
        {"MEDIA_SERVE_MODE": "presigned"},
        {"MEDIA_SERVE_MODE": "cdn"},
    ],
    ids=["unknown-backend", "no-bucket", "half-credentials", "presigned-local", "unknown-mode"],
)
def test_init_storage_refuses_incomplete_settings(tmp_path: Path, settings: dict[str, str]) -> None:
    app = Flask(__name__)
    app.config.update(STORAGE_LOCAL_ROOT=str(tmp_path), **settings)
    with pytest.raises(ConfigError):
        init_storage(app)
