"""Stripe's objects as the plain states of ``marketplace.payments.gateway``.

Part of the Stripe adapter (``stripe_gateway``).
"""

from __future__ import annotations

from typing import Any

from marketplace.payments.gateway import ConnectedAccountState, RefundState, TransferState


def plain(obj: Any) -> dict[str, Any]:
    """A Stripe object as plain dicts (stripe-python's objects are no longer dicts)."""
    plain: dict[str, Any] = obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)
    return plain


def metadata_of(obj: Any) -> dict[str, str]:
    metadata = obj.get("metadata") if obj is not None else None
    return {str(k): str(v) for k, v in (metadata or {}).items()}


def refund_state(obj: Any) -> RefundState:
    obj = plain(obj)
    return RefundState(
        id=obj["id"],
        status=str(obj.get("status") or "pending"),
        amount_cents=int(obj["amount"]),
        metadata=metadata_of(obj),
    )


def account_state(obj: Any) -> ConnectedAccountState:
    account = plain(obj)
    requirements = account.get("requirements") or {}
    capabilities = account.get("capabilities") or {}
    return ConnectedAccountState(
        id=account["id"],
        details_submitted=bool(account.get("details_submitted")),
        payouts_enabled=bool(account.get("payouts_enabled")),
        transfers_active=capabilities.get("transfers") == "active",
        requirements_due=[str(code) for code in requirements.get("currently_due") or []],
        disabled_reason=requirements.get("disabled_reason"),
    )


def transfer_state(obj: Any) -> TransferState:
    transfer = plain(obj)
    destination = transfer.get("destination")
    if isinstance(destination, dict):
        destination = destination.get("id")
    return TransferState(
        id=transfer["id"],
        amount_cents=int(transfer["amount"]),
        amount_reversed_cents=int(transfer.get("amount_reversed") or 0),
        currency=str(transfer["currency"]).upper(),
        destination=str(destination),
        metadata=metadata_of(transfer),
    )
