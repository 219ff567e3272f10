"""Renditions: the file each size of a photo is delivered as, made once and shared by buyers.

Made lazily, the first time anyone downloads that size, not eagerly when a licence is paid
for: most licences are for one size of one photo, paying stays quick (no image work in the
webhook's path), a size nobody downloads costs no storage, and every later buyer of the size
reuses the first one's file. The first download waits on a "preparing" answer (the API's 202,
the page's "Preparing your file…"), a few seconds at most for a 24 MP photo. A video's
transcode may take minutes: its progress is written to the row as it goes, for that answer.

The stored file carries the delivery policy's metadata and no licence fields; the licence
(number, verification address, holder) is written in as the file is served, one small XMP
segment inserted at ``insert_at`` (see ``marketplace.licensing.delivery``).
"""

from __future__ import annotations

import hashlib
import logging
import tempfile
from datetime import timedelta
from functools import partial
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from marketplace.assets.models import Asset
from marketplace.assets.uploads import local_copy, photo_limits
from marketplace.background import enqueue
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.licensing.models import Licence, Rendition
from marketplace.media.delivery_policy import Credits
from marketplace.media.renditions import Made, make_photo_rendition
from marketplace.media.sniff import AVI, JPEG, MKV, MOV, MP4, WEBM
from marketplace.media.types import MediaRejected
from marketplace.media.video_renditions import make_video_rendition
from marketplace.pricing import offered_sizes, sizes_for
from marketplace.storage import get_storage

log = logging.getLogger(__name__)

TASKS = {"photo": "media.make_rendition", "video": "media.make_video_rendition"}
RETRY_AFTER_S = 2
VIDEO_RETRY_AFTER_S = 5
# A rendition still "preparing" after this long lost its task (a worker killed mid-way, a
# broker restarted): the next download queues it again.
STALE_AFTER = timedelta(minutes=10)
IMMUTABLE = "public, max-age=31536000, immutable"
EXTENSIONS = {t.mime: t.extension for t in (JPEG, MP4, MOV, MKV, WEBM, AVI)}


def is_rendered(licence: Licence) -> bool:
    """Photos and videos are delivered as renditions (anything else as its original)."""
    return licence.asset.kind in TASKS


def retry_after_s(licence: Licence) -> int:
    """How long to wait before asking again: a video takes longer to make than a photo."""
    return VIDEO_RETRY_AFTER_S if licence.asset.kind == "video" else RETRY_AFTER_S


def progress_pct(licence: Licence) -> int | None:
    """How far the making of the licence's size is (0-100), None when nobody has said yet."""
    found = _find(licence.asset_id, licence.size)
    return found.progress_pct if found is not None else None


def long_edge(asset: Asset, size: str) -> int | None:
    """The rendition's long edge for ``size`` (for a video, its short edge: 720 lines for HD);
    None for the largest size on offer, which is the original's pixels."""
    offered = offered_sizes(asset.kind, asset.width, asset.height)
    if offered and offered[-1].code == size:
        return None
    known = next((s for s in sizes_for(asset.kind) if s.code == size), None)
    if known is None:
        return None
    return known.min_short_edge if asset.kind == "video" else known.min_long_edge


def ready_rendition(licence: Licence) -> Rendition | None:
    """The ready rendition of the licence's size; when there is none yet, make sure it is being
    made (queued once however many requests ask at the same time) and return None."""
    found = _find(licence.asset_id, licence.size)
    if found is not None and found.status == "ready":
        return found
    request_rendition(licence.asset_id, licence.size, licence.asset.kind)
    found = _find(licence.asset_id, licence.size)  # made already when tasks run inline
    return found if found is not None and found.status == "ready" else None


