"""Receiving originals: streamed to storage, checked cheaply, then queued for the pipeline.

Every upload is treated as hostile: the type is decided from the bytes, the name is only
kept for display, and anything refused leaves no file behind.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext

from marketplace.accounts.models import User
from marketplace.assets.drafts import filename_title
from marketplace.assets.models import RELEASE_KINDS, Asset, Release
from marketplace.assets.text import clean_keywords, clean_text, display_filename
from marketplace.background import enqueue
from marketplace.catalogue.languages import default_work_language, work_language
from marketplace.database import unit_of_work
from marketplace.errors import Conflict, Forbidden, InvalidInput, NotFound
from marketplace.extensions import db
from marketplace.media.photos import check_photo
from marketplace.media.sniff import detect_type
from marketplace.media.types import DetectedType, MediaRejected, PhotoLimits, VideoLimits
from marketplace.media.videos import probe_video
from marketplace.membership.models import membership_of
from marketplace.membership.services import Upload
from marketplace.storage import StorageError, TooLarge, get_storage, sniff_image_type
from marketplace.storage.incoming import IncomingFile

SNIFF_BYTES = 4096
RELEASE_MAX_BYTES = 50 * 1024 * 1024


def photo_limits() -> PhotoLimits:
    config = current_app.config
    return PhotoLimits(
        min_pixels=config["PHOTO_MIN_PIXELS"],
        max_pixels=config["PHOTO_MAX_PIXELS"],
        max_decode_bytes=config["PHOTO_DECODE_MAX_BYTES"],
    )


def video_limits() -> VideoLimits:
    return VideoLimits(max_duration_s=float(current_app.config["VIDEO_MAX_SECONDS"]))


@contextmanager
def local_copy(key: str, suffix: str = "") -> Iterator[Path]:
    """The stored file as a local path for decoders (a temporary copy unless on local disk)."""
    own_path = get_storage().local_path(key)
    if own_path is not None:
        # Decoders only read: no need to copy gigabytes of video before probing them.
        yield own_path
        return
    with tempfile.TemporaryDirectory(prefix="coop-media-") as folder:
        path = Path(folder) / f"original{suffix}"
        get_storage().download_to(key, path)
        yield path


def _head(key: str) -> bytes:
    with get_storage().open(key) as stored:
        return stored.read(SNIFF_BYTES)


def _check_original(key: str, detected: DetectedType) -> None:
    with local_copy(key, f".{detected.extension}") as path:
        if detected.kind == "photo":
            check_photo(path, detected, photo_limits())
        else:
            probe_video(path, video_limits())


def _discard(key: str) -> None:
    try:
        get_storage().delete(key)
    except (OSError, StorageError):
        current_app.logger.warning("Could not delete %s after a refused upload", key)


def upload_asset(
    user: User,
    upload: Upload,
    *,
    title: str = "",
    description: str = "",
    keywords: str | list[str] = "",
    has_people: bool = False,
    has_property: bool = False,
    language: str | None = None,
) -> Asset:
    """Store an original and queue it for processing; the asset starts as ``processing`` and
    ends as a ``draft`` that its member sends for review (drafts.submit)."""
    member = membership_of(user)
    if member is None or not user.is_member:
        raise Forbidden(
            gettext("Only members of the co-op can upload work."), code="member_required"
        )
    shown_name = display_filename(upload.filename)
    given_title = clean_text(title, "title", 200)
    title = given_title or filename_title(shown_name) or "Untitled"
    description = clean_text(description, "description", 5000)
    keyword_list = clean_keywords(keywords)
    written_in = work_language(language) if language else default_work_language(user)
    key = f"originals/{member.id}/{uuid.uuid4().hex}"
    storage = get_storage()
    try:
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        if isinstance(upload.stream, IncomingFile):
            saved = storage.adopt(key, upload.stream, limit)
        else:
            saved = storage.save_stream(key, upload.stream, limit)
    except TooLarge as error:
        limit_mb = error.limit_bytes // (1024 * 1024)
        raise InvalidInput(
            gettext(
                "%(name)s is larger than the %(limit)s MB we accept.",
                name=shown_name,
                limit=limit_mb,
            ),
            code="too_large",
        ) from None
    try:
        detected = detect_type(_head(key))
        _check_original(key, detected)
        with unit_of_work() as session:
            duplicate = session.execute(
                sa.select(Asset.id).where(
                    Asset.member_id == member.id, Asset.original_sha256 == saved.sha256
                )
            ).scalar_one_or_none()
            if duplicate is not None:
                raise Conflict(
                    gettext(
                        "You have already uploaded %(name)s (asset %(id)s).",
                        name=shown_name,
                        id=duplicate,
                    ),
                    code="duplicate_upload",
                )
            asset = Asset(
                member_id=member.id,
                kind=detected.kind,
                status="processing",
                title=title,
                title_from_filename=not given_title,
                description=description,
                keywords=keyword_list,
                language=written_in,
                has_people=has_people,
                has_property=has_property,
                original_key=key,
                original_filename=shown_name,
                original_mime=detected.mime,
                original_size_bytes=saved.size_bytes,
                original_sha256=saved.sha256,
            )
            session.add(asset)
            session.flush()
            enqueue(session, f"media.process_{detected.kind}", asset.id)
    except MediaRejected as rejected:
        _discard(key)
        raise InvalidInput(
            # The media checks' sentences are N_-marked, those with figures as a message and
            # its values; the figures keep their English form.
            gettext(
                "%(name)s: %(reason)s",
                name=shown_name,
                reason=gettext(rejected.message, **rejected.values),
            ),
            code=rejected.code,
        ) from None
    except sa.exc.IntegrityError:
        _discard(key)
        raise Conflict(
            gettext("You have already uploaded %(name)s.", name=shown_name),
            code="duplicate_upload",
        ) from None
    except BaseException:
        _discard(key)
        raise
    return asset


def add_release(user: User, asset_id: int, kind: str, upload: Upload) -> Release:
    """Attach a signed model or property release (PDF or image) to the member's own asset."""
    if kind not in RELEASE_KINDS:
        raise InvalidInput(
            gettext('A release is a "model" or a "property" release.'),
            fields={"kind": gettext("Invalid.")},
        )
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.member.user_id != user.id:
        raise NotFound(gettext("No such asset."))
    shown_name = display_filename(upload.filename)
    key = f"releases/{asset.id}/{uuid.uuid4().hex}"
    try:
        saved = get_storage().save_stream(key, upload.stream, RELEASE_MAX_BYTES)
    except TooLarge:
        raise InvalidInput(
            gettext("%(name)s is larger than 50 MB.", name=shown_name), code="too_large"
        ) from None
    try:
        head = _head(key)
        content_type = "application/pdf" if head.startswith(b"%PDF-") else sniff_image_type(head)
        if content_type is None:
            raise InvalidInput(
                gettext(
                    "%(name)s is not a PDF or an image. "
                    "Send the signed release as PDF, JPEG or PNG.",
                    name=shown_name,
                ),
                code="unsupported_media",
            )
        with unit_of_work() as session:
            release = Release(
                asset=asset,
                kind=kind,
                storage_key=key,
                filename=shown_name,
                content_type=content_type,
                size_bytes=saved.size_bytes,
                sha256=saved.sha256,
            )
            session.add(release)
    except BaseException:
        _discard(key)
        raise
    return release
