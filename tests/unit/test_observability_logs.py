"""Log lines: redaction of personal data, request ids, JSON and text formats."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from marketplace.observability.logs import (
    JsonFormatter,
    TextFormatter,
    install_record_factory,
    log_format,
    new_request_id,
    redact,
    request_id_var,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Receipt to bea.buyer+shop@example.co.uk not sent", "Receipt to [email] not sent"),
        ("to O'Neil@Mail-Host.org, cc ann@b.io", "to [email], cc [email]"),
        ("card 4242 4242 4242 4242 declined", "card [card] declined"),
        ("card 4000-0566-5566-5556 declined", "card [card] declined"),
        ("SSN 123-45-6789 and EIN 12-3456789", "SSN [tax id] and EIN [tax id]"),
        # Not a card: fails the Luhn check, like most long ids and timestamps.
        ("order 1234567890123 paid", "order 1234567890123 paid"),
        ("payout line 42 failed: pi_3Ab12", "payout line 42 failed: pi_3Ab12"),
        # Digits inside a token (a request id, a Stripe id) are part of it, whatever Luhn says.
        ("request 433a57a5a4242424242424242c1bb861f", "request 433a57a5a4242424242424242c1bb861f"),
        ("ch_4242424242424242 refunded", "ch_4242424242424242 refunded"),
        ("2026-12-06 14:20:00 at 127.0.0.1", "2026-12-06 14:20:00 at 127.0.0.1"),
    ],
)
def test_redact_removes_emails_cards_and_tax_ids_only(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_request_id_is_kept_only_when_it_is_a_plain_token() -> None:
    assert new_request_id("lb-0123456789abcdef") == "lb-0123456789abcdef"
    for offered in (None, "", "short", "a" * 65, "two words here", "x<script>y</script>"):
        made = new_request_id(offered)
        assert made != offered
        assert len(made) == 32
        int(made, 16)


def test_the_format_follows_the_setting_then_the_profile() -> None:
    assert log_format("production", None) == "json"
    assert log_format("demo", None) == "text"
    assert log_format("production", "TEXT") == "text"
    assert log_format("demo", "json") == "json"
    with pytest.raises(ValueError, match="json or text"):
        log_format("demo", "xml")


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    install_record_factory()
    exc_info = None
    if exc:
        try:
            raise ValueError("duplicate key (email)=(cy@example.org)")
        except ValueError:
            exc_info = sys.exc_info()
    return logging.getLogger("marketplace.unit").makeRecord(
        "marketplace.unit", logging.ERROR, __file__, 1, message, args, exc_info
    )


def test_json_lines_carry_the_request_id_and_no_personal_data() -> None:
    token = request_id_var.set("req-abcdef12")
    try:
        record = _record("Receipt to %s failed", "dee@example.net", exc=True)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "req-abcdef12"
    assert line["level"] == "ERROR"
    assert line["logger"] == "marketplace.unit"
    assert line["message"] == "Receipt to [email] failed"
    assert "ValueError: duplicate key (email)=([email])" in line["exception"]
    assert "@" not in json.dumps(line)
    assert line["time"].endswith("+00:00")


def test_text_lines_show_the_request_id_and_redact_tracebacks() -> None:
    record = _record("Email to %s bounced", "eve@example.com", exc=True)
    text = TextFormatter().format(record)
    assert "ERROR marketplace.unit [-]: Email to [email] bounced" in text
    assert "(email)=([email])" in text
    assert "@example" not in text
