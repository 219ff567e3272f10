"""Operating costs, the pure posting rules: which accounts a cost moves, when it is dated, and
how a mistaken one is undone (never deleted).

A cost is an expense of the co-op (chart 52xx, by nature) paid from the bank (Dr expense,
Cr 1000) or accrued, owed to a supplier until paid (Dr expense, Cr accounts payable 2000; paying
it later is Dr 2000, Cr 1000). It is dated the day it was incurred, so the year it belongs to
carries it; a dividend run reads the costs of its period from the ledger and closes each
expense account into retained surplus.

No Flask, SQLAlchemy, Celery or stripe (the money core is pure); money is integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, Protocol

from marketplace.i18n.markers import N_
from marketplace.ledger import kinds
from marketplace.ledger.core import AccountRef, EntryDraft, account_spec, transfer_entry
from marketplace.ledger.entries import (
    ACCOUNTS_PAYABLE,
    BANK,
    BANK_CHARGES,
    CHART,
    HOSTING_AND_SOFTWARE,
    INSURANCE,
    OPERATING_COSTS,
    PAYMENT_FEES,
    PROFESSIONAL_FEES,
)

PaidFrom = Literal["bank", "payable"]
PAID_FROM: dict[str, str] = {"bank": BANK, "payable": ACCOUNTS_PAYABLE}
PAID_FROM_WORDS: dict[str, str] = {
    "bank": N_("Paid from the bank"),
    "payable": N_("Accrued (owed to the supplier)"),
}
# The expense accounts a cost may be booked to, in the order the form lists them.
EXPENSE_CODES: tuple[str, ...] = (
    HOSTING_AND_SOFTWARE,
    PROFESSIONAL_FEES,
    INSURANCE,
    BANK_CHARGES,
    OPERATING_COSTS,
)
# Every expense account (5xxx) a period's surplus counts and its closing entry closes, beyond
# Stripe's fees (5100, which a run reads apart): the costs above and any the chart adds later,
# such as the member debts written off (5300, ledger.debts), which nobody enters as a cost.
SURPLUS_EXPENSE_CODES: tuple[str, ...] = tuple(
    sorted(code for code, spec in CHART.items() if spec.type == "expense" and code != PAYMENT_FEES)
)
MAX_DESCRIPTION = 300
# Above any cost a co-op records, and far inside PostgreSQL's BIGINT.
MAX_AMOUNT_CENTS = 10**12
MAX_REASON = 1000


class CostError(ValueError):
    """A cost the books refuse; the message says why, for the admin who entered it.

    ``message`` is the English text with ``%(name)s`` placeholders (marked for the catalogue),
    ``values`` fill them: the service says it in the admin's language with both."""

    def __init__(self, message: str, **values: object) -> None:
        self.message = message
        self.values = values
        super().__init__(message % values if values else message)


@dataclass(frozen=True)
class Cost:
    """A cost as the admin entered it."""

    incurred_on: date
    description: str
    amount_cents: int
    expense_code: str
    paid_from: str

    def validated(self, today: date) -> Cost:
        """The cost with its description trimmed; ``CostError`` says what is wrong."""
        description = " ".join(self.description.split())
        if not description:
            raise CostError(N_("Say what the cost was for."))
        if len(description) > MAX_DESCRIPTION:
            raise CostError(
                N_("The description is at most %(max)s characters."), max=MAX_DESCRIPTION
            )
        amount = self.amount_cents
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise CostError(N_("The amount must be whole cents, more than zero."))
        if amount > MAX_AMOUNT_CENTS:
            raise CostError(N_("The amount is at most %(max)s cents."), max=f"{MAX_AMOUNT_CENTS:,}")
        if self.expense_code not in EXPENSE_CODES:
            raise CostError(
                N_("%(code)s is not an expense account of the chart."),
                code=repr(self.expense_code),
            )
        if self.paid_from not in PAID_FROM:
            raise CostError(N_("A cost is paid from the bank or accrued ('bank' or 'payable')."))
        if self.incurred_on > today:
            raise CostError(
                N_(
                    "The cost is dated %(date)s, in the future: record it on the day it is "
                    "incurred."
                ),
                date=self.incurred_on.isoformat(),
            )
        return Cost(self.incurred_on, description, amount, self.expense_code, self.paid_from)


def posting_moment(incurred_on: date, now: datetime) -> datetime:
    """When a cost incurred on ``incurred_on`` is dated in the ledger: now when it is today's
    (the books may have closed earlier today: it belongs after that), else the last moment
    of its day, so it falls in the period that holds that day."""
    if incurred_on >= now.date():
        return now
    return datetime.combine(incurred_on + timedelta(days=1), time.min, tzinfo=UTC) - timedelta(
        microseconds=1
    )


def expense_name(code: str) -> str:
    return f"{code} {account_spec(code).name}"


def cost_entry(key: str, currency: str, cost: Cost) -> EntryDraft:
    """Dr the expense account, Cr the bank (1000) or accounts payable (2000)."""
    return transfer_entry(
        key,
        f"Cost: {cost.description}"[:500],
        currency,
        AccountRef(cost.expense_code),
        AccountRef(PAID_FROM[cost.paid_from]),
        cost.amount_cents,
        kinds.EXPENSE,
    )


def cost_reversal_entry(key: str, currency: str, cost: Cost, reason: str) -> EntryDraft:
    """The cost's entry, every line on the other side: Dr bank or payable, Cr the expense."""
    reason = " ".join(reason.split())
    if not reason:
        raise CostError(N_("Say why the cost is reversed: the reason stays in the books."))
    if len(reason) > MAX_REASON:
        raise CostError(N_("The reason is at most %(max)s characters."), max=MAX_REASON)
    return transfer_entry(
        key,
        f"Reversal of cost '{cost.description}': {reason}"[:500],
        currency,
        AccountRef(PAID_FROM[cost.paid_from]),
        AccountRef(cost.expense_code),
        cost.amount_cents,
        kinds.EXPENSE_REVERSAL,
    )


def payable_paid_entry(key: str, currency: str, cost: Cost) -> EntryDraft:
    """An accrued cost paid: Dr accounts payable (2000), Cr bank (1000)."""
    if cost.paid_from != "payable":
        raise CostError(N_("This cost was paid from the bank when it was recorded."))
    return transfer_entry(
        key,
        f"Paid: {cost.description}"[:500],
        currency,
        AccountRef(ACCOUNTS_PAYABLE),
        AccountRef(BANK),
        cost.amount_cents,
        kinds.EXPENSE_PAYMENT,
    )


class Totals(Protocol):
    @property
    def debits_cents(self) -> int: ...

    @property
    def credits_cents(self) -> int: ...


def costs_by_code(totals: Mapping[str, Totals]) -> dict[str, int]:
    """Each expense account's costs (debits less credits, i.e. net of reversals) out of the
    period's totals per account code, over every expense account the surplus counts
    (``SURPLUS_EXPENSE_CODES``); accounts with none are left out."""
    costs: dict[str, int] = {}
    for code in SURPLUS_EXPENSE_CODES:
        found = totals.get(code)
        if found is None:
            continue
        net = found.debits_cents - found.credits_cents
        if net:
            costs[code] = net
    return costs
