"""Housekeeping of accounts."""

from __future__ import annotations

from celery import shared_task

from marketplace.accounts.services import purge_expired_reset_tokens


@shared_task(name="accounts.purge_expired_reset_tokens", acks_late=True)
def purge_expired_resets() -> int:
    return purge_expired_reset_tokens()
