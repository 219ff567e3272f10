"""Charges in another currency in our Stripe emulator, through stripe-python: the charge's
balance transaction is in the settlement currency with Stripe's fee and the exchange rate, a
refund's at the rate of its own day, a dollar charge keeps localstripe's, and each balance
transaction conforms to Stripe's published schema (tests/data/stripe_openapi_payouts.json)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from tests.fixtures.connect import (
    client_fixture,  # noqa: F401 - a fixture, found here by pytest as ``client``
    emulator_fixture,  # noqa: F401 - a fixture, found here by pytest as ``emulator``
    post_json,
    raw,
)
from tests.fixtures.payments import payment_method
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.fixtures.stripe_schema import schema_errors
from tests.fixtures.stripe_schema_payouts import PAYOUTS_SUBSET

RATES = "/_config/exchange_rates"


@pytest.fixture
def rates(emulator: StripeEmulator) -> Iterator[None]:
    yield
    post_json(emulator, RATES, {"reset": True})


def _paid(client: stripe.StripeClient, emulator: StripeEmulator, amount: int, currency: str):  # type: ignore[no-untyped-def]
    intent = client.v1.payment_intents.create(
        params={
            "amount": amount,
            "currency": currency,
            "payment_method": payment_method(emulator.base_url),
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )
    assert intent.status == "succeeded"
    latest = intent.latest_charge
    charge = client.v1.charges.retrieve(latest if isinstance(latest, str) else latest.id)
    return intent, client.v1.balance_transactions.retrieve(str(charge.balance_transaction))


def test_a_charge_in_euros_is_settled_in_dollars_and_refunded_at_that_days_rate(
    client: stripe.StripeClient, emulator: StripeEmulator, rates: None
) -> None:
    intent, settled = _paid(client, emulator, 5_600, "eur")
    assert schema_errors(raw(settled), "balance_transaction", PAYOUTS_SUBSET) == []
    # 56.00 € at 1.08: $60.48; the fee 3.9 % of it rounded half up, plus 30 cents.
    assert (settled.currency, settled.amount, settled.exchange_rate) == ("usd", 6_048, 1.08)
    assert (settled.fee, settled.net) == (266, 6_048 - 266)
    assert settled.type == "charge"

    post_json(emulator, RATES, {"eur": "1.1"})
    refund = client.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1_400})
    back = client.v1.balance_transactions.retrieve(str(refund.balance_transaction))
    assert schema_errors(raw(back), "balance_transaction", PAYOUTS_SUBSET) == []
    assert (back.currency, back.amount, back.fee, back.exchange_rate) == ("usd", -1_540, 0, 1.1)
    assert back.type == "refund"


def test_a_dollar_charge_keeps_localstripes_balance_transaction(
    client: stripe.StripeClient, emulator: StripeEmulator
) -> None:
    _intent, settled = _paid(client, emulator, 4_500, "usd")
    assert (settled.currency, settled.amount, settled.fee) == ("usd", 4_500, 0)


def test_rates_are_refused_when_not_a_code_and_a_positive_rate(emulator: StripeEmulator) -> None:
    with pytest.raises(Exception, match="400"):
        post_json(emulator, RATES, {"eur": "-1"})
    assert post_json(emulator, RATES, {"reset": True})["eur"] == "1.08"


def test_a_dispute_of_a_charge_in_pounds_withdraws_dollars(
    client: stripe.StripeClient, emulator: StripeEmulator, rates: None
) -> None:
    intent = client.v1.payment_intents.create(
        params={
            "amount": 3_600,
            "currency": "gbp",
            "payment_method": payment_method(emulator.base_url, "4000000000000259"),
            "payment_method_types": ["card"],
            "confirm": True,
        }
    )
    latest = intent.latest_charge
    charge_id = latest if isinstance(latest, str) else latest.id
    disputes = [d for d in client.v1.disputes.list().data if d.charge == charge_id]
    assert len(disputes) == 1
    [withdrawal] = disputes[0].balance_transactions
    # 36.00 £ at 1.27 is $45.72, withdrawn; Stripe's $15.00 fee apart.
    assert (withdrawal.currency, withdrawal.amount, withdrawal.fee) == ("usd", -4_572, 1_500)
    assert withdrawal.net == -4_572 - 1_500
