"""Password rules, file-type sniffing and streaming storage."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.accounts.passwords import password_problem
from marketplace.storage import LocalStorage, StorageError, TooLarge, sniff_image_type


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("correct horse battery", True),
        ("short", False),
        ("1234567890", False),
        ("aaaaaaaaaaaa", False),
        ("x" * 257, False),
        ("person@example.org", False),
    ],
)
def test_password_rules(password: str, ok: bool) -> None:
    assert (password_problem(password, "person@example.org") is None) is ok


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png"),
        (b"II*\x00\x08\x00\x00\x00", "image/tiff"),
        (b"MM\x00*\x00\x00\x00\x08", "image/tiff"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"%PDF-1.7", None),
        (b"<svg xmlns=", None),
        (b"", None),
    ],
)
def test_image_type_is_decided_from_the_bytes(head: bytes, kind: str | None) -> None:
    assert sniff_image_type(head) == kind


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=3 * 1024 * 1024 + 17))
def test_stored_file_is_byte_identical_with_its_checksum(
    tmp_path_factory: pytest.TempPathFactory, content: bytes
) -> None:
    storage = LocalStorage(tmp_path_factory.mktemp("store"))
    saved = storage.save_stream("originals/a/b", io.BytesIO(content), max_bytes=len(content) + 1)
    assert saved.size_bytes == len(content)
    assert saved.sha256 == hashlib.sha256(content).hexdigest()
    assert saved.head == content[:64]
    with storage.open("originals/a/b") as stored:
        assert stored.read() == content


def test_too_large_upload_leaves_nothing_behind(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path)
    with pytest.raises(TooLarge):
        storage.save_stream("big/file", io.BytesIO(b"x" * 5000), max_bytes=4096)
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not storage.exists("big/file")


@pytest.mark.parametrize("key", ["../escape", "a/../../b", "/absolute", "", "a\\b", ".hidden"])
def test_unsafe_keys_are_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(StorageError):
        LocalStorage(tmp_path).save_stream(key, io.BytesIO(b"x"), max_bytes=10)


def test_storage_check_fails_when_the_folder_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(StorageError):
        LocalStorage(blocker / "media").check()
    LocalStorage(tmp_path / "media").check()
