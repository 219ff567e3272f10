"""What failed and abandoned uploads leave in storage, removed on a schedule (beat).

Three kinds, each handled by one function that beat calls and that may run again at any time
with the same result:

* a **failed** upload keeps its original for ``FAILED_UPLOAD_RETENTION_DAYS`` (7), so that the
  member can read why and an admin can look at the file; then the original and any derived
  files the pipeline left go, and the row records when (``original_removed_at``);
* an upload whose processing never finished (the worker died, the task was lost) is still
  ``processing`` after ``STUCK_UPLOAD_HOURS`` (24): it is marked failed, the member is told,
  and the rule above applies;
* an original streamed to storage by a request that died before its row was committed has no
  row at all: a daily sweep lists ``originals/`` and removes keys that no asset names and that
  are older than ``ORPHAN_UPLOAD_GRACE_HOURS`` (24, far longer than any upload takes). It
  removes at most ``ORPHAN_DELETE_LIMIT`` a run, so storage paired with the wrong database
  (say, a fresh restore) loses a few files and an error in the log, not every original.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from marketplace.assets.models import Asset
from marketplace.assets.processing import mark_failed
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.i18n.markers import N_
from marketplace.storage import StorageError, get_storage

log = logging.getLogger(__name__)

BATCH = 200
ORPHAN_PAGE = 500
ORPHAN_DELETE_LIMIT = 100
# Stored as the asset's failure_reason in English; pages and emails show it translated.
STUCK_REASON = N_(
    "Processing this file never finished, so we stopped trying. Please upload it again, "
    "or ask an admin."
)


def fail_stuck_uploads(now: datetime | None = None) -> int:
    """Mark failed (and tell the member) uploads still processing after the configured hours;
    returns how many."""
    hours = current_app.config["STUCK_UPLOAD_HOURS"]
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    stuck = db.session.scalars(
        sa.select(Asset.id)
        .where(Asset.status == "processing", Asset.created_at <= cutoff)
        .order_by(Asset.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()  # each is marked in a transaction of its own
    failed = [asset_id for asset_id in stuck if mark_failed(asset_id, STUCK_REASON) == "failed"]
    if failed:
        log.warning(
            "Marked %d upload(s) failed after %d h processing: %s", len(failed), hours, failed
        )
    return len(failed)


def remove_failed_originals(now: datetime | None = None) -> int:
    """Remove the originals and derived files of uploads failed longer than the retention;
    returns how many assets' files were removed. A storage error leaves that asset for the
    next run."""
    now = now or utcnow()
    cutoff = now - timedelta(days=current_app.config["FAILED_UPLOAD_RETENTION_DAYS"])
    due = db.session.execute(
        sa.select(Asset.id, Asset.original_key)
        .where(
            Asset.status == "failed",
            Asset.original_removed_at.is_(None),
            Asset.processed_at <= cutoff,
        )
        .order_by(Asset.id)
        .limit(BATCH)
    ).all()
    db.session.rollback()
    removed = 0
    for asset_id, original_key in due:
        try:
            _delete(original_key, *(e.key for e in get_storage().list_keys(_derived(asset_id))))
        except StorageError as error:
            log.warning("Could not remove the files of failed asset %s: %s", asset_id, error)
            continue
        with unit_of_work() as session:
            asset = session.get(Asset, asset_id)
            if asset is not None and asset.original_removed_at is None:
                asset.original_removed_at = now
        log.info("Removed the original of failed asset %s (%s)", asset_id, original_key)
        removed += 1
    return removed


def sweep_orphan_uploads(now: datetime | None = None) -> int:
    """Remove originals in storage that no asset names, older than the grace period; at most
    ``ORPHAN_DELETE_LIMIT`` a run. Returns how many were removed."""
    hours = current_app.config["ORPHAN_UPLOAD_GRACE_HOURS"]
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    removed, page = 0, []
    for entry in get_storage().list_keys("originals/"):
        if entry.modified_at <= cutoff:
            page.append(entry.key)
        if len(page) >= ORPHAN_PAGE:
            removed += _remove_unrecorded(page, ORPHAN_DELETE_LIMIT - removed)
            page = []
        if removed >= ORPHAN_DELETE_LIMIT:
            log.error(
                "Removed %d originals that no asset names, the most one run may: is this "
                "storage paired with the right database? The rest wait for the next run.",
                removed,
            )
            return removed
    return removed + _remove_unrecorded(page, ORPHAN_DELETE_LIMIT - removed)


def _remove_unrecorded(keys: list[str], allowance: int) -> int:
    if not keys:
        return 0
    recorded = set(
        db.session.scalars(sa.select(Asset.original_key).where(Asset.original_key.in_(keys)))
    )
    db.session.rollback()
    removed = 0
    for key in [key for key in keys if key not in recorded][:allowance]:
        try:
            _delete(key)
        except StorageError as error:
            log.warning("Could not remove orphan original %s: %s", key, error)
            continue
        log.warning("Removed %s: no asset names it (its upload died before being recorded)", key)
        removed += 1
    return removed


def _derived(asset_id: int) -> str:
    return f"derived/assets/{asset_id}/"


def _delete(*keys: str) -> None:
    storage = get_storage()
    for key in keys:
        storage.delete(key)
