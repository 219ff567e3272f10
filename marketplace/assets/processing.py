"""The worker's side of the pipeline: decode originals, make previews, learn their facts.

Each function is idempotent: it acts only on an item still ``processing``, so a redelivered
task changes nothing. A file the decoders refuse ends ``failed`` with the reason, never retried.
"""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import replace
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext

from marketplace.assets.models import Asset, DuplicateFlag
from marketplace.assets.uploads import local_copy, photo_limits
from marketplace.database import unit_of_work, utcnow
from marketplace.extensions import db
from marketplace.mail import queue_email
from marketplace.media.photos import hamming_distance, process_photo
from marketplace.media.types import MediaRejected, PhotoFacts, VideoFacts
from marketplace.media.videos import process_video
from marketplace.membership.models import ApplicationSample
from marketplace.storage import get_storage

IMMUTABLE = "public, max-age=31536000, immutable"
PREVIEW_SECONDS = 30.0
PREVIEW_HEIGHT = 480


def _store_derived(prefix: str, files: dict[str, tuple[Path, str]]) -> dict[str, str]:
    """Save derived files under fresh names (so URLs can be cached forever); returns keys."""
    token = secrets.token_hex(8)
    storage = get_storage()
    keys = {}
    for name, (path, content_type) in files.items():
        key = f"{prefix}/{token}-{name}"
        storage.save_file(key, path, content_type, cache_control=IMMUTABLE)
        keys[name] = key
    return keys


def _pending(asset_id: int) -> Asset | None:
    asset = db.session.get(Asset, asset_id)
    if asset is None or asset.status != "processing":
        return None
    return asset


def process_asset(asset_id: int) -> str:
    """Run the pipeline for one asset; returns the status it ends in."""
    asset = _pending(asset_id)
    if asset is None:
        return "skipped"
    watermark = current_app.config["WATERMARK_TEXT"]
    try:
        with local_copy(asset.original_key) as original, tempfile.TemporaryDirectory() as out:
            folder = Path(out)
            if asset.kind == "photo":
                facts: PhotoFacts | VideoFacts = process_photo(
                    original,
                    folder / "thumb.jpg",
                    folder / "preview.jpg",
                    watermark=watermark,
                    limits=photo_limits(),
                )
                files = {
                    "thumb.jpg": (folder / "thumb.jpg", "image/jpeg"),
                    "preview.jpg": (folder / "preview.jpg", "image/jpeg"),
                }
            else:
                facts = process_video(
                    original,
                    folder / "poster.jpg",
                    folder / "thumb.jpg",
                    folder / "preview.mp4",
                    watermark=watermark,
                    max_seconds=PREVIEW_SECONDS,
                    target_height=PREVIEW_HEIGHT,
                )
                files = {
                    "thumb.jpg": (folder / "thumb.jpg", "image/jpeg"),
                    "poster.jpg": (folder / "poster.jpg", "image/jpeg"),
                    "preview.mp4": (folder / "preview.mp4", "video/mp4"),
                }
            keys = _store_derived(f"derived/assets/{asset.id}", files)
    except MediaRejected as rejected:
        return mark_failed(asset_id, rejected.reason)
    return _record_facts(asset_id, facts, keys)


def _record_facts(asset_id: int, facts: PhotoFacts | VideoFacts, keys: dict[str, str]) -> str:
    with unit_of_work() as session:
        asset = session.execute(
            sa.select(Asset).where(Asset.id == asset_id).with_for_update(of=Asset)
        ).scalar_one()
        if asset.status != "processing":
            return "skipped"
        asset.width, asset.height = facts.width, facts.height
        asset.thumbnail_key = keys["thumb.jpg"]
        asset.preview_key = keys.get("preview.jpg") or keys.get("preview.mp4")
        asset.poster_key = keys.get("poster.jpg")
        if isinstance(facts, PhotoFacts):
            _record_photo_facts(asset, facts)
            _flag_near_duplicates(session, asset)
        else:
            asset.duration_ms = round(facts.duration_s * 1000)
            asset.frame_rate = f"{facts.frame_rate:.3f}".rstrip("0").rstrip(".")
            asset.codec = facts.codec
        # The member describes it and sends it to the curators (drafts.submit).
        asset.status = "draft"
        asset.processed_at = utcnow()
    return "draft"


def _record_photo_facts(asset: Asset, facts: PhotoFacts) -> None:
    camera = " ".join(p for p in (facts.camera_make, facts.camera_model) if p)
    asset.camera = camera[:120] or None
    asset.lens = (facts.lens or "")[:120] or None
    asset.taken_at = facts.taken_at
    asset.colour_profile = facts.colour_profile[:120]
    asset.dominant_colours = list(facts.dominant_colours)
    asset.phash = facts.phash
    asset.suggested = {
        "title": facts.title,
        "description": facts.description,
        "keywords": list(facts.keywords),
        "creator": facts.creator,
        "copyright": facts.copyright,
    }


def _flag_near_duplicates(session: sa.orm.Session, asset: Asset) -> None:
    """Flag catalogue photos whose perceptual hash is within the configured distance."""
    if not asset.phash:
        return
    limit = current_app.config["NEAR_DUPLICATE_DISTANCE"]
    candidates = session.execute(
        sa.select(Asset.id, Asset.phash).where(
            Asset.id != asset.id,
            Asset.phash.is_not(None),
            Asset.status.in_(("draft", "pending_review", "published")),
        )
    ).all()
    for other_id, other_hash in candidates:
        distance = hamming_distance(asset.phash, str(other_hash))
        if distance <= limit:
            session.add(DuplicateFlag(asset=asset, similar_asset_id=other_id, distance=distance))


def mark_failed(asset_id: int, reason: str) -> str:
    """End an asset's processing as failed, and tell its member why."""
    with unit_of_work() as session:
        asset = session.get(Asset, asset_id)
        if asset is None or asset.status != "processing":
            return "skipped"
        asset.status = "failed"
        asset.failure_reason = reason
        asset.processed_at = utcnow()
        user = asset.member.user
        queue_email(
            session,
            user.email,
            # Lazy: queue_email writes it in the member's language, as the body.
            lazy_gettext("We could not process “%(title)s”", title=asset.title),
            "asset_failed",
            user=user,
            asset=asset,
        )
    return "failed"


def process_sample(sample_id: int) -> str:
    """Make the thumbnail and preview of a membership application's sample image."""
    sample = db.session.get(ApplicationSample, sample_id)
    if sample is None or sample.processing_status != "processing":
        return "skipped"
    # Samples are judged by eye, so any size will do; the bomb limit still applies.
    limits = replace(photo_limits(), min_pixels=1)
    try:
        with local_copy(sample.storage_key) as original, tempfile.TemporaryDirectory() as out:
            folder = Path(out)
            facts = process_photo(
                original,
                folder / "thumb.jpg",
                folder / "preview.jpg",
                watermark=current_app.config["WATERMARK_TEXT"],
                limits=limits,
            )
            keys = _store_derived(
                f"derived/samples/{sample.id}",
                {
                    "thumb.jpg": (folder / "thumb.jpg", "image/jpeg"),
                    "preview.jpg": (folder / "preview.jpg", "image/jpeg"),
                },
            )
    except MediaRejected as rejected:
        with unit_of_work():
            sample.processing_status = "failed"
            sample.failure_reason = rejected.reason
        return "failed"
    with unit_of_work():
        sample.processing_status = "ready"
        sample.width, sample.height = facts.width, facts.height
        sample.thumbnail_key, sample.preview_key = keys["thumb.jpg"], keys["preview.jpg"]
    return "ready"
