"""The ledger's building blocks: money in integer cents, the chart of accounts, balanced drafts.

Pure like the rest of the core (see ``core.py``, which re-exports all of this).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from marketplace.ledger import kinds

AccountType = Literal["asset", "liability", "equity", "income", "contra_income", "expense"]
Side = Literal["debit", "credit"]
ACCOUNT_TYPES: tuple[AccountType, ...] = (
    "asset",
    "liability",
    "equity",
    "income",
    "contra_income",
    "expense",
)
# Accounts whose balance grows with debits; the others grow with credits.
DEBIT_NORMAL: frozenset[str] = frozenset({"asset", "expense", "contra_income"})
MAX_KEY_CHARS = 200
MAX_DESCRIPTION_CHARS = 500
_CURRENCY = re.compile(r"[A-Z]{3}")


class LedgerError(ValueError):
    """A draft the ledger refuses: a bug in the caller, never something to show a buyer."""


class UnbalancedEntry(LedgerError):
    """Debits and credits of an entry differ in some currency."""


class UnknownAccount(LedgerError):
    """An account code the chart does not know, or a member given where none belongs."""


@dataclass(frozen=True)
class AccountSpec:
    code: str
    name: str
    type: AccountType
    per_member: bool = False

    @property
    def debit_normal(self) -> bool:
        return self.type in DEBIT_NORMAL


BANK = "1000"
STRIPE_CLEARING = "1100"
# What a member owes the co-op (a royalty clawed back after it was paid out) and what the co-op
# gave up of it (ledger.debts).
MEMBER_RECEIVABLES = "1300"
MEMBER_DEBTS_WRITTEN_OFF = "5300"
ROYALTIES_PAYABLE = "2100"
DIVIDENDS_PAYABLE = "2200"
# Federal income tax withheld from members' royalties and cash dividends (taxes.withholding):
# owed to the IRS until the co-op deposits it.
WITHHOLDING_PAYABLE = "2500"
MEMBER_CAPITAL = "3100"
RESERVES = "3200"
RETAINED_SURPLUS = "3300"
LICENCE_REVENUE = "4000"
REFUNDS_AND_CHARGEBACKS = "4900"
PAYMENT_FEES = "5100"
OPERATING_COSTS = "5200"
# Operating costs by nature (costs.core): 5200 stays the general account.
ACCOUNTS_PAYABLE = "2000"
HOSTING_AND_SOFTWARE = "5210"
PROFESSIONAL_FEES = "5220"
INSURANCE = "5230"
BANK_CHARGES = "5240"
# Sales in another currency than the settlement one (ledger.exchange): the account the buyer's
# currency passes through as Stripe converts it, and what a refund at another day's rate cost
# or saved against the sale (a gain is a credit balance).
CURRENCY_EXCHANGE = "1150"
EXCHANGE_DIFFERENCES = "5400"
# Sales tax and VAT collected from buyers (ledger.sales_tax): a liability, one account per
# jurisdiction whose tax it is ("2300-FR", "2300-CA-ON", "2300-US-WA"), owed in the currency it
# was charged in; never revenue.
SALES_TAX_PAYABLE = "2300"
_SALES_TAX_CODE = re.compile(r"2300-([A-Z]{2}(?:-[A-Z0-9]{1,3})?)")

# The chart a co-op accountant expects: 1xxx assets, 2xxx liabilities, 3xxx equity, 4xxx income
# (49xx contra-income), 5xxx expenses. Later features add codes here; shared accounts that are
# not seeded by a migration are created on first use, like the per-member ones.
CHART: dict[str, AccountSpec] = {
    spec.code: spec
    for spec in (
        AccountSpec(BANK, "Bank", "asset"),
        AccountSpec(STRIPE_CLEARING, "Stripe clearing", "asset"),
        AccountSpec(CURRENCY_EXCHANGE, "Currency exchange", "asset"),
        AccountSpec(MEMBER_RECEIVABLES, "Member receivables", "asset", per_member=True),
        AccountSpec(ACCOUNTS_PAYABLE, "Accounts payable", "liability"),
        AccountSpec(ROYALTIES_PAYABLE, "Royalties payable", "liability", per_member=True),
        AccountSpec(DIVIDENDS_PAYABLE, "Dividends payable", "liability", per_member=True),
        AccountSpec(WITHHOLDING_PAYABLE, "Withholding payable", "liability", per_member=True),
        AccountSpec(MEMBER_CAPITAL, "Member capital", "equity", per_member=True),
        AccountSpec(RESERVES, "Reserves", "equity"),
        AccountSpec(RETAINED_SURPLUS, "Retained surplus", "equity"),
        AccountSpec(LICENCE_REVENUE, "Licence revenue", "income"),
        AccountSpec(REFUNDS_AND_CHARGEBACKS, "Refunds and chargebacks", "contra_income"),
        AccountSpec(PAYMENT_FEES, "Payment processing fees", "expense"),
        AccountSpec(OPERATING_COSTS, "Operating costs", "expense"),
        AccountSpec(MEMBER_DEBTS_WRITTEN_OFF, "Member debts written off", "expense"),
        AccountSpec(HOSTING_AND_SOFTWARE, "Hosting and software", "expense"),
        AccountSpec(PROFESSIONAL_FEES, "Accounting and legal fees", "expense"),
        AccountSpec(INSURANCE, "Insurance", "expense"),
        AccountSpec(BANK_CHARGES, "Bank charges", "expense"),
        AccountSpec(EXCHANGE_DIFFERENCES, "Exchange differences", "expense"),
    )
}


def account_spec(code: str) -> AccountSpec:
    try:
        return CHART[code]
    except KeyError:
        pass
    tax = _SALES_TAX_CODE.fullmatch(code) if isinstance(code, str) else None
    if tax is not None:
        return AccountSpec(code, f"Sales tax payable: {tax.group(1)}", "liability")
    raise UnknownAccount(f"account {code!r} is not in the chart of accounts")


def sales_tax_account(jurisdiction: str) -> AccountRef:
    """The account of the tax owed to ``jurisdiction`` (ISO 3166 "FR" or 3166-2 "CA-ON")."""
    return AccountRef(f"{SALES_TAX_PAYABLE}-{jurisdiction}")


@dataclass(frozen=True, order=True)
class AccountRef:
    """One account: a chart code, and the member for the per-member accounts."""

    code: str
    member_id: int | None = None

    def __post_init__(self) -> None:
        spec = account_spec(self.code)
        if spec.per_member and self.member_id is None:
            raise UnknownAccount(f"account {self.code} ({spec.name}) is kept per member")
        if not spec.per_member and self.member_id is not None:
            raise UnknownAccount(f"account {self.code} ({spec.name}) is not kept per member")

    @property
    def spec(self) -> AccountSpec:
        return account_spec(self.code)


def _is_cents(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Money:
    """An amount of one currency in integer minor units."""

    cents: int
    currency: str

    def __post_init__(self) -> None:
        if not _is_cents(self.cents):
            raise LedgerError(f"money is whole cents, not {self.cents!r}")
        check_currency(self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise LedgerError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents + other.cents, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.cents - other.cents, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.cents, self.currency)

    def __str__(self) -> str:
        return format_cents(self.cents, self.currency)


_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "CA$", "AUD": "A$"}


def format_cents(cents: int, currency: str) -> str:
    """``-1234, "USD"`` -> ``"−$12.34"``: for people; CSV files use ``decimal_string``."""
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    sign = "−" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{symbol}{whole:,}.{part:02d}"


def decimal_string(cents: int) -> str:
    """``-1234`` -> ``"-12.34"``: exact, for spreadsheets."""
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(cents), 100)
    return f"{sign}{whole}.{part:02d}"


def check_currency(currency: str) -> str:
    if not isinstance(currency, str) or not _CURRENCY.fullmatch(currency):
        raise LedgerError(f"currency must be an ISO 4217 code such as 'USD', not {currency!r}")
    return currency


def largest_remainder_split(total_cents: int, weights: Sequence[int]) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights``; the parts always add up to the total.

    Each part is its exact share rounded down or up; the cents left after rounding down go to
    the largest remainders, ties to the earlier weight, so the result is deterministic.
    """
    if not _is_cents(total_cents) or total_cents < 0:
        raise LedgerError(f"can only split a whole, non-negative number of cents: {total_cents!r}")
    if not weights or any(not _is_cents(w) or w < 0 for w in weights):
        raise LedgerError("weights must be non-negative whole numbers")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise LedgerError("at least one weight must be positive")
    shares = [divmod(total_cents * w, weight_sum) for w in weights]
    parts = [quotient for quotient, _ in shares]
    left = total_cents - sum(parts)
    by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:left]:
        parts[index] += 1
    return parts


