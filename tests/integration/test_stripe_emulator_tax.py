"""Stripe Tax in our Stripe emulator, through stripe-python: calculations at the product's own
rates (marketplace/taxes/rules.py), a transaction made from one, and its reversals, full, by line
and by a flat amount, consistent to the cent; every object checked against Stripe's published
schemas (tests/data/stripe_openapi_tax.json); refusals worded as Stripe words them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stripe

from marketplace.taxes.rules import tax_for
from tests.fixtures.connect import post_json, raw
from tests.fixtures.stripe_emulator import StripeEmulator, running_stripe_emulator, stripe_client
from tests.fixtures.stripe_schema import schema_errors
from tests.integration.test_stripe_emulator_tax_schema import TAX_SUBSET

GERMAN_BUSINESS = "DE136695976"


@pytest.fixture(name="emulator", scope="module")
def emulator_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StripeEmulator]:
    # Its own emulator: a test here moves the co-op's head office.
    state_dir = tmp_path_factory.mktemp("stripe-tax") / "state"
    with running_stripe_emulator(state_dir) as running:
        yield running


@pytest.fixture(name="client")
def client_fixture(emulator: StripeEmulator) -> stripe.StripeClient:
    return stripe_client(emulator.base_url)


def conforms(obj: stripe.StripeObject | dict[str, Any], schema: str) -> dict[str, Any]:
    data = obj if isinstance(obj, dict) else raw(obj)
    assert schema_errors(data, schema, TAX_SUBSET) == []
    return data


def calculate(
    client: stripe.StripeClient,
    address: dict[str, str],
    amounts: list[int],
    *,
    behavior: str = "exclusive",
    tax_ids: list[dict[str, str]] | None = None,
) -> stripe.tax.Calculation:
    calculation = client.v1.tax.calculations.create(
        params={
            "currency": "eur",
            "line_items": [
                {"amount": amount, "reference": f"line-{i}", "tax_behavior": behavior}
                for i, amount in enumerate(amounts)
            ],
            "customer_details": {
                "address": address,  # type: ignore[typeddict-item]
                "address_source": "billing",
                "tax_ids": tax_ids or [],  # type: ignore[typeddict-item]
            },
            "expand": ["line_items"],
        }
    )
    data = conforms(calculation, "tax.calculation")
    for item in data["line_items"]["data"]:
        conforms(item, "tax.calculation_line_item")
    return calculation


def test_a_french_consumer_pays_20_percent_per_line(client: stripe.StripeClient) -> None:
    calculation = calculate(client, {"country": "FR", "postal_code": "75011"}, [1_499, 2_000])
    assert (calculation.tax_amount_exclusive, calculation.tax_amount_inclusive) == (700, 0)
    assert calculation.amount_total == 1_499 + 2_000 + 300 + 400
    first = calculation.line_items.data[0] if calculation.line_items else None
    assert first is not None
    (breakdown,) = first.tax_breakdown or []
    assert (breakdown.amount, breakdown.taxable_amount) == (300, 1_499)
    assert breakdown.taxability_reason == "standard_rated"
    assert (breakdown.jurisdiction.country, breakdown.jurisdiction.level) == ("FR", "country")
    assert breakdown.jurisdiction.display_name == "France"
    assert breakdown.tax_rate_details is not None
    assert breakdown.tax_rate_details.percentage_decimal == "20.0"
    assert breakdown.tax_rate_details.tax_type == "vat"
    (summary,) = calculation.tax_breakdown
    assert (summary.amount, summary.taxable_amount, summary.inclusive) == (700, 3_499, False)

    fetched = client.v1.tax.calculations.retrieve(str(calculation.id))
    assert "line_items" not in raw(fetched)  # answered only when expanded, as Stripe does
    assert conforms(fetched, "tax.calculation")["amount_total"] == calculation.amount_total
    lines = client.v1.tax.calculations.line_items.list(str(calculation.id), params={"limit": 1})
    assert (len(lines.data), lines.has_more) == (1, True)
    conforms(raw(lines)["data"][0], "tax.calculation_line_item")


def test_inclusive_prices_hold_the_tax(client: stripe.StripeClient) -> None:
    calculation = calculate(client, {"country": "FR"}, [1_799], behavior="inclusive")
    assert (calculation.tax_amount_exclusive, calculation.tax_amount_inclusive) == (0, 300)
    assert calculation.amount_total == 1_799
    assert calculation.tax_breakdown[0].taxable_amount == 1_499


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ({"country": "CA", "state": "ON", "postal_code": "M5V 2T6"}, [("CA-ON", "hst", 1_300)]),
        (
            {"country": "CA", "state": "QC", "postal_code": "H2X 1Y4"},
            [("CA", "gst", 500), ("CA-QC", "qst", 998)],
        ),
        ({"country": "US", "state": "WA", "postal_code": "98101"}, [("US-WA", "sales_tax", 650)]),
        ({"country": "GB", "postal_code": "SW1A 1AA"}, [("GB", "vat", 2_000)]),
    ],
)
def test_the_emulator_charges_the_products_rates(
    client: stripe.StripeClient, address: dict[str, str], expected: list[tuple[str, str, int]]
) -> None:
    calculation = calculate(client, address, [10_000])
    assert calculation.line_items is not None
    breakdown = calculation.line_items.data[0].tax_breakdown or []
    found = []
    for entry in breakdown:
        state = entry.jurisdiction.state
        place = f"{entry.jurisdiction.country}-{state}" if state else entry.jurisdiction.country
        assert entry.tax_rate_details is not None
        found.append((place, entry.tax_rate_details.tax_type, entry.amount))
    assert found == expected
    rules = tax_for(address["country"], address.get("state"), 10_000)
    assert [line.amount_cents for line in rules.lines] == [amount for *_, amount in expected]
    assert calculation.amount_total == rules.total_cents


def test_elsewhere_nothing_is_collected(client: stripe.StripeClient) -> None:
    calculation = calculate(client, {"country": "US", "state": "OR", "postal_code": "97201"}, [900])
    assert (calculation.tax_amount_exclusive, calculation.amount_total) == (0, 900)
    assert calculation.line_items is not None
    (entry,) = calculation.line_items.data[0].tax_breakdown or []
    assert (entry.taxability_reason, entry.amount, entry.tax_rate_details) == (
        "not_collecting",
        0,
        None,
    )


def test_a_german_business_is_reverse_charged_until_the_coop_is_german(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    business = [{"type": "eu_vat", "value": "DE 136 695 976"}]
    calculation = calculate(client, {"country": "DE"}, [5_000], tax_ids=business)
    assert (calculation.tax_amount_exclusive, calculation.amount_total) == (0, 5_000)
    assert calculation.customer_details.tax_ids[0].value == GERMAN_BUSINESS
    assert calculation.line_items is not None
    (entry,) = calculation.line_items.data[0].tax_breakdown or []
    assert (entry.taxability_reason, entry.amount) == ("reverse_charge", 0)

    post_json(emulator, "/_config/tax/settings", {"head_office_country": "DE"})
    try:
        domestic = calculate(client, {"country": "DE"}, [5_000], tax_ids=business)
    finally:
        post_json(emulator, "/_config/tax/settings", {"head_office_country": "US"})
    assert domestic.tax_amount_exclusive == 950


def test_refusals_name_their_parameter(client: stripe.StripeClient) -> None:
    cases: list[tuple[dict[str, Any], str, str | None]] = [
        (
            {
                "customer_details": {
                    "address": {"country": "DE"},
                    "tax_ids": [{"type": "eu_vat", "value": "DE136695970"}],
                }
            },
            "customer_details[tax_ids][0][value]",
            "tax_id_invalid",
        ),
        (
            {"customer_details": {"address": {"country": "US", "postal_code": "98101"}}},
            "customer_details[address][state]",
            "customer_tax_location_invalid",
        ),
        ({"customer_details": {}}, "customer_details[address]", "parameter_missing"),
    ]
    for overrides, param, code in cases:
        params: dict[str, Any] = {
            "currency": "eur",
            "line_items": [{"amount": 1_000, "tax_behavior": "exclusive"}],
            **overrides,
        }
        with pytest.raises(stripe.InvalidRequestError) as refused:
            client.v1.tax.calculations.create(params=params)  # type: ignore[arg-type]
        assert (refused.value.param, refused.value.code) == (param, code)
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.tax.calculations.create(
            params={
                "currency": "eur",
                "line_items": [{"amount": 1_000}],
                "customer_details": {"address": {"country": "FR"}},
            }
        )
    assert refused.value.param == "line_items[0][tax_behavior]"
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.tax.calculations.retrieve("taxcalc_missing")
    assert (refused.value.http_status, refused.value.code) == (404, "resource_missing")


def transaction_lines(client: stripe.StripeClient, id: str) -> list[dict[str, Any]]:
    page = client.v1.tax.transactions.line_items.list(id, params={"limit": 100})
    return [conforms(item, "tax.transaction_line_item") for item in raw(page)["data"]]


def test_calculation_transaction_and_reversals_agree_to_the_cent(
    client: stripe.StripeClient,
) -> None:
    calculation = calculate(client, {"country": "CA", "state": "QC"}, [10_000, 2_999])
    transaction = client.v1.tax.transactions.create_from_calculation(
        params={"calculation": str(calculation.id), "reference": "order-1001"}
    )
    conforms(transaction, "tax.transaction")
    assert (transaction.type, transaction.reversal, transaction.currency) == (
        "transaction",
        None,
        "eur",
    )
    lines = transaction_lines(client, transaction.id)
    # 100.00: GST 5.00 + QST 9.975 -> 9.98; 29.99: GST 1.4995 -> 1.50 + QST 2.9915… -> 2.99.
    assert [(line["amount"], line["amount_tax"]) for line in lines] == [
        (10_000, 1_498),
        (2_999, 449),
    ]
    assert [line["reference"] for line in lines] == ["line-0", "line-1"]
    assert sum(line["amount"] + line["amount_tax"] for line in lines) == calculation.amount_total
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.tax.transactions.create_from_calculation(
            params={"calculation": str(calculation.id), "reference": "order-1001"}
        )
    assert refused.value.param == "reference"

    by_line = client.v1.tax.transactions.create_reversal(
        params={
            "mode": "partial",
            "original_transaction": transaction.id,
            "reference": "order-1001-refund-1",
            "line_items": [
                {
                    "original_line_item": lines[1]["id"],
                    "reference": "line-1",
                    "amount": -2_999,
                    "amount_tax": -449,
                }
            ],
        }
    )
    conforms(by_line, "tax.transaction")
    assert by_line.type == "reversal"
    assert by_line.reversal is not None
    assert by_line.reversal.original_transaction == transaction.id
    (taken,) = transaction_lines(client, by_line.id)
    assert (taken["amount"], taken["amount_tax"], taken["type"]) == (-2_999, -449, "reversal")
    assert taken["reversal"] == {"original_line_item": lines[1]["id"]}

    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.tax.transactions.create_reversal(
            params={
                "mode": "partial",
                "original_transaction": transaction.id,
                "reference": "too-much",
                "line_items": [
                    {
                        "original_line_item": lines[1]["id"],
                        "reference": "line-1",
                        "amount": -1,
                        "amount_tax": 0,
                    }
                ],
            }
        )
    assert refused.value.param == "line_items[0][amount]"

    # 57.49 of the 114.98 left, tax included: half of each of price and tax, to the cent.
    flat = client.v1.tax.transactions.create_reversal(
        params={
            "mode": "partial",
            "original_transaction": transaction.id,
            "reference": "order-1001-refund-2",
            "flat_amount": -5_749,
        }
    )
    conforms(flat, "tax.transaction")
    (half,) = transaction_lines(client, flat.id)
    assert (half["amount"], half["amount_tax"]) == (-5_000, -749)

    rest = client.v1.tax.transactions.create_reversal(
        params={
            "mode": "full",
            "original_transaction": transaction.id,
            "reference": "order-1001-refund-3",
        }
    )
    conforms(client.v1.tax.transactions.retrieve(rest.id), "tax.transaction")
    (last,) = transaction_lines(client, rest.id)
    assert (last["amount"], last["amount_tax"]) == (-5_000, -749)
    reversed_tax = taken["amount_tax"] + half["amount_tax"] + last["amount_tax"]
    assert reversed_tax == -calculation.tax_amount_exclusive
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.tax.transactions.create_reversal(
            params={
                "mode": "full",
                "original_transaction": transaction.id,
                "reference": "order-1001-refund-4",
            }
        )
    assert refused.value.param == "original_transaction"


def test_a_full_reversal_of_inclusive_prices_returns_every_cent(
    client: stripe.StripeClient,
) -> None:
    calculation = calculate(client, {"country": "FR"}, [1_799, 1], behavior="inclusive")
    transaction = client.v1.tax.transactions.create_from_calculation(
        params={
            "calculation": str(calculation.id),
            "reference": "order-1002",
            "expand": ["line_items"],
        }
    )
    data = conforms(transaction, "tax.transaction")
    assert [(i["amount"], i["amount_tax"]) for i in data["line_items"]["data"]] == [
        (1_799, 300),
        (1, 0),
    ]
    reversal = client.v1.tax.transactions.create_reversal(
        params={"mode": "full", "original_transaction": transaction.id, "reference": "r-1002"}
    )
    taken = transaction_lines(client, reversal.id)
    assert [(i["amount"], i["amount_tax"]) for i in taken] == [(-1_799, -300), (-1, 0)]
    assert sum(i["amount"] for i in taken) == -calculation.amount_total


@pytest.mark.parametrize(
    ("override", "address", "reason"),
    [
        ("customer_exempt", {"country": "US", "state": "WA"}, "customer_exempt"),
        ("reverse_charge", {"country": "FR"}, "reverse_charge"),
        ("none", {"country": "FR"}, "standard_rated"),
    ],
)
def test_a_taxability_override_is_followed(
    client: stripe.StripeClient, override: str, address: dict[str, str], reason: str
) -> None:
    calculation = client.v1.tax.calculations.create(
        params={
            "currency": "usd",
            "line_items": [{"amount": 1_799, "tax_behavior": "inclusive"}],
            "customer_details": {
                "address": address,  # type: ignore[typeddict-item]
                "taxability_override": override,  # type: ignore[typeddict-item]
            },
            "expand": ["line_items"],
        }
    )
    data = conforms(calculation, "tax.calculation")
    assert data["customer_details"]["taxability_override"] == override
    (entry,) = data["line_items"]["data"][0]["tax_breakdown"]
    assert entry["taxability_reason"] == reason
    zero = reason != "standard_rated"
    assert (entry["amount"], entry["taxable_amount"]) == ((0, 1_799) if zero else (300, 1_499))
    assert calculation.amount_total == 1_799


def test_a_tax_transaction_made_again_with_its_idempotency_key_is_the_same_one(
    client: stripe.StripeClient,
) -> None:
    """A retried task or a duplicate webhook sends the same key: one transaction, not two (and
    not the refusal a second use of the reference would get)."""
    calculation = calculate(client, {"country": "FR"}, [4200])
    params: Any = {"calculation": calculation.id, "reference": "order-idempotent-1"}
    first = client.v1.tax.transactions.create_from_calculation(
        params, {"idempotency_key": "order-idempotent-1-tax-transaction"}
    )
    again = client.v1.tax.transactions.create_from_calculation(
        params, {"idempotency_key": "order-idempotent-1-tax-transaction"}
    )
    assert again.id == first.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.tax.transactions.create_from_calculation(
            params, {"idempotency_key": "another-key"}
        )
    reversal: Any = {
        "mode": "full",
        "original_transaction": first.id,
        "reference": "refund-idempotent-1",
    }
    undone = client.v1.tax.transactions.create_reversal(
        reversal, {"idempotency_key": "refund-idempotent-1-tax-reversal"}
    )
    undone_again = client.v1.tax.transactions.create_reversal(
        reversal, {"idempotency_key": "refund-idempotent-1-tax-reversal"}
    )
    assert undone_again.id == undone.id
