"""Housekeeping of accounts."""

from __future__ import annotations

from celery import shared_task

from marketplace.accounts.services import purge_expired_reset_tokens
from marketplace.accounts.sessions import purge_ended_sessions


@shared_task(name="accounts.purge_expired_reset_tokens", acks_late=True)
def purge_expired_resets() -> int:
    """Hourly: reset links that can no longer be used, and sign-in sessions ended long ago."""
    return purge_expired_reset_tokens() + purge_ended_sessions()
