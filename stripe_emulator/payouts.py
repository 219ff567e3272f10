"""Payouts from the platform's balance to its bank (``/v1/payouts``), and their balance
transactions, which localstripe lacks.

Routes (``install`` registers them on localstripe's app):

- ``POST /v1/payouts`` (amount, currency, description, metadata, method, statement_descriptor):
  a ``pending`` payout arriving today (midnight UTC, as Stripe's ``arrival_date`` is), with its
  balance transaction of type ``payout`` (the amount out of the balance, negative);
- ``GET /v1/payouts/{id}``; ``GET /v1/payouts`` newest first, filtered by ``arrival_date``,
  ``created`` (an exact timestamp or ``gt``/``gte``/``lt``/``lte``) and ``status``, paginated;
- ``GET /v1/balance_transactions/{id}``: a payout's (or a failed payout's) balance transaction;
- ``POST /_config/payouts/{id}/state`` (JSON: ``status`` paid or failed, ``deliver`` true or false):
  a test helper that settles a payout as the bank would. ``deliver=false`` changes the payout
  without sending its event, as when a webhook is lost.

Events ``payout.created``, ``payout.paid`` and ``payout.failed`` go, signed, to every webhook
registered with localstripe, as Connect's do. A failed payout gets a second balance transaction,
of type ``payout_failure`` (the money back, positive), named by ``failure_balance_transaction``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from localstripe.resources import BalanceTransaction as LocalstripeTransaction
from localstripe.resources import StripeObject, store

from stripe_emulator.connect import _coroutine
from stripe_emulator.connect.errors import (
    _check_known,
    _currency,
    _metadata,
    _required_int,
    _string,
    invalid,
    missing,
)
from stripe_emulator.connect.events import emit
from stripe_emulator.connect.web_io import (
    _created_filter,
    _json,
    _post_data,
    _query,
    _stored,
    list_response,
)

STATE_PATH = "/_config/payouts/{id}/state"
STATUSES = ("paid", "pending", "in_transit", "canceled", "failed")
# What Stripe says when the bank sends a payout back (its failure codes, documented).
FAILURE_CODE = "account_closed"
FAILURE_MESSAGE = "The bank account has been closed."


def _midnight_today() -> int:
    now = datetime.now(UTC)
    return int(datetime(now.year, now.month, now.day, tzinfo=UTC).timestamp())


class BalanceTransaction(StripeObject):
    object = "balance_transaction"
    _id_prefix = "txn_"

    def __init__(self, amount: int, currency: str, source: str, type: str, text: str) -> None:
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.source = source
        self.type = type
        self.description = text
        self.available_on = self.created

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "balance_transaction",
            "amount": self.amount,
            "available_on": self.available_on,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "exchange_rate": None,
            "fee": 0,
            "fee_details": [],
            "net": self.amount,
            "reporting_category": self.type,
            "source": self.source,
            "status": "available",
            "type": self.type,
        }


class Payout(StripeObject):
    object = "payout"
    _id_prefix = "po_"

    def __init__(self, amount: int, currency: str, data: dict[str, Any]) -> None:
        super().__init__()
        self.amount = amount
        self.currency = currency
        self.description = _string(data, "description")
        self.metadata = _metadata(data)
        self.method = _string(data, "method") or "standard"
        if self.method not in ("standard", "instant"):
            raise invalid("Invalid method: must be one of standard or instant", "method")
        self.statement_descriptor = _string(data, "statement_descriptor")
        self.arrival_date = _midnight_today()
        self.status = "pending"
        self.failure_code: str | None = None
        self.failure_message: str | None = None
        self.failure_balance_transaction: str | None = None
        transaction = BalanceTransaction(
            -amount, currency, self.id, "payout", self.description or "STRIPE PAYOUT"
        )
        self.balance_transaction = transaction.id

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "payout",
            "amount": self.amount,
            "arrival_date": self.arrival_date,
            "automatic": False,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "destination": "ba_coop_bank",
            "failure_balance_transaction": self.failure_balance_transaction,
            "failure_code": self.failure_code,
            "failure_message": self.failure_message,
            "livemode": False,
            "metadata": self.metadata,
            "method": self.method,
            "original_payout": None,
            "reconciliation_status": "completed" if self.status == "paid" else "not_applicable",
            "reversed_by": None,
            "source_type": "card",
            "statement_descriptor": self.statement_descriptor,
            "status": self.status,
            "type": "bank_account",
        }


def _id(request: web.Request) -> str:
    found = PAYOUT_PATH.match(request.path) or TRANSACTION_PATH.match(request.path)
    return found["id"] if found is not None else request.match_info["id"]


def _payout(id: str) -> Payout:
    found = store.get("payout:" + id)
    if not isinstance(found, Payout):
        raise missing("payout", id)
    return found


async def create_payout(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _check_known(
        data, ("amount", "currency", "description", "metadata", "method", "statement_descriptor")
    )
    amount = _required_int(data, "amount")
    if amount <= 0:
        raise invalid("Invalid positive integer", "amount")
    payout = Payout(amount, _currency(data), data)
    emit("payout.created", payout, request=request)
    return _json(payout._export())


def retrieve_payout(request: web.Request) -> web.Response:
    return _json(_payout(_id(request))._export())


def list_payouts(request: web.Request) -> web.Response:
    query = _query(request)
    _check_known(
        query,
        (
            "arrival_date",
            "created",
            "destination",
            "ending_before",
            "expand",
            "limit",
            "starting_after",
            "status",
        ),
    )
    arrival = _created_filter(query.get("arrival_date"))
    created = _created_filter(query.get("created"))
    status = query.get("status")
    if status is not None and status not in STATUSES:
        raise invalid(f"Invalid status: must be one of {', '.join(STATUSES)}", "status")
    payouts = [
        p
        for p in _stored(Payout)
        if arrival(p.arrival_date) and created(p.created) and status in (None, p.status)
    ]
    return list_response(payouts, "/v1/payouts", query, [])


def retrieve_balance_transaction(request: web.Request) -> web.Response:
    id = _id(request)
    found = store.get("balance_transaction:" + id)
    # Ours (payouts, converted charges and refunds), or localstripe's own (a charge or refund
    # in the settlement currency), which this route answers in front of localstripe.
    if not isinstance(found, BalanceTransaction | LocalstripeTransaction):
        raise missing("balance_transaction", id)
    return _json(found._export())


async def set_payout_state(request: web.Request) -> web.Response:
    """Settle a payout as the bank would: paid, or failed with the money back in the balance."""
    payout = _payout(request.match_info["id"])
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Send a JSON object.") from None
    if not isinstance(data, dict):
        raise invalid("Send a JSON object.")
    _check_known(data, ("status", "deliver"))
    status = data.get("status")
    if status not in ("paid", "failed"):
        raise invalid("status must be paid or failed", "status")
    deliver = data.get("deliver", True) is not False
    if payout.status == status:
        return _json(payout._export())
    if payout.status not in ("pending", "in_transit", "paid"):
        raise invalid(f"A payout that is {payout.status} cannot become {status}.", "status")
    if status == "paid" and payout.status != "pending":
        raise invalid(f"A payout that is {payout.status} cannot be paid.", "status")
    payout.status = status
    if status == "failed":
        payout.failure_code = FAILURE_CODE
        payout.failure_message = FAILURE_MESSAGE
        back = BalanceTransaction(
            payout.amount, payout.currency, payout.id, "payout_failure", "STRIPE PAYOUT FAILURE"
        )
        payout.failure_balance_transaction = back.id
    # Saved through the store, as localstripe saves on every change.
    store["payout:" + payout.id] = payout
    if deliver:
        emit(f"payout.{status}", payout, request=request)
    return _json(payout._export())


PAYOUTS_PATH = re.compile(r"^/v1/payouts/?$")
PAYOUT_PATH = re.compile(r"^/v1/payouts/(?P<id>[\w]+)$")
TRANSACTION_PATH = re.compile(r"^/v1/balance_transactions/(?P<id>[\w]+)$")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _route(request: web.Request) -> Callable[[web.Request], Any] | None:
    if request.method == "POST" and PAYOUTS_PATH.match(request.path):
        return create_payout
    if request.method != "GET":
        return None
    if PAYOUTS_PATH.match(request.path):
        return list_payouts
    if PAYOUT_PATH.match(request.path):
        return retrieve_payout
    if TRANSACTION_PATH.match(request.path):
        return retrieve_balance_transaction
    return None


@web.middleware
async def payout_routes_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Stripe's payout routes, answered here: localstripe registered ``/v1/payouts`` at import
    for its own Payout (euros only, a made-up balance transaction, no ``arrival_date``
    filter), so this runs in front of them. (Installed after localstripe's authentication and
    error middlewares: the key is checked, and UserErrors raised here become answers.)"""
    route = _route(request)
    if route is None:
        return await handler(request)
    result = route(request)
    if isinstance(result, Awaitable):
        result = await result
    if not isinstance(result, web.StreamResponse):
        raise TypeError(f"{route.__name__} returned {result!r}")
    return result


def install(app: web.Application) -> None:
    app.middlewares.append(payout_routes_middleware)
    app.router.add_route("POST", STATE_PATH, _coroutine(set_payout_state))
