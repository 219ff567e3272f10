"""Every one of Stripe's documented test cards against what Stripe documents for it, through the
real stripe-python library over HTTP, and the declines through the app's payment API.

The table is ``stripe_emulator.card_table``; the expectations below are written
out again from Stripe's pages (docs.stripe.com/testing, /radar/testing, /declines/codes), so a
wrong row in the table fails here.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
import stripe

from stripe_emulator.card_table import DOCUMENTED_CARDS
from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.payments import PUBLISHABLE_KEY
from tests.fixtures.stripe_emulator import StripeEmulator, stripe_client
from tests.fixtures.stripe_schema import schema_errors

DECLINED = "Your card was declined."
# number: (what Stripe does, error code, decline code, message)
STRIPE_DOCUMENTS: dict[str, tuple[str, str | None, str | None, str | None]] = {
    "4242424242424242": ("succeeds", None, None, None),
    "4000056655665556": ("succeeds", None, None, None),
    "5555555555554444": ("succeeds", None, None, None),
    "2223003122003222": ("succeeds", None, None, None),
    "5200828282828210": ("succeeds", None, None, None),
    "5105105105105100": ("succeeds", None, None, None),
    "6011111111111117": ("succeeds", None, None, None),
    "3566002020360505": ("succeeds", None, None, None),
    "6200000000000005": ("succeeds", None, None, None),
    "4000000000003055": ("succeeds", None, None, None),
    "4000000000000002": ("declined", "card_declined", "generic_decline", DECLINED),
    "4000000000009995": (
        "declined",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000000000009987": ("declined", "card_declined", "lost_card", DECLINED),
    "4000000000009979": ("declined", "card_declined", "stolen_card", DECLINED),
    "4000000000000069": ("declined", "expired_card", "expired_card", "Your card has expired."),
    "4000000000000127": (
        "declined",
        "incorrect_cvc",
        "incorrect_cvc",
        "Your card's security code is incorrect.",
    ),
    "4000000000000119": (
        "declined",
        "processing_error",
        "processing_error",
        "An error occurred while processing your card. Try again in a little bit.",
    ),
    "4000000000006975": (
        "declined",
        "card_declined",
        "card_velocity_exceeded",
        "Your card was declined for making repeated attempts too frequently or exceeding its "
        "amount limit.",
    ),
    "4100000000000019": ("blocked", "card_declined", "fraudulent", DECLINED),
    "4000000000000341": ("attaches, then declined", "card_declined", "generic_decline", DECLINED),
    "4242424242424241": ("refused", "incorrect_number", None, "Your card number is incorrect."),
    "4000002500003155": ("3-D Secure, then succeeds", None, None, None),
    "4000002760003184": ("3-D Secure, then succeeds", None, None, None),
    "4000000000003220": ("3-D Secure, then succeeds", None, None, None),
    "4000000000003063": ("3-D Secure, then succeeds", None, None, None),
    "4000008260003178": (
        "3-D Secure, then declined",
        "card_declined",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000008400001629": ("3-D Secure, then declined", "card_declined", "generic_decline", DECLINED),
    "4000000000000259": ("disputed", "fraudulent", "needs_response", None),
    "4000000000002685": ("disputed", "product_not_received", "needs_response", None),
    "4000000000001976": ("disputed", "general", "warning_needs_response", None),
}


@pytest.fixture
def client(stripe_emulator: StripeEmulator) -> stripe.StripeClient:
    return stripe_client(stripe_emulator.base_url)


@pytest.fixture(scope="module")
def customer(stripe_emulator: StripeEmulator) -> str:
    """One customer for every card (the session's emulator is shared with other tests)."""
    made = stripe_client(stripe_emulator.base_url).v1.customers.create(
        params={"email": "cards@example.org"}
    )
    return made.id


def _card(client: stripe.StripeClient, number: str) -> stripe.PaymentMethod:
    return client.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"},
        }
    )


def _pay(client: stripe.StripeClient, method: str) -> stripe.PaymentIntent:
    return client.v1.payment_intents.create(
        params={"amount": 2500, "currency": "eur", "payment_method": method, "confirm": True}
    )


