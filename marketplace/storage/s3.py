"""Files in an S3-compatible bucket: AWS, MinIO, Backblaze B2, Scaleway and the like.

Uploads stream through in parts, so a multi-gigabyte original never sits in memory whole; an
upload that fails or is refused is aborted, so it leaves neither an object nor stored parts.
"""

from __future__ import annotations

import io
import logging
import math
import os
import shutil
import tempfile
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from marketplace.storage.base import (
    CHUNK_BYTES,
    NotFound,
    StorageError,
    StoredEntry,
    StoredFile,
    UploadMeter,
)
from marketplace.storage.base import check_key as _check_key
from marketplace.storage.incoming import IncomingFile

log = logging.getLogger(__name__)

PART_BYTES = 8 * 1024 * 1024
MIN_PART_BYTES = 5 * 1024 * 1024  # S3's smallest allowed part, except for the last one.
MAX_PARTS = 10_000
MAX_URL_SECONDS = 7 * 24 * 3600  # The longest a SigV4 presigned URL may live.
_MISSING = {"404", "NoSuchKey", "NotFound"}


class S3Storage:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
        prefix: str = "",
        public_endpoint_url: str | None = None,
        part_bytes: int = PART_BYTES,
    ) -> None:
        if part_bytes < MIN_PART_BYTES:
            raise ValueError(f"S3 parts must be at least {MIN_PART_BYTES} bytes")
        self.bucket = bucket
        self.prefix = _check_key(prefix.strip("/")) + "/" if prefix.strip("/") else ""
        self.part_bytes = part_bytes
        # None for either key means boto3's own lookup (environment, instance role, IRSA).
        self._client_args: dict[str, Any] = {
            "endpoint_url": endpoint_url,
            "region_name": region,
            "aws_access_key_id": access_key,
            "aws_secret_access_key": secret_key,
            "config": _client_config(endpoint_url),
        }
        # Presigning makes no request, so links may name the address browsers use for the
        # bucket (e.g. a public MinIO host) while the app talks to an internal one.
        self._public_endpoint_url = public_endpoint_url
        self._clients: dict[tuple[int, str | None], Any] = {}

    def _client(self, endpoint_url: str | None = None) -> Any:
        # One client per process: web and worker processes fork after the app is built, and a
        # connection pool must not be shared across a fork.
        cache_key = (os.getpid(), endpoint_url)
        if cache_key not in self._clients:
            args = dict(self._client_args)
            if endpoint_url:
                args["endpoint_url"] = endpoint_url
            self._clients[cache_key] = boto3.session.Session().client("s3", **args)
        return self._clients[cache_key]

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def _key(self, key: str) -> str:
        return self.prefix + _check_key(key)

    @contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        where = f"{key!r} in bucket {self.bucket!r}" if key else f"bucket {self.bucket!r}"
        try:
            yield
        except ClientError as error:
            details = error.response.get("Error", {})
            reason = f"{details.get('Code', '?')} {details.get('Message', '')}".strip()
            if key and details.get("Code") in _MISSING:
                raise NotFound(f"no stored file {where}: {reason}") from error
            raise StorageError(f"S3 could not {action} {where}: {reason}") from error
        except BotoCoreError as error:
            raise StorageError(f"S3 could not {action} {where}: {error}") from error

    def save_stream(self, key: str, stream: IO[bytes], max_bytes: int) -> StoredFile:
        object_key = self._key(key)
        meter = UploadMeter(max_bytes)
        # Larger parts for larger limits, so that even the largest allowed file fits in 10,000.
        part_bytes = max(self.part_bytes, math.ceil(max_bytes / MAX_PARTS))
        # One buffer, filled again for every part: memory stays at one part whatever the size.
        # A file object rather than bytes, so that botocore streams it instead of copying it to
        # add its checksum.
        buffer = io.BytesIO()
        filled = _fill(buffer, stream, meter, part_bytes)
        client = self._client()
        if filled < part_bytes:
            # It all fit in one part: a single request, with nothing to abort if it fails.
            with self._errors("store", key):
                client.put_object(Bucket=self.bucket, Key=object_key, Body=buffer)
            return meter.stored(key)
        with self._errors("start storing", key):
            started = client.create_multipart_upload(Bucket=self.bucket, Key=object_key)
        upload_id = started["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            while filled:
                number = len(parts) + 1
                with self._errors("store a part of", key):
                    response = client.upload_part(
                        Bucket=self.bucket,
                        Key=object_key,
                        UploadId=upload_id,
                        PartNumber=number,
                        Body=buffer,
                    )
                parts.append({"ETag": response["ETag"], "PartNumber": number})
                if filled < part_bytes:
                    break
                filled = _fill(buffer, stream, meter, part_bytes)
            with self._errors("finish storing", key):
                client.complete_multipart_upload(
                    Bucket=self.bucket,
                    Key=object_key,
                    UploadId=upload_id,
                    MultipartUpload={"Parts": parts},
                )
        except BaseException:
            self._abort(object_key, upload_id)
            raise
        return meter.stored(key)

    def _abort(self, object_key: str, upload_id: str) -> None:
        try:
            self._client().abort_multipart_upload(
                Bucket=self.bucket, Key=object_key, UploadId=upload_id
            )
        except (BotoCoreError, ClientError) as error:
            # Nothing more can be done now; a lifecycle rule for incomplete uploads cleans up.
            log.warning("Could not abort the upload of %s to S3: %s", object_key, error)

    def save_file(
        self, key: str, path: Path, content_type: str, cache_control: str | None = None
    ) -> None:
        extra = {"CacheControl": cache_control} if cache_control else {}
        with self._errors("store", key), path.open("rb") as body:
            self._client().put_object(
                Bucket=self.bucket, Key=self._key(key), Body=body, ContentType=content_type, **extra
            )

    def open(self, key: str) -> IO[bytes]:
        with self._errors("read", key):
            response = self._client().get_object(Bucket=self.bucket, Key=self._key(key))
        return io.BufferedReader(_BodyReader(self, key, response["Body"]), CHUNK_BYTES)

    def download_to(self, key: str, path: Path) -> None:
        try:
            with self.open(key) as source, path.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK_BYTES)
        except BaseException:
            # Half a file would pass for the original; callers get either all of it or an error.
            path.unlink(missing_ok=True)
            raise

    def delete(self, key: str) -> None:
        with self._errors("delete", key):
            self._client().delete_object(Bucket=self.bucket, Key=self._key(key))

    def list_keys(self, prefix: str) -> Iterator[StoredEntry]:
        # One page (up to 1,000 keys) in memory at a time, however large the bucket.
        pages = self._client().get_paginator("list_objects_v2")
        with self._errors("list", prefix or None):
            for page in pages.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
                for item in page.get("Contents", []):
                    key = str(item["Key"])[len(self.prefix) :]
                    yield StoredEntry(key, item["LastModified"])

    def exists(self, key: str) -> bool:
        try:
            self.size(key)
        except NotFound:
            return False
        return True

    def size(self, key: str) -> int:
        with self._errors("look up", key):
            response = self._client().head_object(Bucket=self.bucket, Key=self._key(key))
        return int(response["ContentLength"])

    def check(self) -> None:
        with self._errors("reach"):
            self._client().head_bucket(Bucket=self.bucket)

    def incoming_folder(self) -> Path:
        return Path(tempfile.gettempdir())

    def adopt(self, key: str, incoming: IncomingFile, max_bytes: int) -> StoredFile:
        # The bytes must travel to the bucket anyway: stream the received file up.
        incoming.seek(0)
        return self.save_stream(key, incoming, max_bytes)  # type: ignore[arg-type]

    def local_path(self, key: str) -> Path | None:
        _check_key(key)
        return None

    def url(
        self,
        key: str,
        *,
        expires_s: int,
        filename: str | None = None,
        content_type: str | None = None,
    ) -> str | None:
        if not 1 <= expires_s <= MAX_URL_SECONDS:
            raise StorageError(f"presigned URLs live 1 to {MAX_URL_SECONDS} seconds")
        params = {"Bucket": self.bucket, "Key": self._key(key)}
        if filename is not None:
            params["ResponseContentDisposition"] = _attachment(filename)
        if content_type is not None:
            params["ResponseContentType"] = content_type
        with self._errors("sign a link to", key):
            url: str = self._client(self._public_endpoint_url).generate_presigned_url(
                "get_object", Params=params, ExpiresIn=expires_s
            )
        return url