def request_rendition(asset_id: int, size: str, kind: str = "photo") -> bool:
    """Queue the making of a rendition unless it is ready or under way; True when queued."""
    now = utcnow()
    with unit_of_work() as session:
        row = session.execute(
            sa.select(Rendition)
            .where(Rendition.asset_id == asset_id, Rendition.size == size)
            .with_for_update(of=Rendition)
        ).scalar_one_or_none()
        if row is None:
            try:
                with session.begin_nested():
                    session.add(Rendition(asset_id=asset_id, size=size, requested_at=now))
            except IntegrityError:
                return False  # a concurrent request inserted it, and queued the task
        elif row.status == "ready":
            return False
        elif row.status == "preparing" and row.requested_at > now - STALE_AFTER:
            return False
        else:
            row.status, row.requested_at, row.failure_reason = "preparing", now, ""
            row.progress_pct = None
        enqueue(session, TASKS.get(kind, TASKS["photo"]), asset_id, size)
    return True


def make_rendition(asset_id: int, size: str) -> str:
    """The worker's part: make, store and record the rendition; returns its status."""
    row = _find(asset_id, size)
    asset = db.session.get(Asset, asset_id)
    if row is None or asset is None or row.status == "ready":
        return "skipped"
    edge = long_edge(asset, size)
    stem = f"renditions/assets/{asset_id}/{size.lower()}-{asset.original_sha256[:16]}"
    try:
        with (
            local_copy(asset.original_key) as original,
            tempfile.TemporaryDirectory(prefix="coop-rendition-") as folder,
        ):
            out = Path(folder) / "rendition"
            if asset.kind == "video":
                told = partial(record_progress, asset_id, size)
                width, height, mime = make_video_rendition(
                    original, out, asset.original_mime, edge, told
                )
                made = Made(width, height, mime, None, Credits(None, None, None))
            else:
                made = make_photo_rendition(original, out, edge, photo_limits())
            key = f"{stem}.{EXTENSIONS.get(made.mime, 'bin')}"
            digest, size_bytes = _sha256(out)
            get_storage().save_file(key, out, made.mime, cache_control=IMMUTABLE)
    except MediaRejected as rejected:
        log.warning("rendition %s of asset %s failed: %s", size, asset_id, rejected.reason)
        return _record(asset_id, size, failure=rejected.reason)
    with unit_of_work() as session:
        row = _locked(session, asset_id, size)
        if row is None:
            return "skipped"
        row.status, row.key, row.mime = "ready", key, made.mime
        row.bytes, row.sha256 = size_bytes, digest
        row.width, row.height, row.insert_at = made.width, made.height, made.insert_at
        row.creator, row.copyright, row.credit = (
            made.credits.creator,
            made.credits.copyright,
            made.credits.credit,
        )
        row.made_at, row.progress_pct = utcnow(), 100
    return "ready"


def record_progress(asset_id: int, size: str, pct: int) -> None:
    """Write how far the making is, in a transaction of its own so that the buyer's next
    request reads it while the worker goes on (the caller keeps this to about once a second)."""
    with unit_of_work() as session:
        session.execute(
            sa.update(Rendition)
            .where(
                Rendition.asset_id == asset_id,
                Rendition.size == size,
                Rendition.status == "preparing",
            )
            .values(progress_pct=pct)
        )


def _record(asset_id: int, size: str, *, failure: str) -> str:
    with unit_of_work() as session:
        row = _locked(session, asset_id, size)
        if row is not None:
            row.status, row.failure_reason = "failed", failure[:2000]
    return "failed"


def _find(asset_id: int, size: str) -> Rendition | None:
    found: Rendition | None = db.session.execute(
        sa.select(Rendition)
        .where(Rendition.asset_id == asset_id, Rendition.size == size)
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    return found


def _locked(session: sa.orm.Session, asset_id: int, size: str) -> Rendition | None:
    found: Rendition | None = session.execute(
        sa.select(Rendition)
        .where(Rendition.asset_id == asset_id, Rendition.size == size)
        .with_for_update(of=Rendition)
    ).scalar_one_or_none()
    return found


def _sha256(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    total = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1024 * 1024):
            digest.update(chunk)
            total += len(chunk)
    return digest.hexdigest(), total