def _authenticate(
    emulator: StripeEmulator, intent: stripe.PaymentIntent, success: bool = True
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """What the checkout page's Stripe.js does after the buyer's 3-D Secure answer: a JSON POST
    with the publishable key, from the shop's origin."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{emulator.base_url}/v1/payment_intents/{intent.id}/_authenticate"
        f"?success={'true' if success else 'false'}",
        data=json.dumps({"key": PUBLISHABLE_KEY, "client_secret": intent.client_secret}).encode(),
        headers={"Content-Type": "application/json", "Origin": "http://127.0.0.1:5000"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
            return answer.status, json.load(answer), dict(answer.headers)
    except urllib.error.HTTPError as refused:
        with refused:
            return refused.code, json.load(refused), dict(refused.headers)


def test_the_table_holds_every_documented_card() -> None:
    assert {card.number for card in DOCUMENTED_CARDS} == set(STRIPE_DOCUMENTS)


def _assert_card_error(
    error: stripe.CardError, code: str, decline: str | None, message: str
) -> None:
    assert error.http_status == 402
    assert error.code == code
    assert error.user_message == message
    assert error.error is not None
    assert error.error.type == "card_error"
    assert error.error.decline_code == decline
    assert error.error.doc_url == f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"


@pytest.mark.parametrize("number", sorted(STRIPE_DOCUMENTS))
def test_each_card_behaves_as_stripe_documents(
    client: stripe.StripeClient, stripe_emulator: StripeEmulator, customer: str, number: str
) -> None:
    behaviour, code, decline, message = STRIPE_DOCUMENTS[number]

    if behaviour == "refused":
        with pytest.raises(stripe.CardError) as refused:
            _card(client, number)
        assert code is not None
        assert message is not None
        _assert_card_error(refused.value, code, decline, message)
        assert refused.value.param == "number"
        return

    method = _card(client, number)
    assert method.card is not None
    assert method.card.last4 == number[-4:]
    if behaviour in ("declined",):
        # Stripe checks the card when it is saved: the same refusal.
        with pytest.raises(stripe.CardError) as at_attach:
            client.v1.payment_methods.attach(method.id, params={"customer": customer})
        assert code is not None
        assert message is not None
        _assert_card_error(at_attach.value, code, decline, message)
    else:
        attached = client.v1.payment_methods.attach(method.id, params={"customer": customer})
        assert attached.customer == customer

    if behaviour in ("declined", "blocked", "attaches, then declined"):
        with pytest.raises(stripe.CardError) as declined:
            _pay(client, method.id)
        assert code is not None
        assert message is not None
        _assert_card_error(declined.value, code, decline, message)
        details = declined.value.error
        assert details is not None
        assert details.payment_intent is not None
        intent = client.v1.payment_intents.retrieve(details.payment_intent.id)
        assert intent.status == "requires_payment_method"
        assert intent.last_payment_error is not None
        assert intent.last_payment_error.code == code
        assert intent.last_payment_error.decline_code == decline
        assert intent.last_payment_error.message == message
        charge = client.v1.charges.retrieve(str(details.charge))
        assert charge.status == "failed"
        assert charge.failure_code == code
        assert charge.failure_message == message
        assert charge.outcome is not None
        assert charge.outcome.type == ("blocked" if behaviour == "blocked" else "issuer_declined")
        if behaviour == "blocked":
            assert charge.outcome.risk_level == "highest"
        return

    intent = _pay(client, method.id)
    if behaviour.startswith("3-D Secure"):
        assert intent.status == "requires_action"
        assert intent.next_action is not None
        status, answer, headers = _authenticate(stripe_emulator, intent)
        assert headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5000"
        if behaviour == "3-D Secure, then declined":
            assert status == 402
            assert answer["error"]["type"] == "card_error"
            assert answer["error"]["code"] == code
            assert answer["error"]["decline_code"] == decline
            assert answer["error"]["message"] == message
            assert client.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"
            return
        assert status == 200
        assert answer["status"] == "succeeded"
        intent = client.v1.payment_intents.retrieve(intent.id)
    assert intent.status == "succeeded"

    if behaviour == "disputed":
        reason, dispute_status = code, decline
        disputes = client.v1.disputes.list(params={"payment_intent": intent.id}).data
        assert [(d.reason, d.status, d.amount) for d in disputes] == [
            (reason, dispute_status, 2500)
        ]
        assert client.v1.charges.retrieve(str(disputes[0].charge)).disputed is True
    else:
        assert client.v1.disputes.list(params={"payment_intent": intent.id}).data == []


def test_a_failed_authentication_leaves_the_intent_for_another_card(
    client: stripe.StripeClient, stripe_emulator: StripeEmulator
) -> None:
    intent = _pay(client, _card(client, "4000002760003184").id)
    status, answer, _headers = _authenticate(stripe_emulator, intent, success=False)
    assert status == 200
    assert answer["status"] == "requires_payment_method"
    assert answer["last_payment_error"]["code"] == "payment_intent_authentication_failure"


def test_the_browser_may_ask_before_posting_3d_secure_answers(
    stripe_emulator: StripeEmulator,
) -> None:
    """The page's JSON POST is preceded by a CORS preflight, which carries no key."""
    request = urllib.request.Request(  # noqa: S310 - loopback
        f"{stripe_emulator.base_url}/v1/payment_intents/pi_123/_authenticate?success=true",
        headers={
            "Origin": "http://127.0.0.1:5000",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        method="OPTIONS",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - loopback
        assert answer.status == 204
        assert answer.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:5000"
        assert "POST" in answer.headers["Access-Control-Allow-Methods"]
        assert "content-type" in answer.headers["Access-Control-Allow-Headers"].lower()
    # Routes that need the secret key get no such answer.
    secret_only = urllib.request.Request(  # noqa: S310 - loopback
        f"{stripe_emulator.base_url}/v1/customers",
        headers={"Origin": "http://127.0.0.1:5000", "Access-Control-Request-Method": "GET"},
        method="OPTIONS",
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(secret_only, timeout=10)  # noqa: S310 - loopback
    refused.value.close()
    assert refused.value.code == 401


def test_losing_evidence_closes_a_dispute_as_lost(client: stripe.StripeClient) -> None:
    intent = _pay(client, _card(client, "4000000000000259").id)
    dispute = client.v1.disputes.list(params={"payment_intent": intent.id}).data[0]
    assert schema_errors(dispute.to_dict(), "dispute") == []
    assert sum(t.fee for t in dispute.balance_transactions) > 0
    closed = client.v1.disputes.update(
        dispute.id, params={"evidence": {"uncategorized_text": "losing_evidence"}}
    )
    assert closed.status == "lost"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.disputes.close(dispute.id)


def test_each_decline_reaches_the_buyer_and_the_order_stays_payable(buying: Buying) -> None:
    order = buying.order((buying.photo, "standard", "M"))
    declining = [
        n for n, (b, *_rest) in STRIPE_DOCUMENTS.items() if "declined" in b or b == "blocked"
    ]
    declining = [n for n in declining if not STRIPE_DOCUMENTS[n][0].startswith("3-D Secure")]
    for number in declining:
        message = STRIPE_DOCUMENTS[number][3]
        answer = buying.pay(order["id"], number)
        assert (number, answer["status"], answer["error"]) == (number, "failed", message)
        stored = buying.get(order["id"])
        assert stored["status"] == "pending_payment"
        assert stored["payment"]["error"] == message
    # Still payable, with a good card:
    assert buying.pay(order["id"])["status"] == "processing"


@pytest.mark.parametrize(
    ("fields", "code", "message"),
    [
        ({"exp_year": 2020}, "invalid_expiry_year", "Your card's expiration year is invalid."),
        ({"exp_month": 13}, "invalid_expiry_month", "Your card's expiration month is invalid."),
        ({"cvc": "12"}, "invalid_cvc", "Your card's security code is invalid."),
    ],
)
def test_a_card_entered_wrong_is_refused_as_stripe_refuses_it(
    client: stripe.StripeClient, fields: dict[str, Any], code: str, message: str
) -> None:
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    with pytest.raises(stripe.CardError) as refused:
        client.v1.payment_methods.create(params={"type": "card", "card": {**card, **fields}})
    _assert_card_error(refused.value, code, None, message)
