"""Disputes, which localstripe lacks: Stripe's dispute test cards are disputed after the charge.

A charge made with one of ``card_table``'s dispute cards succeeds, then a Dispute is opened on
it and ``charge.dispute.created`` goes, signed, to every webhook (a moment after
``payment_intent.succeeded``, as with Stripe). Routes, as Stripe's:

- ``GET /v1/disputes``, ``GET /v1/disputes/{id}``;
- ``POST /v1/disputes/{id}``: metadata and evidence; in test mode Stripe decides the dispute
  from the evidence's ``uncategorized_text``: ``winning_evidence`` wins it, ``losing_evidence``
  loses it (``charge.dispute.updated``, then ``charge.dispute.closed``);
- ``POST /v1/disputes/{id}/close``: accept the dispute, which loses it.

Stripe takes the disputed amount and its dispute fee (``DISPUTE_FEE_CENTS`` here) when the
dispute opens, as one balance transaction on the dispute; an inquiry takes nothing.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, random_id, store

from stripe_emulator.connect.errors import _check_known, invalid, missing
from stripe_emulator.connect.events import emit
from stripe_emulator.connect.web_io import (
    _json,
    _post_data,
    _query,
    _stored,
    list_response,
)

# Stripe's dispute fee (US$15); Stripe's varies by country, a fixed one is enough here.
DISPUTE_FEE_CENTS = 1500
# Events are sent a second after they happen; this keeps charge.dispute.created after the
# payment's own events, as Stripe's come.
DISPUTE_EVENT_DELAY = 1.0
EVIDENCE_DAYS = 7
INQUIRY_STATUSES = ("warning_needs_response", "warning_under_review")


class Dispute(StripeObject):
    object = "dispute"
    _id_prefix = "dp_"

    def __init__(self, charge: Any, reason: str, status: str) -> None:
        super().__init__()
        self.amount = charge.amount
        self.currency = charge.currency
        self.charge = charge.id
        self.payment_intent = charge.payment_intent
        self.reason = reason
        self.status = status
        self.metadata: dict[str, str] = {}
        self.evidence: dict[str, Any] = {"uncategorized_text": None}
        self.evidence_details = {
            "due_by": self.created + EVIDENCE_DAYS * 86400,
            "has_evidence": False,
            "past_due": False,
            "submission_count": 0,
        }
        self.is_charge_refundable = False
        self.balance_transactions: list[dict[str, Any]] = []
        if status not in INQUIRY_STATUSES:
            self.balance_transactions.append(
                _balance_transaction(
                    self, -charge.amount, DISPUTE_FEE_CENTS, "Chargeback withdrawal"
                )
            )


def _closed(dispute: Dispute) -> bool:
    return dispute.status in ("won", "lost", "warning_closed")


def _balance_transaction(
    dispute: Dispute, amount: int, fee: int, description: str
) -> dict[str, Any]:
    now = int(time.time())
    fee_details = []
    if fee:
        fee_details = [
            {
                "amount": fee,
                "currency": dispute.currency,
                "description": "Dispute fee",
                "type": "stripe_fee",
            }
        ]
    return {
        "id": "txn_" + random_id(14),
        "object": "balance_transaction",
        "amount": amount,
        "available_on": now,
        "created": now,
        "currency": dispute.currency,
        "description": description,
        "fee": fee,
        "fee_details": fee_details,
        "net": amount - fee,
        "reporting_category": "dispute",
        "source": dispute.id,
        "status": "available",
        "type": "adjustment",
    }


def open_dispute(charge: Any, reason: str, status: str) -> Dispute:
    """Open a dispute on ``charge``; ``charge.dispute.created`` follows its payment's events."""
    dispute = Dispute(charge, reason, status)
    charge._disputed = True  # the charge's ``disputed``; kept on it, so pickled with it
    loop = asyncio.get_running_loop()
    loop.call_later(DISPUTE_EVENT_DELAY, _emit_later, "charge.dispute.created", dispute)
    return dispute


def _emit_later(event_type: str, dispute: Dispute) -> None:
    emit(event_type, dispute)
    store.dump_to_disk()  # the event is stored outside any request


def _decide(dispute: Dispute, won: bool) -> None:
    before = dispute._export()
    inquiry = dispute.status in INQUIRY_STATUSES
    if inquiry:
        dispute.status = "warning_closed"
    elif won:
        dispute.status = "won"
        dispute.balance_transactions.append(
            _balance_transaction(dispute, dispute.amount, 0, "Chargeback reversal")
        )
    else:
        dispute.status = "lost"
    emit("charge.dispute.updated", dispute, before=before)
    emit("charge.dispute.closed", dispute)


async def retrieve_dispute(request: web.Request) -> web.Response:
    return _json(_dispute(request)._export())


async def list_disputes(request: web.Request) -> web.Response:
    query = _query(request)
    _check_known(
        query, ("charge", "payment_intent", "limit", "starting_after", "ending_before", "expand")
    )
    found = [
        d
        for d in _stored(Dispute)
        if query.get("charge") in (None, d.charge)
        and query.get("payment_intent") in (None, d.payment_intent)
    ]
    return list_response(found, "/v1/disputes", query, list(query.get("expand") or []))


async def update_dispute(request: web.Request) -> web.Response:
    dispute = _dispute(request)
    data = await _post_data(request)
    _check_known(data, ("evidence", "metadata", "submit", "expand"))
    if _closed(dispute):
        raise invalid(
            f"This dispute is already closed: '{dispute.id}'", code="dispute_already_closed"
        )
    metadata = data.get("metadata")
    if isinstance(metadata, dict):
        dispute.metadata.update({str(k): str(v) for k, v in metadata.items()})
    evidence = data.get("evidence")
    if evidence is not None:
        if not isinstance(evidence, dict):
            raise invalid("Invalid object", "evidence")
        dispute.evidence.update(evidence)
        dispute.evidence_details["has_evidence"] = True
    if str(data.get("submit", "true")).lower() == "true" and evidence is not None:
        dispute.evidence_details["submission_count"] += 1
        text = dispute.evidence.get("uncategorized_text")
        if text in ("winning_evidence", "losing_evidence"):
            _decide(dispute, won=text == "winning_evidence")
        else:
            before = dispute._export()
            dispute.status = (
                "warning_under_review" if dispute.status in INQUIRY_STATUSES else "under_review"
            )
            emit("charge.dispute.updated", dispute, before=before)
    return _json(dispute._export())


async def close_dispute(request: web.Request) -> web.Response:
    dispute = _dispute(request)
    if _closed(dispute):
        raise invalid(
            f"This dispute is already closed: '{dispute.id}'", code="dispute_already_closed"
        )
    _decide(dispute, won=False)
    return _json(dispute._export())


def _dispute(request: web.Request) -> Dispute:
    dispute_id = request.match_info["id"]
    found = store.get("dispute:" + dispute_id)
    if not isinstance(found, Dispute):
        raise missing("dispute", dispute_id)
    return found


def install(app: web.Application) -> None:
    app.router.add_get("/v1/disputes", list_disputes)
    app.router.add_get("/v1/disputes/{id}", retrieve_dispute)
    app.router.add_post("/v1/disputes/{id}", update_dispute)
    app.router.add_post("/v1/disputes/{id}/close", close_dispute)
