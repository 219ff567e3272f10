"""Stripe Tax's breakdowns as the order stores them: local taxes (county, city, district, as
Stripe answers for Seattle) fold into their state's jurisdiction, one per line and tax type,
and a folded rate finer than a thousandth of a percent is rounded for display."""

from __future__ import annotations

from typing import Any

from marketplace.orders.taxing import rate_pcm
from marketplace.payments.stripe_tax import TaxBreakdown, breakdowns_of


def _part(level: str, state: str | None, percentage: str, amount: int, taxable: int) -> Any:
    """A ``tax_breakdown`` entry shaped as Stripe's API returns it."""
    return {
        "amount": amount,
        "jurisdiction": {
            "country": "US" if state else "CA",
            "display_name": f"{level} {state or ''}".strip(),
            "level": level,
            "state": state,
        },
        "sourcing": "destination",
        "tax_rate_details": {
            "display_name": "Sales Tax",
            "percentage_decimal": percentage,
            "tax_type": "sales_tax" if state else "gst",
        },
        "taxability_reason": "standard_rated",
        "taxable_amount": taxable,
    }


SEATTLE: dict[str, Any] = {
    "id": "taxcalc_seattle",
    "line_items": {
        "object": "list",
        "data": [
            {
                "reference": "item-1",
                "amount": 10_000,
                "tax_breakdown": [
                    _part("state", "WA", "6.5", 650, 10_000),
                    _part("county", "WA", "0.0", 0, 10_000),
                    _part("city", "WA", "2.25", 225, 10_000),
                    _part("district", "WA", "1.4", 140, 10_000),
                ],
            },
            {
                "reference": "item-2",
                "amount": 4_500,
                "tax_breakdown": [
                    _part("state", "WA", "6.5", 293, 4_500),
                    _part("district", "WA", "1.4125", 64, 4_500),
                ],
            },
            {
                "reference": "item-3",
                "amount": 2_000,
                "tax_breakdown": [_part("country", None, "5.0", 100, 2_000)],
            },
        ],
    },
}


def test_local_taxes_fold_into_the_state_one_per_line_and_tax_type() -> None:
    folded = breakdowns_of(SEATTLE)
    assert folded == (
        TaxBreakdown("item-1", "US", "WA", "sales_tax", "10.15", 10_000, 1_015, "standard_rated"),
        TaxBreakdown("item-2", "US", "WA", "sales_tax", "7.9125", 4_500, 357, "standard_rated"),
        TaxBreakdown("item-3", "CA", None, "gst", "5.0", 2_000, 100, "standard_rated"),
    )
    # One per (line, jurisdiction, tax type): what uq_order_tax_lines_line asks of the lines.
    keys = [(p.reference, p.country, p.region, p.tax_type) for p in folded]
    assert len(keys) == len(set(keys))


def test_a_local_tax_alone_is_still_the_state_s() -> None:
    only_city = {
        "line_items": {
            "data": [
                {"reference": "item-9", "tax_breakdown": [_part("city", "wa", "2.25", 23, 1_000)]}
            ]
        }
    }
    (part,) = breakdowns_of(only_city)
    assert (part.country, part.region, part.tax_cents) == ("US", "WA", 23)


def test_a_folded_rate_finer_than_a_thousandth_is_rounded_for_display() -> None:
    assert rate_pcm("7.9125") == 7_913
    assert rate_pcm("7.91249") == 7_912
    assert rate_pcm("10.15") == 10_150
