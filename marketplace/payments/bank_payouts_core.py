"""Stripe's payouts to the co-op's bank, the pure rules: what a payout posts, how a bank
statement line is read from CSV, and which statement line matches which payout.

A payout moves the platform balance (Stripe clearing, 1100) to the bank (1000) when Stripe
says it is paid; a paid payout that later fails comes back (Stripe returns the money to the
balance). The bank's statement says what arrived: the reconciliation lists what does not
match. No Flask, SQLAlchemy, Celery or stripe; money is integer cents.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from marketplace.i18n.markers import N_
from marketplace.ledger import kinds
from marketplace.ledger.core import BANK, STRIPE_CLEARING, AccountRef, EntryDraft, transfer_entry

# A payout arrives on its arrival date, or a few bank days later.
MATCH_WINDOW = timedelta(days=4)
HANDLED_EVENTS = ("payout.paid", "payout.failed")


class StatementError(ValueError):
    """A bank statement the import refuses; the message names the line and what is wrong.

    ``message`` is the English text with ``%(name)s`` placeholders (marked for the catalogue),
    ``values`` fill them: the service says it in the admin's language with both."""

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message % values if values else message)


def payout_entry(
    payout_id: str, currency: str, amount_cents: int, arrival: date | None
) -> EntryDraft:
    """Dr bank (1000), Cr Stripe clearing (1100): the payout arrived, keyed by its id."""
    when = f", arriving {arrival.isoformat()}" if arrival else ""
    return transfer_entry(
        f"{kinds.BANK_PAYOUT}:{payout_id}",
        f"Stripe payout {payout_id} to the bank{when}",
        currency,
        AccountRef(BANK),
        AccountRef(STRIPE_CLEARING),
        amount_cents,
        kinds.BANK_PAYOUT,
    )


def payout_return_entry(
    payout_id: str, currency: str, amount_cents: int, reason: str
) -> EntryDraft:
    """Dr Stripe clearing, Cr bank: a payout booked as paid failed, its money is back."""
    return transfer_entry(
        f"{kinds.BANK_PAYOUT_RETURN}:{payout_id}",
        f"Stripe payout {payout_id} failed and returned: {reason or 'no reason given'}"[:500],
        currency,
        AccountRef(STRIPE_CLEARING),
        AccountRef(BANK),
        amount_cents,
        kinds.BANK_PAYOUT_RETURN,
    )


@dataclass(frozen=True)
class StatementLine:
    booked_on: date
    amount_cents: int
    description: str
    # Which line of the file, and a digest that makes importing it again harmless.
    number: int
    fingerprint: str


def _cents(raw: str, number: int) -> int:
    try:
        amount = Decimal(raw.replace(",", "").strip())
    except InvalidOperation:
        raise StatementError(
            N_("Line %(line)s: the amount %(amount)s is not a number."),
            line=number,
            amount=repr(raw),
        ) from None
    cents = amount * 100
    if not amount.is_finite() or cents != cents.to_integral_value():
        raise StatementError(
            N_("Line %(line)s: the amount %(amount)s is not to the cent."),
            line=number,
            amount=repr(raw),
        )
    if cents == 0:
        raise StatementError(N_("Line %(line)s: an amount of zero is not a movement."), line=number)
    return int(cents)


def read_statement(text: str) -> list[StatementLine]:
    """CSV with a header ``date,amount,description`` (amount in units, money in positive, out
    negative). A line seen twice in the file is two lines (the same amount on the same day
    happens); importing the file again changes nothing (fingerprints)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    wanted = {"date", "amount", "description"}
    if reader.fieldnames is None or not wanted <= {f.strip().lower() for f in reader.fieldnames}:
        raise StatementError(N_("The first line must name the columns: date,amount,description."))
    lines: list[StatementLine] = []
    seen: dict[tuple[str, str, str], int] = {}
    for number, row in enumerate(reader, start=2):
        fields = {key.strip().lower(): (value or "").strip() for key, value in row.items() if key}
        try:
            booked_on = date.fromisoformat(fields["date"])
        except ValueError:
            raise StatementError(
                N_("Line %(line)s: the date %(date)s is not like 2026-03-31."),
                line=number,
                date=repr(fields["date"]),
            ) from None
        cents = _cents(fields["amount"], number)
        description = " ".join(fields["description"].split())[:300]
        key = (booked_on.isoformat(), str(cents), description)
        seen[key] = seen.get(key, 0) + 1
        digest = hashlib.sha256("|".join((*key, str(seen[key]))).encode()).hexdigest()
        lines.append(StatementLine(booked_on, cents, description, number, digest))
    if not lines:
        raise StatementError(N_("The statement has no lines."))
    return lines


@dataclass(frozen=True)
class PayoutFacts:
    id: int
    amount_cents: int
    arrival_date: date | None
    booked: bool


@dataclass(frozen=True)
class LineFacts:
    id: int
    booked_on: date
    amount_cents: int


def match(payouts: Sequence[PayoutFacts], lines: Iterable[LineFacts]) -> dict[int, int]:
    """Statement line id -> payout id: a line paying in exactly a booked payout's amount within
    ``MATCH_WINDOW`` of its arrival date, each payout matched once, the nearest date first."""
    matched: dict[int, int] = {}
    taken: set[int] = set()
    for line in sorted(lines, key=lambda item: (item.booked_on, item.id)):
        candidates = [
            p
            for p in payouts
            if p.booked
            and p.id not in taken
            and p.amount_cents == line.amount_cents
            and p.arrival_date is not None
            and timedelta(0) <= line.booked_on - p.arrival_date <= MATCH_WINDOW
        ]
        if candidates:
            best = max(candidates, key=lambda p: (p.arrival_date or date.min, -p.id))
            matched[line.id] = best.id
            taken.add(best.id)
    return matched
