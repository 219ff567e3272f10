"""Payouts to the bank, the pure rules: the entries, a statement read from CSV, the matching."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.ledger import kinds
from marketplace.payments import bank_payouts_core as core
from marketplace.payments.bank_payouts_core import LineFacts, PayoutFacts, StatementError


def sides(draft: core.EntryDraft) -> dict[str, tuple[int, int]]:
    return {line.account.code: (line.debit_cents, line.credit_cents) for line in draft.lines}


def test_a_paid_payout_moves_stripe_clearing_to_the_bank_and_a_failed_one_back() -> None:
    paid = core.payout_entry("po_1", "USD", 125_000, date(2026, 3, 4))
    assert paid.idempotency_key == "bank_payout:po_1"
    assert paid.kind == kinds.BANK_PAYOUT
    assert sides(paid) == {"1000": (125_000, 0), "1100": (0, 125_000)}
    back = core.payout_return_entry("po_1", "USD", 125_000, "account_closed")
    assert back.kind == kinds.BANK_PAYOUT_RETURN
    assert sides(back) == {"1100": (125_000, 0), "1000": (0, 125_000)}
    assert "account_closed" in back.description


def test_a_statement_is_read_with_signed_amounts_and_stable_fingerprints() -> None:
    text = (
        "Date,Amount,Description\n"
        "2026-03-04,1250.00,STRIPE  PAYOUT\n"
        "2026-03-05,-40.5,Bank fee\n"
        "2026-03-05,-40.5,Bank fee\n"
    )
    lines = core.read_statement(text)
    assert [(line.booked_on, line.amount_cents) for line in lines] == [
        (date(2026, 3, 4), 125_000),
        (date(2026, 3, 5), -4_050),
        (date(2026, 3, 5), -4_050),
    ]
    assert lines[0].description == "STRIPE PAYOUT"
    # Two equal lines are two movements; the same file read again gives the same prints.
    assert lines[1].fingerprint != lines[2].fingerprint
    assert [line.fingerprint for line in core.read_statement(text)] == [
        line.fingerprint for line in lines
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("when,how much\n2026-01-01,1\n", "name the columns"),
        ("date,amount,description\n", "no lines"),
        ("date,amount,description\n01/03/2026,1.00,x\n", "Line 2: the date"),
        ("date,amount,description\n2026-03-01,abc,x\n", "not a number"),
        ("date,amount,description\n2026-03-01,1.005,x\n", "not to the cent"),
        ("date,amount,description\n2026-03-01,0,x\n", "zero"),
    ],
)
def test_a_statement_the_import_refuses_says_which_line_and_why(text: str, words: str) -> None:
    with pytest.raises(StatementError, match=words):
        core.read_statement(text)


def test_a_line_matches_a_booked_payout_of_its_amount_arriving_within_four_days() -> None:
    payouts = [
        PayoutFacts(1, 10_000, date(2026, 3, 2), booked=True),
        PayoutFacts(2, 10_000, date(2026, 3, 4), booked=True),
        PayoutFacts(3, 5_000, date(2026, 3, 4), booked=False),
        PayoutFacts(4, 7_000, date(2026, 3, 1), booked=True),
    ]
    lines = [
        LineFacts(10, date(2026, 3, 4), 10_000),  # the nearest arrival: payout 2
        LineFacts(11, date(2026, 3, 5), 10_000),  # then payout 1 (3 days after its arrival)
        LineFacts(12, date(2026, 3, 5), 10_000),  # nothing left of that amount
        LineFacts(13, date(2026, 3, 4), 5_000),  # payout 3 was never paid
        LineFacts(14, date(2026, 3, 9), 7_000),  # eight days late: not matched
        LineFacts(15, date(2026, 2, 28), 7_000),  # before the payout's arrival
    ]
    assert core.match(payouts, lines) == {10: 2, 11: 1}
