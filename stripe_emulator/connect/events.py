"""Connect's events, delivered signed to every webhook through localstripe's own delivery."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe.resources import Event, StripeObject
from localstripe.webhooks import _webhooks, schedule_webhook

# The API version our events claim: the one the app's stripe-python pins.
API_VERSION = "2024-06-20"


class ConnectEvent(Event):
    """An event shaped like Stripe's current ones (localstripe's lack pending_webhooks...)."""

    def __init__(
        self,
        type: str,
        data: dict[str, Any],
        previous_attributes: dict[str, Any] | None = None,
        account: str | None = None,
        request: dict[str, Any] | None = None,
    ) -> None:
        StripeObject.__init__(self)
        self.type = type
        self.data = {"object": data}
        if previous_attributes is not None:
            self.data["previous_attributes"] = previous_attributes
        self.api_version = API_VERSION
        self.request = request or {"id": None, "idempotency_key": None}
        self._account = account
        self.pending_webhooks = sum(
            1 for hook in _webhooks.values() if hook.events is None or type in hook.events
        )

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        exported = {
            "id": self.id,
            "object": "event",
            "api_version": self.api_version,
            "created": self.created,
            "data": self.data,
            "livemode": False,
            "pending_webhooks": self.pending_webhooks,
            "request": self.request,
            "type": self.type,
        }
        if self._account is not None:
            # As on a Connect endpoint: the connected account the event happened on.
            exported["account"] = self._account
        return exported


def _changes(before: Any, after: Any) -> Any:
    """Stripe's previous_attributes: the old values of what changed (recursing into objects)."""
    if isinstance(before, dict) and isinstance(after, dict):
        changed = {}
        for key in before.keys() | after.keys():
            if before.get(key) != after.get(key):
                changed[key] = _changes(before.get(key), after.get(key))
        return changed
    return before


def emit(
    type: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    account: str | None = None,
    request: web.Request | None = None,
) -> ConnectEvent | None:
    """Record the event and have localstripe deliver it, signed, to every registered webhook."""
    now = obj._export()
    previous = None
    if before is not None:
        previous = _changes(before, now)
        if not previous:
            return None
    request_info = None
    if request is not None:
        request_info = {
            "id": request.get("coop_request_id"),
            "idempotency_key": request.headers.get("Idempotency-Key"),
        }
    event = ConnectEvent(type, now, previous, account, request_info)
    schedule_webhook(event)
    return event