class _BodyReader(io.RawIOBase):
    """An object's body as a plain binary file, with network errors as StorageError."""

    def __init__(self, storage: S3Storage, key: str, body: Any) -> None:
        self._storage = storage
        self._key = key
        self._body = body

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._storage._errors("read", self._key):
            data: bytes = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._body.close()
        super().close()


def _fill(buffer: io.BytesIO, stream: IO[bytes], meter: UploadMeter, part_bytes: int) -> int:
    """Refill ``buffer`` from ``stream`` up to ``part_bytes`` (less if the stream ends)."""
    buffer.seek(0)
    buffer.truncate()
    filled = 0
    while filled < part_bytes:
        chunk = stream.read(min(CHUNK_BYTES, part_bytes - filled))
        if not chunk:
            break
        meter.add(chunk)
        filled += buffer.write(chunk)
    buffer.seek(0)
    return filled


def _attachment(filename: str) -> str:
    # A plain-ASCII name for old clients and the exact UTF-8 one (RFC 6266) for the rest.
    fallback = "".join(c for c in filename if " " <= c < "\x7f" and c not in '"\\') or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{urllib.parse.quote(filename)}"


def _client_config(endpoint_url: str | None) -> Config:
    compatibility: dict[str, Any] = {}
    if endpoint_url:
        # Many S3-compatible services reject the CRC32 checksums botocore adds by default since
        # 1.36; send them only where the API requires them.
        compatibility = {
            "request_checksum_calculation": "when_required",
            "response_checksum_validation": "when_required",
        }
    return Config(
        signature_version="s3v4",
        # Services other than AWS rarely offer bucket-name host names.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"mode": "standard", "max_attempts": 3},
        connect_timeout=5,
        read_timeout=60,
        **compatibility,
    )
