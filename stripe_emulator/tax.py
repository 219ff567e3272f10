"""Stripe Tax's calculation and transaction API for the emulator, which localstripe lacks.

Routes (``install`` registers them on localstripe's app):

- ``POST /v1/tax/calculations`` (currency, line_items[amount, product, quantity, reference,
  tax_behavior, tax_code, metadata], customer_details[address, address_source, ip_address,
  tax_ids, taxability_override], tax_date, expand): the tax of each line at the customer's
  address, from the product's rates (stripe_emulator/tax_rates.py);
- ``GET /v1/tax/calculations/{id}`` and ``GET /v1/tax/calculations/{id}/line_items``;
- ``POST /v1/tax/transactions/create_from_calculation`` (calculation, reference, metadata);
- ``POST /v1/tax/transactions/create_reversal`` (mode full or partial, original_transaction,
  reference, line_items[original_line_item, amount, amount_tax, quantity, reference] or
  flat_amount, metadata);
- ``GET /v1/tax/transactions/{id}`` and ``GET /v1/tax/transactions/{id}/line_items``;
- ``POST /_config/tax/settings`` (JSON ``{"head_office_country": "FR"}``): a test helper that sets
  where the co-op is established (Stripe's tax settings' head office), ``US`` until told.

As Stripe does, ``line_items`` of a calculation or a transaction are answered only when
expanded (``expand[]=line_items``) or through their own list route. An ``eu_vat`` tax id whose
format or check digits are wrong is refused (``tax_id_invalid``); a valid one of an EU customer
outside the head office's member state makes the sale a reverse charge. A reversal's amounts are
negative, and no line can be reversed beyond what it charged.

Modules: ``tax_calculations`` (calculations, the customer's details, the settings' head office),
``tax_rates`` (the product's rules worded as Stripe's breakdowns), ``tax_reversals`` (what a
reversal takes back from each line), ``tax_params`` (parameter checks); this one has the
transactions and the routes.
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, store

from stripe_emulator.connect import _coroutine
from stripe_emulator.connect.errors import _check_known, _metadata, invalid, missing
from stripe_emulator.connect.web_io import _json, _post_data, _query, list_response
from stripe_emulator.tax_calculations import (
    SETTINGS_KEY,
    CalculationLineItem,
    TaxCalculation,
    _calculation,
    _list_of,
)
from stripe_emulator.tax_params import _expand, _required_text, _text
from stripe_emulator.tax_reversals import reversal_lines

SETTINGS_PATH = "/_config/tax/settings"


class TransactionLineItem:
    def __init__(
        self,
        id: str,
        source: CalculationLineItem | TransactionLineItem,
        amount: int,
        amount_tax: int,
        reference: str,
        *,
        original: TransactionLineItem | None = None,
        quantity: int | None = None,
        metadata: dict[str, str] | None = None,
    ) -> None:
        self.id = id
        self.amount = amount
        self.amount_tax = amount_tax
        self.reference = reference
        self.metadata: dict[str, str] = metadata if metadata is not None else dict(source.metadata)
        self.product: str | None = source.product
        self.quantity: int = quantity if quantity is not None else source.quantity
        self.tax_behavior: str = source.tax_behavior
        self.tax_code: str = source.tax_code
        self.original = original
        # What is still there to reverse (for an original line item).
        self.left_amount = amount
        self.left_tax = amount_tax

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "tax.transaction_line_item",
            "amount": self.amount,
            "amount_tax": self.amount_tax,
            "livemode": False,
            "metadata": self.metadata,
            "product": self.product,
            "quantity": self.quantity,
            "reference": self.reference,
            "reversal": {"original_line_item": self.original.id} if self.original else None,
            "tax_behavior": self.tax_behavior,
            "tax_code": self.tax_code,
            "type": "reversal" if self.original else "transaction",
        }


class TaxTransaction(StripeObject):
    object = "tax.transaction"
    _id_prefix = "tax_"

    def __init__(
        self,
        reference: str,
        currency: str,
        customer_details: dict[str, Any],
        tax_date: int,
        metadata: dict[str, str],
        original: TaxTransaction | None = None,
    ) -> None:
        super().__init__()
        self.reference = reference
        self.currency = currency
        self.customer_details = customer_details
        self.tax_date = tax_date
        self.metadata = metadata
        self.original = original
        self.lines: list[TransactionLineItem] = []

    def line_id(self, index: int) -> str:
        return f"tax_li_{self.id.removeprefix('tax_')}{index:03d}"

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "object": "tax.transaction",
            "created": self.created,
            "currency": self.currency,
            "customer": None,
            "customer_details": self.customer_details,
            "livemode": False,
            "metadata": self.metadata,
            "reference": self.reference,
            "reversal": {"original_transaction": self.original.id} if self.original else None,
            "shipping_cost": None,
            "tax_date": self.tax_date,
            "type": "reversal" if self.original else "transaction",
        }
        if "line_items" in (expand or []):
            data["line_items"] = _list_of(self.lines, f"/v1/tax/transactions/{self.id}/line_items")
        return data


def _transaction(id: str, param: str = "id") -> TaxTransaction:
    found = store.get("tax.transaction:" + id)
    if not isinstance(found, TaxTransaction):
        raise missing("tax.transaction", id, param)
    return found


def _unused_reference(data: dict[str, Any]) -> str:
    reference = _required_text(data, "reference", "reference")
    taken = any(
        isinstance(obj, TaxTransaction) and obj.reference == reference for obj in store.values()
    )
    if taken:
        message = f"A transaction with the reference '{reference}' already exists."
        raise invalid(message, "reference", "tax_transaction_reference_taken")
    return reference


async def create_calculation(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    calculation = TaxCalculation(data)
    store["tax.calculation:" + calculation.id] = calculation  # saved, as localstripe saves
    return _json(calculation._export(expand))


def retrieve_calculation(request: web.Request) -> web.Response:
    expand = _expand(_query(request))
    return _json(_calculation(request.match_info["id"])._export(expand))


def list_calculation_lines(request: web.Request) -> web.Response:
    calculation = _calculation(request.match_info["id"])
    query = _query(request)
    url = f"/v1/tax/calculations/{calculation.id}/line_items"
    return list_response(calculation.lines, url, query, [])


async def create_from_calculation(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    _check_known(data, ("calculation", "metadata", "posted_at", "reference"))
    calculation = _calculation(_required_text(data, "calculation", "calculation"), "calculation")
    reference = _unused_reference(data)
    transaction = TaxTransaction(
        reference,
        calculation.currency,
        calculation.customer_details,
        calculation.tax_date,
        _metadata(data),
    )
    for index, line in enumerate(calculation.lines):
        transaction.lines.append(
            TransactionLineItem(
                transaction.line_id(index),
                line,
                line.amount,
                line.amount_tax,
                line.reference or line.id,
            )
        )
    store["tax.transaction:" + transaction.id] = transaction
    return _json(transaction._export(expand))


async def create_reversal(request: web.Request) -> web.Response:
    data = await _post_data(request)
    expand = _expand(data)
    _check_known(
        data,
        ("flat_amount", "line_items", "metadata", "mode", "original_transaction", "reference"),
    )
    mode = _text(data, "mode", "mode", required=True)
    if mode not in ("full", "partial"):
        raise invalid("Invalid mode: must be one of full or partial", "mode")
    original_id = _required_text(data, "original_transaction", "original_transaction")
    original = _transaction(original_id, "original_transaction")
    if original.original is not None:
        raise invalid("A reversal cannot be reversed.", "original_transaction")
    reference = _unused_reference(data)
    amounts = reversal_lines(mode, original.lines, data.get("line_items"), data.get("flat_amount"))
    reversal = TaxTransaction(
        reference,
        original.currency,
        original.customer_details,
        original.tax_date,
        _metadata(data),
        original,
    )
    for index, (line, amount, amount_tax, fields) in enumerate(amounts):
        line.left_amount += amount
        line.left_tax += amount_tax
        reversal.lines.append(
            TransactionLineItem(
                reversal.line_id(index),
                line,
                amount,
                amount_tax,
                fields.get("reference") or line.reference,
                original=line,
                quantity=fields.get("quantity"),
                metadata=fields.get("metadata"),
            )
        )
    store["tax.transaction:" + original.id] = original
    store["tax.transaction:" + reversal.id] = reversal
    return _json(reversal._export(expand))


def retrieve_transaction(request: web.Request) -> web.Response:
    expand = _expand(_query(request))
    return _json(_transaction(request.match_info["id"])._export(expand))


def list_transaction_lines(request: web.Request) -> web.Response:
    transaction = _transaction(request.match_info["id"])
    url = f"/v1/tax/transactions/{transaction.id}/line_items"
    return list_response(transaction.lines, url, _query(request), [])


async def set_tax_settings(request: web.Request) -> web.Response:
    """Where the co-op is established: a member state's own customers are never reverse-charged."""
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise invalid("Send a JSON object.") from None
    if not isinstance(data, dict):
        raise invalid("Send a JSON object.")
    _check_known(data, ("head_office_country",))
    country = data.get("head_office_country")
    if not (isinstance(country, str) and re.fullmatch(r"[A-Za-z]{2}", country)):
        raise invalid(
            "head_office_country must be a two-letter country code", "head_office_country"
        )
    store[SETTINGS_KEY] = country.upper()
    return _json({"head_office_country": country.upper()})


def install(app: web.Application) -> None:
    routes: list[tuple[str, str, Any]] = [
        ("POST", "/v1/tax/calculations", create_calculation),
        ("GET", "/v1/tax/calculations/{id}", retrieve_calculation),
        ("GET", "/v1/tax/calculations/{id}/line_items", list_calculation_lines),
        ("POST", "/v1/tax/transactions/create_from_calculation", create_from_calculation),
        ("POST", "/v1/tax/transactions/create_reversal", create_reversal),
        ("GET", "/v1/tax/transactions/{id}", retrieve_transaction),
        ("GET", "/v1/tax/transactions/{id}/line_items", list_transaction_lines),
        ("POST", SETTINGS_PATH, set_tax_settings),
    ]
    for method, path, handler in routes:
        app.router.add_route(method, path, _coroutine(handler))
