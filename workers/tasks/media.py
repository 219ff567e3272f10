"""The media pipeline's tasks: photos and samples on one queue, videos on their own.

A file the decoders refuse ends ``failed`` inside the service and is not retried. Anything
else (storage away, a worker killed) is retried a few times, then marked failed, so no task
retries forever and the next upload is processed normally.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from marketplace.assets.cleanup import (
    fail_stuck_uploads,
    remove_failed_originals,
    sweep_orphan_uploads,
)
from marketplace.assets.processing import mark_failed, process_asset, process_sample
from marketplace.licensing import renditions

RETRIES = 3
GIVE_UP_REASON = "We could not process this file. Try uploading it again, or ask an admin."


def _run_asset(task: Any, asset_id: int) -> str:
    try:
        return process_asset(asset_id)
    except Exception as error:
        if task.request.retries >= RETRIES:
            return mark_failed(asset_id, GIVE_UP_REASON)
        raise task.retry(exc=error, countdown=5 * 2**task.request.retries) from error


@shared_task(name="media.process_photo", bind=True, acks_late=True, max_retries=RETRIES)
def process_photo(self: Any, asset_id: int) -> str:
    return _run_asset(self, asset_id)


@shared_task(name="media.process_video", bind=True, acks_late=True, max_retries=RETRIES)
def process_video(self: Any, asset_id: int) -> str:
    return _run_asset(self, asset_id)


@shared_task(
    name="media.process_sample", acks_late=True, autoretry_for=(OSError,), max_retries=RETRIES
)
def process_application_sample(sample_id: int) -> str:
    return process_sample(sample_id)


@shared_task(name="media.clean_up_uploads", acks_late=True)
def clean_up_uploads() -> int:
    fail_stuck_uploads()
    return remove_failed_originals()


@shared_task(name="media.sweep_orphan_uploads", acks_late=True)
def sweep_orphans() -> int:
    return sweep_orphan_uploads()


@shared_task(
    name="media.make_rendition", acks_late=True, autoretry_for=(OSError,), max_retries=RETRIES
)
def make_rendition(asset_id: int, size: str) -> str:
    return renditions.make_rendition(asset_id, size)


@shared_task(
    name="media.make_video_rendition",
    acks_late=True,
    autoretry_for=(OSError,),
    max_retries=RETRIES,
)
def make_video_rendition(asset_id: int, size: str) -> str:
    return renditions.make_rendition(asset_id, size)
