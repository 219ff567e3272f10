"""Flask's request class for uploads: large files are received straight into storage's
incoming folder (``storage.incoming``) instead of a temporary file elsewhere."""

from __future__ import annotations

from typing import IO, Any

from flask import Request

from marketplace.storage import get_storage
from marketplace.storage.incoming import SPOOL_ABOVE_BYTES, IncomingFile


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
