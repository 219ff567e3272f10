"""Stripe Tax's calculations for the emulator: the tax of each line at the customer's address.

A calculation's lines are taxed by the product's own rules (marketplace/taxes/rules.py) and
worded as Stripe words them (stripe_emulator/tax_rates.py). ``tax.py`` has the routes.
"""

from __future__ import annotations

import re
from typing import Any

from localstripe.resources import StripeObject, store

from marketplace.taxes.rules import EU_COUNTRIES, LineTax, tax_for, valid_eu_vat_number
from stripe_emulator.connect.errors import _check_known, _currency, _metadata, invalid, missing
from stripe_emulator.tax_params import _array, _int, _object, _required_text, _text
from stripe_emulator.tax_rates import line_breakdown, summary, zeroed

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
