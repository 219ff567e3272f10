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
"""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web
from localstripe.resources import StripeObject, store

from marketplace.taxes.rules import EU_COUNTRIES, LineTax, tax_for, valid_eu_vat_number
from stripe_emulator.connect import _coroutine
from stripe_emulator.connect.errors import _check_known, _currency, _metadata, invalid, missing
from stripe_emulator.connect.web_io import _json, _post_data, _query, list_response
from stripe_emulator.tax_params import _array, _expand, _int, _object, _required_text, _text
from stripe_emulator.tax_rates import line_breakdown, summary, zeroed
from stripe_emulator.tax_reversals import reversal_lines

SETTINGS_PATH = "/_config/tax/settings"
SETTINGS_KEY = "coop_tax_settings:head_office_country"
DEFAULT_HEAD_OFFICE = "US"
# How long Stripe keeps a calculation that no transaction was made from.
CALCULATION_LIFETIME = 90 * 24 * 3600
DEFAULT_TAX_CODE = "txcd_10000000"  # Stripe's "General - Electronically Supplied Services"
TAX_ID_TYPES = frozenset(
    "ae_trn au_abn au_arn bg_uic br_cnpj br_cpf ca_bn ca_gst_hst ca_pst_bc ca_pst_mb ca_pst_sk "
    "ca_qst ch_vat cl_tin eg_tin es_cif eu_oss_vat eu_vat gb_vat ge_vat hk_br hu_tin id_npwp "
    "il_vat in_gst is_vat jp_cn jp_rn jp_trn ke_pin kr_brn li_uid mx_rfc my_frp my_itn my_sst "
    "no_vat nz_gst ph_tin ru_inn ru_kpp sa_vat sg_gst sg_uen si_tin th_vat tr_tin tw_vat ua_vat "
    "unknown us_ein za_vat".split()
)


def head_office_country() -> str:
    found = store.get(SETTINGS_KEY)
    return found if isinstance(found, str) else DEFAULT_HEAD_OFFICE


class CalculationLineItem:
    """A line of a calculation; kept inside its calculation, not on its own in the store."""

    def __init__(self, data: dict[str, Any], index: int) -> None:
        param = f"line_items[{index}]"
        _check_known(
            data,
            ("amount", "metadata", "product", "quantity", "reference", "tax_behavior", "tax_code"),
        )
        self.id = ""  # given by its calculation, once that has an id
        self.amount = _int(data.get("amount"), f"{param}[amount]", minimum=0)
        self.quantity = _int(data.get("quantity", 1), f"{param}[quantity]", minimum=1)
        self.product = _text(data, "product", f"{param}[product]")
        self.reference = _text(data, "reference", f"{param}[reference]")
        self.metadata = _metadata(data)
        behavior = _text(data, "tax_behavior", f"{param}[tax_behavior]", required=True)
        if behavior not in ("exclusive", "inclusive"):
            message = "Invalid tax_behavior: must be one of exclusive or inclusive"
            raise invalid(message, f"{param}[tax_behavior]")
        self.tax_behavior: str = behavior
        self.tax_code = _text(data, "tax_code", f"{param}[tax_code]") or DEFAULT_TAX_CODE
        if not re.fullmatch(r"txcd_\d{8}", self.tax_code):
            raise invalid(f"No such tax code: '{self.tax_code}'", f"{param}[tax_code]")
        self.tax: LineTax | None = None

    @property
    def amount_tax(self) -> int:
        return self.tax.tax_cents if self.tax is not None else 0

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "tax.calculation_line_item",
            "amount": self.amount,
            "amount_tax": self.amount_tax,
            "livemode": False,
            "product": self.product,
            "quantity": self.quantity,
            "reference": self.reference,
            "tax_behavior": self.tax_behavior,
            "tax_breakdown": [line_breakdown(line) for line in self.tax.lines] if self.tax else [],
            "tax_code": self.tax_code,
        }


def _customer_details(data: dict[str, Any]) -> dict[str, Any]:
    details = _object(data.get("customer_details"), "customer_details")
    _check_known(
        details, ("address", "address_source", "ip_address", "tax_ids", "taxability_override")
    )
    address = _object(details.get("address"), "customer_details[address]")
    if not address:
        message = "Missing required param: customer_details[address]."
        raise invalid(message, "customer_details[address]", "parameter_missing")
    _check_known(address, ("city", "country", "line1", "line2", "postal_code", "state"))
    country = _required_text(address, "country", "customer_details[address][country]")
    if not re.fullmatch(r"[A-Za-z]{2}", country):
        raise invalid(
            "The customer's address country is not a valid country code.",
            "customer_details[address][country]",
            "customer_tax_location_invalid",
        )
    country = country.upper()
    state = _text(address, "state", "customer_details[address][state]")
    if country in ("US", "CA") and not state:
        # Stripe finds the state or province from a full address; the emulator needs it given.
        raise invalid(
            "We could not determine the customer's tax location: give its state or province.",
            "customer_details[address][state]",
            "customer_tax_location_invalid",
        )
    source = _text(details, "address_source", "customer_details[address_source]") or "billing"
    if source not in ("billing", "shipping"):
        message = "Invalid address_source: must be one of billing or shipping"
        raise invalid(message, "customer_details[address_source]")
    override = _text(details, "taxability_override", "customer_details[taxability_override]")
    if override not in (None, "none", "customer_exempt", "reverse_charge"):
        message = (
            "Invalid taxability_override: must be one of none, customer_exempt or reverse_charge"
        )
        raise invalid(message, "customer_details[taxability_override]")
    tax_ids = []
    for index, item in enumerate(_array(details.get("tax_ids"), "customer_details[tax_ids]")):
        param = f"customer_details[tax_ids][{index}]"
        item = _object(item, param)
        kind = _required_text(item, "type", f"{param}[type]")
        value = _required_text(item, "value", f"{param}[value]")
        if kind not in TAX_ID_TYPES:
            raise invalid(f"Invalid tax_id type: {kind}", f"{param}[type]")
        if kind == "eu_vat":
            compact = valid_eu_vat_number(value)
            if compact is None:
                raise invalid("Invalid value for eu_vat.", f"{param}[value]", "tax_id_invalid")
            value = compact
        tax_ids.append({"type": kind, "value": value})
    return {
        "address": {
            "city": address.get("city") or None,
            "country": country,
            "line1": address.get("line1") or None,
            "line2": address.get("line2") or None,
            "postal_code": address.get("postal_code") or None,
            "state": state.upper() if state else None,
        },
        "address_source": source,
        "ip_address": details.get("ip_address") or None,
        "tax_ids": tax_ids,
        "taxability_override": override or "none",
    }


def _line_tax(line: CalculationLineItem, customer: dict[str, Any]) -> LineTax:
    address = customer["address"]
    eu_vat = next((t["value"] for t in customer["tax_ids"] if t["type"] == "eu_vat"), None)
    seller = head_office_country()
    tax = tax_for(
        address["country"],
        address["state"],
        line.amount,
        business_vat=eu_vat,
        behavior="inclusive" if line.tax_behavior == "inclusive" else "exclusive",
        seller_country=seller,
    )
    override = customer["taxability_override"]
    if override == "customer_exempt":
        return zeroed(tax, "customer_exempt")
    if override == "reverse_charge" and address["country"] in EU_COUNTRIES | {"GB"}:
        if address["country"] != seller:
            return zeroed(tax, "reverse_charge")
    return tax


class TaxCalculation(StripeObject):
    object = "tax.calculation"
    _id_prefix = "taxcalc_"

    def __init__(self, data: dict[str, Any]) -> None:
        _check_known(
            data, ("currency", "customer", "customer_details", "line_items", "metadata", "tax_date")
        )
        if data.get("customer"):
            raise invalid("The emulator takes customer_details, not a customer.", "customer")
        currency = _currency(data)
        customer = _customer_details(data)
        raw_lines = _array(data.get("line_items"), "line_items")
        if not raw_lines:
            raise invalid("Missing required param: line_items.", "line_items", "parameter_missing")
        if len(raw_lines) > 100:
            raise invalid("You can pass at most 100 line items.", "line_items")
        lines = [
            CalculationLineItem(_object(item, f"line_items[{i}]"), i)
            for i, item in enumerate(raw_lines)
        ]
        references = [line.reference for line in lines if line.reference is not None]
        if len(references) != len(set(references)):
            raise invalid("Each line item's reference must be unique.", "line_items")
        tax_date = _int(data["tax_date"], "tax_date", minimum=1) if data.get("tax_date") else None
        super().__init__()
        for index, line in enumerate(lines):
            line.id = f"tax_li_{self.id.removeprefix('taxcalc_')}{index:03d}"
            line.tax = _line_tax(line, customer)
        self.currency = currency
        self.customer_details = customer
        self.lines = lines
        self.tax_date = tax_date or self.created
        self.expires_at = self.created + CALCULATION_LIFETIME

    def taxes(self) -> list[LineTax]:
        return [line.tax for line in self.lines if line.tax is not None]

    def _export(self, expand: list[str] | None = None) -> dict[str, Any]:
        taxes = self.taxes()
        exclusive = sum(t.tax_cents for t in taxes if t.behavior == "exclusive")
        inclusive = sum(t.tax_cents for t in taxes if t.behavior == "inclusive")
        data: dict[str, Any] = {
            "id": self.id,
            "object": "tax.calculation",
            "amount_total": sum(line.amount for line in self.lines) + exclusive,
            "currency": self.currency,
            "customer": None,
            "customer_details": self.customer_details,
            "expires_at": self.expires_at,
            "livemode": False,
            "shipping_cost": None,
            "tax_amount_exclusive": exclusive,
            "tax_amount_inclusive": inclusive,
            "tax_breakdown": summary(taxes),
            "tax_date": self.tax_date,
        }
        if "line_items" in (expand or []):
            data["line_items"] = _list_of(self.lines, f"/v1/tax/calculations/{self.id}/line_items")
        return data


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


def _list_of(items: list[Any], url: str) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [item._export() for item in items[:10]],
        "has_more": len(items) > 10,
        "url": url,
    }


def _calculation(id: str, param: str = "id") -> TaxCalculation:
    found = store.get("tax.calculation:" + id)
    if not isinstance(found, TaxCalculation):
        raise missing("tax.calculation", id, param)
    return found


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