@dataclass(frozen=True)
class Line:
    """One side of one account in an entry: exactly one of the two amounts is positive."""

    account: AccountRef
    debit_cents: int = 0
    credit_cents: int = 0
    # None: the entry's currency.
    currency: str | None = None

    @property
    def side(self) -> Side:
        return "debit" if self.debit_cents else "credit"

    @property
    def amount_cents(self) -> int:
        return self.debit_cents or self.credit_cents

    def reversed(self) -> Line:
        return Line(self.account, self.credit_cents, self.debit_cents, self.currency)


def debit(account: AccountRef, cents: int, currency: str | None = None) -> Line:
    return Line(account, debit_cents=cents, currency=currency)


def credit(account: AccountRef, cents: int, currency: str | None = None) -> Line:
    return Line(account, credit_cents=cents, currency=currency)


@dataclass(frozen=True)
class EntryDraft:
    """A journal entry not yet posted. ``validate`` says whether the ledger will take it."""

    idempotency_key: str
    description: str
    currency: str
    lines: tuple[Line, ...]
    kind: str = kinds.MANUAL
    order_id: int | None = None

    def line_currency(self, line: Line) -> str:
        return line.currency or self.currency

    def totals(self) -> dict[str, tuple[int, int]]:
        """Per currency, (debits, credits)."""
        totals: dict[str, tuple[int, int]] = {}
        for line in self.lines:
            debits, credits = totals.get(self.line_currency(line), (0, 0))
            totals[self.line_currency(line)] = (
                debits + line.debit_cents,
                credits + line.credit_cents,
            )
        return totals

    def validate(self) -> EntryDraft:
        """Return the draft when it can be posted; raise ``LedgerError`` saying why not."""
        if not isinstance(self.idempotency_key, str) or not self.idempotency_key.strip():
            raise LedgerError("every entry needs an idempotency key")
        if len(self.idempotency_key) > MAX_KEY_CHARS:
            raise LedgerError(f"idempotency keys are at most {MAX_KEY_CHARS} characters")
        if not self.kind or len(self.kind) > 32:
            raise LedgerError("an entry's kind is 1 to 32 characters")
        if len(self.description) > MAX_DESCRIPTION_CHARS:
            raise LedgerError(f"descriptions are at most {MAX_DESCRIPTION_CHARS} characters")
        check_currency(self.currency)
        if len(self.lines) < 2:
            raise LedgerError("an entry needs at least two lines")
        for line in self.lines:
            if not isinstance(line.account, AccountRef):
                raise LedgerError(f"not an account: {line.account!r}")
            check_currency(self.line_currency(line))
            if not _is_cents(line.debit_cents) or not _is_cents(line.credit_cents):
                raise LedgerError("amounts are whole cents")
            if line.debit_cents < 0 or line.credit_cents < 0:
                raise LedgerError("amounts are positive; the side says which way money moves")
            if (line.debit_cents > 0) == (line.credit_cents > 0):
                raise LedgerError(
                    f"a line debits or credits {line.account.code}, one positive amount"
                )
        for currency, (debits, credits) in self.totals().items():
            if debits != credits:
                raise UnbalancedEntry(
                    f"entry {self.idempotency_key!r} does not balance in {currency}: "
                    f"debits {debits}, credits {credits}"
                )
        return self


