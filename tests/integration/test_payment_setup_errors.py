"""When Stripe refuses a request because of how the co-op set payments up, say so.

A wrong setting (here the emulator refusing ``transfer_group``, or a key it does not accept) is
not "the payment service did not answer, try again": the buyer is told it is the co-op's problem
and that nothing was charged, the log says loudly what Stripe said and which setting is likely at
fault, and the admins get one email however many buyers run into it.
"""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from tests.fixtures.buying import (
    Buying,
    buying_fixture,  # noqa: F401 - a fixture, found here by pytest as ``buying``
)
from tests.fixtures.mail import SmtpSink, body_of
from tests.fixtures.payments import payment_method
from tests.fixtures.stripe_emulator import StripeEmulator
from tests.integration.test_payouts import Payouts

SETUP_MESSAGE = (
    "The co-op's payment setup has a problem on our side; you were not charged. "
    "The co-op's admins have been told."
)


def _pay(buying: Buying, order_id: int) -> tuple[int, dict[str, str]]:
    response = buying.client.post(
        f"/api/v1/orders/{order_id}/payment",
        json={"payment_method": payment_method(buying.emulator.base_url)},
        headers=buying.headers,
    )
    return response.status_code, response.get_json()["error"]


def _setup_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        record
        for record in caplog.records
        if record.levelno >= logging.ERROR and "payment setup" in record.getMessage()
    ]


def test_a_parameter_stripe_refuses_is_the_co_ops_problem_not_the_buyers(
    buying: Buying, smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    # The emulator does not know transfer_group: only real Stripe may be sent it.
    buying.app.config["STRIPE_SENDS_TRANSFER_GROUP"] = True
    order = buying.order((buying.photo, "standard", "M"))

    status, error = _pay(buying, order["id"])

    assert status == 503
    assert error["code"] == "payment_setup_error"
    assert error["message"] == SETUP_MESSAGE
    [record] = _setup_records(caplog)
    logged = record.getMessage()
    assert "transfer_group" in logged
    assert "STRIPE_SENDS_TRANSFER_GROUP" in logged
    assert "request id" in logged
    notice = smtp_sink.wait_for(buying.admin.email, "payment setup")
    assert "STRIPE_SENDS_TRANSFER_GROUP" in body_of(notice)
    assert "transfer_group" in body_of(notice)
    assert buying.get(order["id"])["status"] == "pending_payment"

    # A storm of buyers meeting the same problem: each is told, the admins are emailed once.
    for _ in range(3):
        assert _pay(buying, order["id"])[1]["code"] == "payment_setup_error"
    assert len(_setup_records(caplog)) == 4
    notices = [m for m in smtp_sink.to(buying.admin.email) if "payment setup" in m["Subject"]]
    assert len(notices) == 1

    # Fixed, the same order pays.
    buying.app.config["STRIPE_SENDS_TRANSFER_GROUP"] = False
    assert buying.pay(order["id"])["status"] in ("processing", "succeeded")


def test_a_key_stripe_does_not_accept_names_the_key_setting(
    buying: Buying, smtp_sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    buying.app.config["STRIPE_SECRET_KEY"] = "not-a-stripe-key"
    order = buying.order((buying.photo, "standard", "M"))

    status, error = _pay(buying, order["id"])

    assert (status, error["code"], error["message"]) == (503, "payment_setup_error", SETUP_MESSAGE)
    [record] = _setup_records(caplog)
    assert "STRIPE_SECRET_KEY" in record.getMessage()
    assert "STRIPE_SECRET_KEY" in body_of(smtp_sink.wait_for(buying.admin.email, "payment setup"))


def test_a_declined_card_is_still_the_banks_answer(buying: Buying) -> None:
    from tests.fixtures.payments import DECLINED_CARD

    order = buying.order((buying.photo, "standard", "M"))
    paid = buying.pay(order["id"], DECLINED_CARD)
    assert paid["status"] == "failed"
    assert paid["error"]


def test_a_payout_refused_for_the_setup_says_so_on_its_line(
    shop_app: Flask,
    stripe_emulator: StripeEmulator,
    smtp_sink: SmtpSink,
    caplog: pytest.LogCaptureFixture,
) -> None:
    shop = Payouts(shop_app, stripe_emulator)
    shop.sell()
    shop.sell(shop.other)
    shop.connect()
    shop.account_updated(shop.account_id())
    shop_app.config["STRIPE_SECRET_KEY"] = "not-a-stripe-key"

    [line] = shop.pay_now()["lines"]

    assert line["status"] == "failed"
    assert line["failure_reason"].startswith("The co-op's Stripe setup has a problem")
    assert "STRIPE_SECRET_KEY" in line["failure_reason"]
    assert "did not answer" not in line["failure_reason"]
    assert _setup_records(caplog)
    smtp_sink.wait_for(shop.admin.email, "payment setup")


def test_paying_again_while_stripe_refuses_the_key_is_not_a_server_error(
    buying: Buying, caplog: pytest.LogCaptureFixture
) -> None:
    """Paying an order whose payment is under way reads it back from Stripe first: that read
    failing was a 500 (it sat outside the error handling of the payment call)."""
    order = buying.order((buying.photo, "standard", "M"))
    assert buying.pay(order["id"])["status"] == "processing"
    buying.app.config["STRIPE_SECRET_KEY"] = "not-a-stripe-key"

    status, error = _pay(buying, order["id"])

    assert (status, error["code"], error["message"]) == (503, "payment_setup_error", SETUP_MESSAGE)
    assert _setup_records(caplog)
