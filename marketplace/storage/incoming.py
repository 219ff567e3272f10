"""Uploads as they arrive: written where storage can adopt them, hashed on the way in.

Werkzeug asks the request for a file to write each uploaded part into. Ours sits next to the
stored files (for local storage, on the same disk, so storing it is a rename) and counts and
hashes every byte as it is written, so an original is never read a second time just to be
stored and checksummed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

from flask import Request

from marketplace.storage import StoredFile, UploadMeter, get_storage

# Smaller requests stay in memory, as werkzeug does by default.
SPOOL_ABOVE_BYTES = 1024 * 1024


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
        self._meter = UploadMeter(sys.maxsize)
        self.adopted = False

    @property
    def size(self) -> int:
        return self._meter.size

    def stored_as(self, key: str) -> StoredFile:
        return self._meter.stored(key)

    def write(self, data: bytes) -> int:
        self._meter.add(bytes(data))
        return self._file.write(data)

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
        self._file.close()
        if not self.adopted:
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> IncomingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class UploadingRequest(Request):
    """Flask's request, receiving large uploaded files into ``IncomingFile`` objects."""

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        if total_content_length is not None and total_content_length < SPOOL_ABOVE_BYTES:
            return super()._get_file_stream(
                total_content_length, content_type, filename, content_length
            )
        # Duck-typed: werkzeug only writes, seeks and reads it.
        incoming: Any = IncomingFile(get_storage().incoming_folder())
        return incoming