def collapse(lines: Iterable[Line]) -> tuple[Line, ...]:
    """Merge lines of the same account, side and currency, in order of first appearance.

    Zero amounts disappear, so a rule can add a line for every part without checking for zero.
    """
    merged: dict[tuple[AccountRef, Side, str | None], int] = {}
    for line in lines:
        if line.amount_cents == 0:
            continue
        key = (line.account, line.side, line.currency)
        merged[key] = merged.get(key, 0) + line.amount_cents
    return tuple(
        Line(account, cents if side == "debit" else 0, cents if side == "credit" else 0, currency)
        for (account, side, currency), cents in merged.items()
    )


def reversal(
    draft: EntryDraft, idempotency_key: str, description: str, kind: str = kinds.REVERSAL
) -> EntryDraft:
    """The entry that undoes ``draft`` exactly: every line on the other side."""
    return EntryDraft(
        idempotency_key=idempotency_key,
        description=description,
        currency=draft.currency,
        lines=tuple(line.reversed() for line in draft.lines),
        kind=kind,
        order_id=draft.order_id,
    )


def signed_balance(account_type: str, debits_cents: int, credits_cents: int) -> int:
    """The balance in the account's normal direction: positive is the usual state."""
    if account_type in DEBIT_NORMAL:
        return debits_cents - credits_cents
    return credits_cents - debits_cents


def line_effect(account_type: str, side: str, amount_cents: int) -> int:
    """How one line moves the account's (signed, normal-direction) balance."""
    if side == "debit":
        return signed_balance(account_type, amount_cents, 0)
    return signed_balance(account_type, 0, amount_cents)
