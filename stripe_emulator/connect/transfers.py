"""Transfers to connected accounts (``/v1/transfers``), and their reversals."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, random_id, store

from stripe_emulator.connect.accounts import Account
from stripe_emulator.connect.errors import (
    _check_known,
    _currency,
    _expand,
    _metadata,
    _positive_int,
    _required_int,
    _required_string,
    _string,
    invalid,
    missing,
    refusal,
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

CAPABILITY_REFUSAL = (
    "Your destination account needs to have at least one of the following capabilities "
    "enabled: transfers, crypto_transfers, legacy_payments"
)


# Transfer ids by destination, oldest first: built from the store on first use (it may have
# been loaded from disk), then kept as transfers are made. Listing a destination's transfers,
# which the app does before each payment, then costs its own transfers, not the whole store.
_by_destination: dict[str, list[str]] | None = None


def _destination_index() -> dict[str, list[str]]:
    global _by_destination
    if _by_destination is None:
        index: dict[str, list[str]] = {}
        for transfer in reversed(_stored(Transfer)):
            index.setdefault(transfer.destination, []).append(transfer.id)
        _by_destination = index
    return _by_destination


def _transfers_to(destination: str) -> list[Transfer]:
    """The destination's stored transfers, newest first (ids of a store emptied since are
    skipped)."""
    found = (
        store.get("transfer:" + id) for id in reversed(_destination_index().get(destination, []))
    )
    return [t for t in found if isinstance(t, Transfer) and t.destination == destination]


class TransferReversal(StripeObject):
    object = "transfer_reversal"
    _id_prefix = "trr_"

    def __init__(self, transfer: Transfer, amount: int, metadata: dict[str, str]) -> None:
        super().__init__()
        self.amount = amount
        self.currency = transfer.currency
        self.metadata = metadata
        self.transfer = transfer.id
        self.balance_transaction = "txn_" + random_id(24)
        self.destination_payment_refund = "pyr_" + random_id(24)

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "transfer_reversal",
            "amount": self.amount,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "destination_payment_refund": self.destination_payment_refund,
            "metadata": dict(self.metadata),
            "source_refund": None,
            "transfer": self.transfer,
        }


class Transfer(StripeObject):
    object = "transfer"
    _id_prefix = "tr_"

    def __init__(self, data: dict[str, Any]) -> None:
        _check_known(
            data,
            ("amount", "currency", "destination", "description", "metadata",
             "source_transaction", "source_type", "transfer_group"),
        )  # fmt: skip
        amount = _required_int(data, "amount")
        currency = _currency(data)
        destination_id = _required_string(data, "destination")
        description = _string(data, "description")
        transfer_group = _string(data, "transfer_group")
        metadata = _metadata(data)
        source_transaction = _string(data, "source_transaction")
        if source_transaction is not None and "charge:" + source_transaction not in store:
            raise missing("charge", source_transaction, "source_transaction", 400)
        source_type = _string(data, "source_type") or "card"
        if source_type not in ("bank_account", "card", "fpx"):
            raise invalid(f"Invalid source_type: {source_type}", "source_type")
        destination = Account._get(destination_id, "destination", "destination", 400)
        if destination.capabilities.get("transfers") != "active":
            raise refusal(
                CAPABILITY_REFUSAL, "destination", "insufficient_capabilities_for_transfer"
            )

        super().__init__()
        self.amount = amount
        self.amount_reversed = 0
        self.currency = currency
        self.description = description
        self.destination = destination.id
        self.metadata = metadata
        self.source_transaction = source_transaction
        self.source_type = source_type
        self.transfer_group = transfer_group
        self.balance_transaction = "txn_" + random_id(24)
        self.destination_payment = "py_" + random_id(24)
        self._reversals: list[str] = []
        if _by_destination is not None:
            _by_destination.setdefault(self.destination, []).append(self.id)

    @classmethod
    def _get(cls, id: str) -> Transfer:
        obj = store.get("transfer:" + id)
        if not isinstance(obj, Transfer):
            raise missing("transfer", id)
        return obj

    def _reversal_objects(self) -> list[TransferReversal]:
        return [store["transfer_reversal:" + id] for id in reversed(self._reversals)]

    def _reverse(self, data: dict[str, Any]) -> TransferReversal:
        _check_known(data, ("amount", "description", "metadata", "refund_application_fee"))
        remaining = self.amount - self.amount_reversed
        amount = _positive_int(data, "amount", required=False)
        metadata = _metadata(data)
        if remaining == 0:
            raise refusal(f"Transfer {self.id} has already been fully reversed.", "amount")
        if amount is None:
            amount = remaining
        if amount > remaining:
            raise refusal(
                f"You cannot reverse more than the amount remaining on transfer {self.id}: "
                f"you asked for {amount}, and {remaining} ({self.currency}) of its "
                f"{self.amount} can still be reversed.",
                "amount",
            )
        reversal = TransferReversal(self, amount, metadata)
        self._reversals.append(reversal.id)
        self.amount_reversed += amount
        return reversal

    @property
    def _reversed(self) -> bool:
        return self.amount_reversed >= self.amount

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        reversals = self._reversal_objects()
        destination: Any = self.destination
        if expand and "destination" in expand:
            destination = Account._get(self.destination)._export()
        return {
            "id": self.id,
            "object": "transfer",
            "amount": self.amount,
            "amount_reversed": self.amount_reversed,
            "balance_transaction": self.balance_transaction,
            "created": self.created,
            "currency": self.currency,
            "description": self.description,
            "destination": destination,
            "destination_payment": self.destination_payment,
            "livemode": False,
            "metadata": dict(self.metadata),
            "reversals": {
                "object": "list",
                "data": [reversal._export() for reversal in reversals[:10]],
                "has_more": len(reversals) > 10,
                "total_count": len(reversals),
                "url": f"/v1/transfers/{self.id}/reversals",
            },
            "reversed": self._reversed,
            "source_transaction": self.source_transaction,
            "source_type": self.source_type,
            "transfer_group": self.transfer_group,
        }


async def create_transfer(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    transfer = Transfer(data)
    emit("transfer.created", transfer, request=request)
    return _json(transfer._export(expand))


def retrieve_transfer(request: web.Request) -> web.Response:
    expand = _expand(_query(request))
    return _json(Transfer._get(request.match_info["id"])._export(expand))


async def update_transfer(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    _check_known(data, ("description", "metadata"))
    transfer = Transfer._get(request.match_info["id"])
    description = _string(data, "description")
    metadata = _metadata(data, transfer.metadata)
    before = transfer._export()
    if description is not None:
        transfer.description = description
    transfer.metadata = metadata
    emit("transfer.updated", transfer, before=before, request=request)
    return _json(transfer._export(expand))


def list_transfers(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    created = _created_filter(query.pop("created", None))
    destination = query.pop("destination", None)
    group = query.pop("transfer_group", None)
    _check_known(query, ("limit", "starting_after", "ending_before"))
    candidates = _stored(Transfer) if destination is None else _transfers_to(destination)
    transfers = [
        t for t in candidates if created(t.created) and (group is None or t.transfer_group == group)
    ]
    return list_response(transfers, "/v1/transfers", query, expand)


async def create_reversal(request: web.Request) -> web.Response:
    data = await _post_data(request)
    _expand(data)
    transfer = Transfer._get(request.match_info["id"])
    before = transfer._export()
    reversal = transfer._reverse(data)
    emit("transfer.reversed", transfer, before=before, request=request)
    return _json(reversal._export())


def list_reversals(request: web.Request) -> web.Response:
    query = _query(request)
    expand = _expand(query)
    _check_known(query, ("limit", "starting_after", "ending_before"))
    transfer = Transfer._get(request.match_info["id"])
    url = f"/v1/transfers/{transfer.id}/reversals"
    return list_response(transfer._reversal_objects(), url, query, expand)


def retrieve_reversal(request: web.Request) -> web.Response:
    transfer = Transfer._get(request.match_info["id"])
    reversal_id = request.match_info["reversal"]
    if reversal_id not in transfer._reversals:
        raise missing("transfer reversal", reversal_id)
    return _json(store["transfer_reversal:" + reversal_id]._export())
