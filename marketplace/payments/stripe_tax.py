"""Stripe Tax's calculations and transactions, through the real ``stripe`` library.

A calculation says each line's tax at the buyer's place when the order is made; once the order
is paid a transaction is recorded from it (what Stripe Tax reports as collected), and a refund
records a reversal of the refunded lines. Keys carry the order's random token, so a retried
request (a duplicate webhook, a worker's retry) answers with the transaction first made.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import stripe

from marketplace.payments.gateway import GatewayError
from marketplace.payments.stripe_errors import gateway_error_for
from marketplace.payments.stripe_gateway import gateway


class TaxIdRefused(GatewayError):
    """Stripe Tax found the buyer's tax id invalid."""


@dataclass(frozen=True)
class CalculationLine:
    """One line to tax: ``reference`` names it again in the answer."""

    reference: str
    amount_cents: int


@dataclass(frozen=True)
class TaxBreakdown:
    """One tax of one line, as Stripe Tax's ``tax_breakdown`` words it."""

    reference: str
    country: str
    region: str | None
    tax_type: str
    percentage_decimal: str
    taxable_cents: int
    tax_cents: int
    taxability_reason: str


@dataclass(frozen=True)
class Calculation:
    id: str
    breakdowns: tuple[TaxBreakdown, ...]
    amount_total_cents: int
    tax_exclusive_cents: int
    tax_inclusive_cents: int


def _breakdown(reference: str, raw: Any) -> TaxBreakdown:
    jurisdiction = raw["jurisdiction"]
    details = raw.get("tax_rate_details") or {}
    # Below the country (state, county, city, district: Stripe names the state of each), the
    # tax is the state's jurisdiction's: local taxes are folded into it (``fold``).
    level = str(jurisdiction.get("level") or "country")
    state = jurisdiction.get("state") if level != "country" else None
    return TaxBreakdown(
        reference=reference,
        country=str(jurisdiction["country"]).upper(),
        region=str(state).upper() if state else None,
        tax_type=str(details.get("tax_type") or "vat"),
        percentage_decimal=str(details.get("percentage_decimal") or "0.0"),
        taxable_cents=int(raw["taxable_amount"]),
        tax_cents=int(raw["amount"]),
        taxability_reason=str(raw.get("taxability_reason") or ""),
    )


def fold(breakdowns: Sequence[TaxBreakdown]) -> tuple[TaxBreakdown, ...]:
    """One breakdown per line, jurisdiction and tax type: a state's tax and the county's, the
    city's and the district's on one line (Seattle: Washington 6.5 % + King County + Seattle
    + RTA) become one, their taxes and rates added up, the taxable amount the one they share
    (the largest), the state's taxability reason. In Stripe's order of first appearance."""
    folded: dict[tuple[str, str, str | None, str], TaxBreakdown] = {}
    for part in breakdowns:
        key = (part.reference, part.country, part.region, part.tax_type)
        earlier = folded.get(key)
        if earlier is None:
            folded[key] = part
            continue
        folded[key] = replace(
            earlier,
            percentage_decimal=str(
                Decimal(earlier.percentage_decimal) + Decimal(part.percentage_decimal)
            ),
            taxable_cents=max(earlier.taxable_cents, part.taxable_cents),
            tax_cents=earlier.tax_cents + part.tax_cents,
        )
    return tuple(folded.values())


def breakdowns_of(found: Mapping[str, Any]) -> tuple[TaxBreakdown, ...]:
    """The folded breakdowns of a calculation as Stripe answers it (``line_items`` expanded)."""
    return fold(
        [
            _breakdown(str(item["reference"]), raw)
            for item in found["line_items"]["data"]
            for raw in item["tax_breakdown"]
        ]
    )


def calculate(
    currency: str,
    lines: Sequence[CalculationLine],
    *,
    behavior: str,
    country: str,
    region: str | None,
    postal_code: str | None,
    vat_number: str | None,
) -> Calculation:
    """Stripe Tax's calculation of ``lines`` (prices ``behavior``: "exclusive" or "inclusive")
    for a buyer at ``country``/``region``, a business when ``vat_number`` is given."""
    address: dict[str, str] = {"country": country}
    if region:
        address["state"] = region
    if postal_code:
        address["postal_code"] = postal_code
    details: dict[str, Any] = {"address": address, "address_source": "billing"}
    if vat_number:
        details["tax_ids"] = [{"type": "eu_vat", "value": vat_number}]
    params: dict[str, Any] = {
        "currency": currency.lower(),
        "customer_details": details,
        "line_items": [
            {"amount": line.amount_cents, "reference": line.reference, "tax_behavior": behavior}
            for line in lines
        ],
        "expand": ["line_items"],
    }
    try:
        found: Any = gateway().client.v1.tax.calculations.create(params)  # type: ignore[arg-type]
    except stripe.InvalidRequestError as error:
        if getattr(error, "code", None) == "tax_id_invalid":
            raise TaxIdRefused(str(error.user_message or error)) from error
        raise gateway_error_for(error, "calculate tax") from error
    except stripe.StripeError as error:
        raise gateway_error_for(error, "calculate tax") from error
    found = found.to_dict()
    return Calculation(
        id=str(found["id"]),
        breakdowns=breakdowns_of(found),
        amount_total_cents=int(found["amount_total"]),
        tax_exclusive_cents=int(found["tax_amount_exclusive"]),
        tax_inclusive_cents=int(found["tax_amount_inclusive"]),
    )


def record_transaction(calculation_id: str, reference: str, idempotency_key: str) -> str:
    """The tax transaction of a paid order, made from its calculation; its id."""
    try:
        made: Any = gateway().client.v1.tax.transactions.create_from_calculation(
            {"calculation": calculation_id, "reference": reference},
            {"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise gateway_error_for(error, "record a tax transaction") from error
    return str(made["id"])


def reverse_lines(
    transaction_id: str,
    references: Sequence[str],
    reference: str,
    idempotency_key: str,
) -> str:
    """A reversal of the transaction's lines named by ``references`` (all of them: a full
    reversal); the reversal transaction's id."""
    client: Any = gateway().client
    try:
        lines = client.v1.tax.transactions.line_items.list(transaction_id, {"limit": 100})
        lines = lines.to_dict()
        wanted = [line for line in lines["data"] if line["reference"] in set(references)]
        if len(wanted) == len(lines["data"]):
            params: dict[str, Any] = {"mode": "full"}
        else:
            params = {
                "mode": "partial",
                "line_items": [
                    {
                        "original_line_item": line["id"],
                        "reference": line["reference"],
                        "amount": -int(line["amount"]),
                        "amount_tax": -int(line["amount_tax"]),
                        "quantity": int(line["quantity"]),
                    }
                    for line in wanted
                ],
            }
        made = client.v1.tax.transactions.create_reversal(
            {**params, "original_transaction": transaction_id, "reference": reference},
            {"idempotency_key": idempotency_key},
        )
    except stripe.StripeError as error:
        raise gateway_error_for(error, "reverse a tax transaction") from error
    return str(made["id"])


def card_country(payment_intent_id: str) -> str | None:
    """The country of the card that paid (evidence of where the buyer is), when Stripe says."""
    client: Any = gateway().client
    try:
        intent = client.v1.payment_intents.retrieve(payment_intent_id).to_dict()
        method = intent.get("payment_method")
        if isinstance(method, str):
            method = client.v1.payment_methods.retrieve(method).to_dict()
    except stripe.StripeError as error:
        raise gateway_error_for(error, "read the paying card") from error
    country = ((method or {}).get("card") or {}).get("country")
    return str(country).upper() if country else None
