"""Stripe Tax's answers for one line, from the product's own rates (marketplace/taxes/rules.py).

The rates, the rounding and the reverse charge are the product's pure rules, imported rather
than copied, so that the emulator's "Stripe" figures and the co-op's own agree by construction;
this module only words them as Stripe does: a line item's ``tax_breakdown`` (jurisdiction,
sourcing, rate details, taxability reason, taxable amount) and the calculation's summary.
"""

from __future__ import annotations

from typing import Any

from babel import Locale

from marketplace.taxes.rules import REVERSE_CHARGE, LineTax, TaxLine, percentage_decimal

CUSTOMER_EXEMPT = "customer_exempt"
# The names Stripe gives the regions that have taxes of their own in the table.
REGION_NAMES = {
    ("CA", "ON"): "Ontario",
    ("CA", "NS"): "Nova Scotia",
    ("CA", "NB"): "New Brunswick",
    ("CA", "NL"): "Newfoundland and Labrador",
    ("CA", "PE"): "Prince Edward Island",
    ("CA", "QC"): "Quebec",
    ("US", "WA"): "Washington",
    ("US", "TX"): "Texas",
    ("US", "PA"): "Pennsylvania",
    ("US", "UT"): "Utah",
    ("US", "CT"): "Connecticut",
    ("US", "NJ"): "New Jersey",
    ("US", "OH"): "Ohio",
    ("US", "TN"): "Tennessee",
    ("US", "IN"): "Indiana",
    ("US", "SD"): "South Dakota",
}


def country_name(country: str) -> str:
    name = Locale("en").territories.get(country)
    return str(name) if name else country


def zeroed(tax: LineTax, reason: str) -> LineTax:
    """``tax`` with every tax zero for ``reason`` (``customer_exempt``, or ``reverse_charge`` when
    Stripe is told to apply it): the price is unchanged and all of it is taxable amount."""
    price = tax.net_cents if tax.behavior == "exclusive" else tax.total_cents
    lines = tuple(
        TaxLine(
            line.jurisdiction,
            line.country,
            line.region,
            line.rate,
            0,
            price,
            0,
            reason == REVERSE_CHARGE,
            reason if line.rate is not None else line.taxability_reason,
        )
        for line in tax.lines
    )
    return LineTax(lines, tax.behavior, price, 0, price)


def line_breakdown(line: TaxLine) -> dict[str, Any]:
    """One entry of a calculation line item's ``tax_breakdown``."""
    region = line.rate.region if line.rate is not None else None
    jurisdiction: dict[str, str | None]
    if region is not None:
        jurisdiction = {
            "country": line.country,
            "display_name": REGION_NAMES.get((line.country, region), region),
            "level": "state",
            "state": region,
        }
    else:
        jurisdiction = {
            "country": line.country,
            "display_name": country_name(line.country),
            "level": "country",
            "state": None,
        }
    details = None
    if line.rate is not None:
        details = {
            "display_name": line.rate.display_name,
            "percentage_decimal": percentage_decimal(line.rate_pcm),
            "tax_type": line.rate.tax_type,
        }
    return {
        "amount": line.amount_cents,
        "jurisdiction": jurisdiction,
        "sourcing": "destination",
        "tax_rate_details": details,
        "taxability_reason": line.taxability_reason,
        "taxable_amount": line.taxable_amount_cents,
    }


def summary(taxes: list[LineTax]) -> list[dict[str, Any]]:
    """A calculation's ``tax_breakdown``: the lines' taxes summed per rate and behaviour."""
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for tax in taxes:
        for line in tax.lines:
            rate = line.rate
            details = {
                "country": line.country,
                "percentage_decimal": percentage_decimal(line.rate_pcm),
                "state": rate.region if rate is not None else None,
                "tax_type": rate.tax_type if rate is not None else None,
            }
            key = (
                tax.behavior,
                line.taxability_reason,
                *sorted(details.items(), key=lambda item: item[0]),
            )
            entry = summed.setdefault(
                key,
                {
                    "amount": 0,
                    "inclusive": tax.behavior == "inclusive",
                    "tax_rate_details": details,
                    "taxability_reason": line.taxability_reason,
                    "taxable_amount": 0,
                },
            )
            entry["amount"] += line.amount_cents
            entry["taxable_amount"] += line.taxable_amount_cents
    return list(summed.values())
