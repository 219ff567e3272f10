"""Catalogue housekeeping."""

from __future__ import annotations

from celery import shared_task

from marketplace.catalogue.vocabulary import refresh_vocabulary


@shared_task(name="catalogue.refresh_vocabulary", acks_late=True)
def refresh() -> int:
    return refresh_vocabulary()
