"""Governance on schedule: votes open and close by themselves; members are told by email."""

from __future__ import annotations

from celery import shared_task

from marketplace.governance import notifications, votes


@shared_task(name="governance.open_and_close_votes", acks_late=True)
def open_and_close_votes() -> dict[str, int]:
    return {"opened": votes.open_due(), "closed": votes.close_due()}


@shared_task(name="governance.notify_members", acks_late=True)
def notify_members(kind: str, object_id: int) -> int:
    return notifications.notify_members(kind, object_id)
