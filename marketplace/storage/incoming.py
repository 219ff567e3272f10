"""Uploads as they arrive: written where storage can adopt them, hashed on the way in.

Werkzeug asks the request for a file to write each uploaded part into. Ours sits next to the
stored files (for local storage, on the same disk, so storing it is a rename) and counts and
hashes every byte as it is written, so an original is never read a second time just to be
stored and checksummed.
"""

from __future__ import annotations

import hashlib
import os
import queue
import tempfile
import threading
from pathlib import Path

from marketplace.storage.base import HEAD_BYTES, StoredFile

# Smaller requests stay in memory, as werkzeug does by default.
SPOOL_ABOVE_BYTES = 1024 * 1024
# Chunks waiting for the hashing thread; bounded, so memory stays flat (werkzeug writes 64 KiB).
_PENDING_CHUNKS = 64


class _BackgroundDigest:
    """SHA-256 computed in a thread while the request thread keeps receiving.

    hashlib releases the GIL on large updates, so on a CPU without SHA instructions hashing
    no longer halves the upload speed.
    """

    def __init__(self) -> None:
        self._chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_PENDING_CHUNKS)
        self._digest = hashlib.sha256()
        self._thread = threading.Thread(target=self._run, name="upload-sha256", daemon=True)
        self._thread.start()
        self._result: str | None = None

    def _run(self) -> None:
        while (chunk := self._chunks.get()) is not None:
            self._digest.update(chunk)

    def update(self, chunk: bytes) -> None:
        self._chunks.put(chunk)

    def hexdigest(self) -> str:
        if self._result is None:
            self._chunks.put(None)
            self._thread.join()
            self._result = self._digest.hexdigest()
        return self._result


class IncomingFile:
    """A readable, writable, seekable file that hashes what is written to it.

    Closing it deletes it, unless storage adopted it first.
    """

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=folder, prefix=".incoming-")
        self.path = Path(name)
        self._file = os.fdopen(fd, "w+b")
        # The request's own size limit applies while streaming; this only measures.
        self.size = 0
        self._head = b""
        self._digest = _BackgroundDigest()
        self.adopted = False

    def stored_as(self, key: str) -> StoredFile:
        return StoredFile(
            key=key, size_bytes=self.size, sha256=self._digest.hexdigest(), head=self._head
        )

    def write(self, data: bytes) -> int:
        chunk = bytes(data)
        self.size += len(chunk)
        if len(self._head) < HEAD_BYTES:
            self._head += chunk[: HEAD_BYTES - len(self._head)]
        self._digest.update(chunk)
        return self._file.write(chunk)

    def read(self, size: int = -1) -> bytes:
        return self._file.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._file.readline(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def flush(self) -> None:
        self._file.flush()

    def fileno(self) -> int:
        return self._file.fileno()

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._file.closed

    def close(self) -> None:
        self._digest.hexdigest()  # ends the hashing thread
        self._file.close()
        if not self.adopted:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> IncomingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
