"""The Stripe-shaped events the tests sign and send conform to Stripe's published schemas.

The emulator never emits dispute events, so those tests build them: this keeps them honest.
"""

from __future__ import annotations

import pytest

from tests.fixtures.payments import dispute_event, payment_succeeded, stripe_event
from tests.fixtures.stripe_schema import schema_errors


@pytest.mark.parametrize(
    ("event_type", "status"),
    [
        ("charge.dispute.created", "needs_response"),
        ("charge.dispute.closed", "won"),
        ("charge.dispute.closed", "lost"),
    ],
)
def test_dispute_events_match_stripes_schema(event_type: str, status: str) -> None:
    event = dispute_event(event_type, "dp_1", "ch_1", 4500, status)
    assert schema_errors(event, "event") == []
    assert schema_errors(event["data"]["object"], "dispute") == []


def test_other_test_events_have_stripes_envelope() -> None:
    assert schema_errors(payment_succeeded("pi_1"), "event") == []
    assert schema_errors(stripe_event("charge.refunded", {"id": "ch_1"}), "event") == []


def test_the_check_catches_a_wrong_shape() -> None:
    event = dispute_event("charge.dispute.created", "dp_1", "ch_1", 4500, "needs_response")
    event["data"]["object"]["amount"] = "45.00"
    del event["data"]["object"]["reason"]
    errors = schema_errors(event["data"]["object"], "dispute")
    assert any(e.startswith("amount") for e in errors)
    assert any("reason" in e for e in errors)
    assert schema_errors({**event, "livemode": "no"}, "event") != []
