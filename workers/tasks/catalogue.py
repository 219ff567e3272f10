"""Catalogue housekeeping: the search vocabulary, and each work's related work."""

from __future__ import annotations

from celery import shared_task

from marketplace.catalogue import related_store
from marketplace.catalogue.vocabulary import refresh_vocabulary


@shared_task(name="catalogue.refresh_vocabulary", acks_late=True)
def refresh() -> int:
    return refresh_vocabulary()


@shared_task(name="catalogue.refresh_related", acks_late=True)
def refresh_related(asset_id: int) -> bool:
    return related_store.refresh(asset_id)
