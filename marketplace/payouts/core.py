"""Pure rules of payouts: Stripe's requirement codes in plain words, the monthly chart, which
transfer already made for a payment a retry should adopt, and the two entries a royalty payout
posts (``royalty_payout_entry``, ``royalty_payout_reversal_entry``).

No Flask, SQLAlchemy, Celery or stripe here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from marketplace.i18n.markers import N_
from marketplace.ledger import kinds
from marketplace.ledger.core import (
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
    credit,
    debit,
    transfer_entry,
)
from marketplace.ledger.entries import WITHHOLDING_PAYABLE
from marketplace.taxes.withholding import withheld_payment_entry, withholding_returned

# Stripe's requirement codes (``requirements.currently_due``), by prefix, in the member's words.
# The first prefix that matches wins, so the more specific ones come first.
REQUIREMENT_WORDS: tuple[tuple[str, str], ...] = (
    ("external_account", N_("a bank account to receive your payouts")),
    ("tos_acceptance", N_("your acceptance of Stripe's services agreement")),
    ("individual.dob", N_("your date of birth")),
    ("individual.address", N_("your home address")),
    ("individual.first_name", N_("your legal name")),
    ("individual.last_name", N_("your legal name")),
    ("individual.email", N_("your email address")),
    ("individual.phone", N_("your phone number")),
    ("individual.ssn_last_4", N_("the last four digits of your Social Security number")),
    ("individual.id_number", N_("your tax identification number")),
    ("individual.verification", N_("an identity document")),
    ("business_profile", N_("a short description of your work (website and category)")),
    ("business_type", N_("whether you are paid as an individual or as a company")),
    ("company", N_("your company's details")),
    ("representative", N_("details of your company's representative")),
)


def describe_requirements(codes: Iterable[str]) -> list[str]:
    """What Stripe still needs, in plain words, each once, in Stripe's order."""
    described: list[str] = []
    for code in codes:
        words = next(
            (text for prefix, text in REQUIREMENT_WORDS if code.startswith(prefix)),
            code.replace("_", " ").replace(".", ": "),
        )
        if words not in described:
            described.append(words)
    return described


@dataclass(frozen=True)
class MonthBar:
    month: date  # the first day of the month
    cents: int
    percent: int  # of the highest month, for the bar's width (0 to 100)

    @property
    def label(self) -> str:
        return self.month.strftime("%b %Y")


def month_start(day: date, back: int = 0) -> date:
    """The first day of ``day``'s month, ``back`` months earlier."""
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def monthly_bars(
    today: date, amounts: Iterable[tuple[date, int]], months: int = 12
) -> list[MonthBar]:
    """Totals per month for the ``months`` months up to ``today``'s, oldest first; amounts
    outside that window are left out."""
    firsts = [month_start(today, back) for back in range(months - 1, -1, -1)]
    totals = dict.fromkeys(firsts, 0)
    for day, cents in amounts:
        first = month_start(day)
        if first in totals:
            totals[first] += cents
    highest = max([*totals.values(), 0])
    return [
        MonthBar(first, cents, (cents * 100 // highest) if highest > 0 and cents > 0 else 0)
        for first, cents in totals.items()
    ]


class TransferLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def amount_cents(self) -> int: ...
    @property
    def currency(self) -> str: ...
    @property
    def metadata(self) -> Mapping[str, str]: ...


def made_before(
    transfers: Iterable[TransferLike],
    *,
    amount_cents: int,
    currency: str,
    metadata: Mapping[str, str],
) -> str | None:
    """The id of the transfer in ``transfers`` made earlier for this very payment, or None.

    Stripe keeps an idempotency key for 24 hours only: a transfer retried later, its first
    answer lost (a worker killed after Stripe made it, before the commit), would be made
    twice. Ours carry metadata naming the payment and its random token; a transfer whose
    metadata holds all of ours, for the same amount and currency, is that payment's.
    """
    if not metadata:
        return None
    for transfer in transfers:
        same_payment = all(transfer.metadata.get(key) == value for key, value in metadata.items())
        if (
            same_payment
            and transfer.amount_cents == amount_cents
            and transfer.currency.upper() == currency.upper()
        ):
            return transfer.id
    return None


def _positive(amount_cents: int, what: str) -> int:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int) or amount_cents <= 0:
        raise LedgerError(f"{what} is a positive number of cents, not {amount_cents!r}")
    return amount_cents


def payout_key(line_id: int) -> str:
    """The idempotency key of a payout line's entry: one per line, whoever posts it."""
    return f"payout-line:{line_id}"


def royalty_payout_entry(
    key: str,
    currency: str,
    member_id: int,
    amount_cents: int,
    description: str,
    withheld_cents: int = 0,
) -> EntryDraft:
    """Dr royalties payable[member] (2100) the gross ``amount_cents``, Cr Stripe clearing (1100)
    what the transfer paid, Cr withholding payable[member] (2500) the tax withheld from it: a
    Stripe transfer of the member's royalties out of the platform balance (kind
    ``royalty_payout``). Without withholding, the two-line entry it always was."""
    return withheld_payment_entry(
        key,
        description,
        currency,
        AccountRef(ROYALTIES_PAYABLE, member_id),
        _positive(amount_cents, "a royalty payout"),
        withheld_cents,
        kinds.ROYALTY_PAYOUT,
    )


def royalty_payout_reversal_entry(
    line_id: int,
    currency: str,
    member_id: int,
    reversed_now_cents: int,
    reversed_in_all_cents: int,
    transfer_id: str,
    withheld_cents: int = 0,
    net_cents: int = 0,
) -> EntryDraft:
    """Dr Stripe clearing (1100), Cr royalties payable[member] (2100): what Stripe reversed of a
    payout's transfer since the last reversal the books saw, owed to the member again (kind
    ``royalty_payout_reversal``). Keyed by the transfer's reversed total, so each new reversal
    posts once and a replay of the same one posts nothing.

    A payout that withheld tax (``withheld_cents`` of a ``net_cents`` transfer) gives back the
    same share of the tax (Dr withholding payable[member], Cr royalties payable[member]): the
    member is owed the gross again, and the next payout withholds on it once more."""
    _positive(reversed_now_cents, "a reversed royalty payout")
    key = f"{payout_key(line_id)}:reversed:{reversed_in_all_cents}"
    description = f"Royalty payout {transfer_id} reversed at Stripe"
    returned = 0
    if withheld_cents:
        before = reversed_in_all_cents - reversed_now_cents
        returned = withholding_returned(
            withheld_cents, net_cents, reversed_in_all_cents
        ) - withholding_returned(withheld_cents, net_cents, before)
    if not returned:
        return transfer_entry(
            key,
            description,
            currency,
            AccountRef(STRIPE_CLEARING),
            AccountRef(ROYALTIES_PAYABLE, member_id),
            reversed_now_cents,
            kinds.ROYALTY_PAYOUT_REVERSAL,
        )
    return EntryDraft(
        idempotency_key=key,
        description=description,
        currency=currency,
        lines=(
            debit(AccountRef(STRIPE_CLEARING), reversed_now_cents),
            debit(AccountRef(WITHHOLDING_PAYABLE, member_id), returned),
            credit(AccountRef(ROYALTIES_PAYABLE, member_id), reversed_now_cents + returned),
        ),
        kind=kinds.ROYALTY_PAYOUT_REVERSAL,
    ).validate()
