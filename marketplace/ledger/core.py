"""The ledger's pure core: posting rules for sales, refunds and chargebacks, and the trial balance.

No Flask, SQLAlchemy, Celery or stripe here (an import-linter contract holds it): every rule is a
plain function of its inputs, unit-tested and property-tested. The building blocks (money, the
chart of accounts, ``EntryDraft``) come from ``entries.py`` and are re-exported here, so callers
need only ``from marketplace.ledger import core``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marketplace.ledger import kinds
from marketplace.ledger.entries import (
    ACCOUNT_TYPES,
    BANK,
    CHART,
    DEBIT_NORMAL,
    DIVIDENDS_PAYABLE,
    LICENCE_REVENUE,
    MEMBER_CAPITAL,
    OPERATING_COSTS,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    RESERVES,
    RETAINED_SURPLUS,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    AccountSpec,
    AccountType,
    EntryDraft,
    LedgerError,
    Line,
    Money,
    Side,
    UnbalancedEntry,
    UnknownAccount,
    account_spec,
    check_currency,
    collapse,
    credit,
    debit,
    decimal_string,
    format_cents,
    largest_remainder_split,
    line_effect,
    reversal,
    signed_balance,
)

__all__ = [
    "ACCOUNT_TYPES",
    "BANK",
    "CHART",
    "DEBIT_NORMAL",
    "DISPUTE_FEE_CENTS",
    "DIVIDENDS_PAYABLE",
    "KIND_DISPUTE_FEE",
    "LICENCE_REVENUE",
    "MEMBER_CAPITAL",
    "OPERATING_COSTS",
    "PAYMENT_FEES",
    "REFUNDS_AND_CHARGEBACKS",
    "RESERVES",
    "RETAINED_SURPLUS",
    "ROYALTIES_PAYABLE",
    "STRIPE_CLEARING",
    "AccountRef",
    "AccountSpec",
    "AccountTotals",
    "AccountType",
    "EntryDraft",
    "LedgerError",
    "Line",
    "Money",
    "SaleItem",
    "Side",
    "TrialBalance",
    "TrialBalanceRow",
    "UnbalancedEntry",
    "UnknownAccount",
    "account_spec",
    "build_trial_balance",
    "chargeback_entry",
    "check_currency",
    "collapse",
    "credit",
    "debit",
    "decimal_string",
    "dispute_fee_entry",
    "dispute_fee_from_stripe",
    "estimated_fee_cents",
    "format_cents",
    "idempotency_key",
    "largest_remainder_split",
    "line_effect",
    "refund_entry",
    "reversal",
    "royalty_split",
    "sale_entry",
    "signed_balance",
    "transfer_entry",
]

WHOLE_BPS = 10_000


def idempotency_key(kind: str, cause: str | int) -> str:
    """The key of the entry that ``cause`` (a Stripe event, refund or dispute id) posts."""
    if not kind or not str(cause).strip():
        raise LedgerError("an idempotency key needs a kind and the id of its cause")
    return f"{kind}:{cause}"


def royalty_split(price_cents: int, royalty_bps: int) -> tuple[int, int]:
    """(royalty, co-op revenue) of one item's price; they add up to the price exactly.

    Deterministic, so a refund reverses the very cents the sale posted; an odd cent of a 50/50
    split goes to the member.
    """
    if not isinstance(royalty_bps, int) or not 0 <= royalty_bps <= WHOLE_BPS:
        raise LedgerError(f"a royalty rate is 0 to 10000 basis points, not {royalty_bps!r}")
    royalty, revenue = largest_remainder_split(price_cents, [royalty_bps, WHOLE_BPS - royalty_bps])
    return royalty, revenue


def estimated_fee_cents(gross_cents: int, *, rate_bps: int, fixed_cents: int) -> int:
    """Stripe's fee when the balance transaction does not say: the percentage ``rate_bps`` of
    the charge rounded half up (as card processors round) plus ``fixed_cents``, never more than
    the charge itself (a 10-cent order pays 10 cents, not 30); nothing for a zero charge.

    The one fee rule of the books: the rate and the fixed part are the caller's configuration
    (``STRIPE_FEE_BPS``, ``STRIPE_FEE_FIXED_CENTS``), passed in.
    """
    if gross_cents <= 0:
        return 0
    percent = (gross_cents * rate_bps + WHOLE_BPS // 2) // WHOLE_BPS
    return min(gross_cents, percent + fixed_cents)


@dataclass(frozen=True)
class SaleItem:
    """One licensed item of an order: whose work it is, its price and the member's share."""

    item_id: int | str
    member_id: int
    price_cents: int
    royalty_bps: int

    def __post_init__(self) -> None:
        if isinstance(self.price_cents, bool) or not isinstance(self.price_cents, int):
            raise LedgerError(f"prices are whole cents, not {self.price_cents!r}")
        if self.price_cents < 0:
            raise LedgerError("a price cannot be negative")
        if isinstance(self.member_id, bool) or not isinstance(self.member_id, int):
            raise LedgerError(f"an item's member is a member id, not {self.member_id!r}")
        royalty_split(self.price_cents, self.royalty_bps)

    @property
    def royalty_cents(self) -> int:
        return royalty_split(self.price_cents, self.royalty_bps)[0]

    @property
    def revenue_cents(self) -> int:
        return royalty_split(self.price_cents, self.royalty_bps)[1]


def _order_items(order_id: int | None, items: Sequence[SaleItem]) -> list[SaleItem]:
    if not items:
        raise LedgerError("an order entry needs at least one item")
    ids = [item.item_id for item in items]
    if len(set(ids)) != len(ids):
        raise LedgerError(f"order {order_id}: an item is listed twice")
    return list(items)


def _royalty_lines(items: Iterable[SaleItem], *, reverse: bool) -> list[Line]:
    make = debit if reverse else credit
    return [
        make(AccountRef(ROYALTIES_PAYABLE, item.member_id), item.royalty_cents) for item in items
    ]


def sale_entry(
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    fee_cents: int,
    description: str | None = None,
) -> EntryDraft:
    """A paid order: the gross into Stripe clearing, the fee out of it as an expense, each
    item's royalty to its member's royalties payable and the rest to licence revenue."""
    items = _order_items(order_id, items)
    if isinstance(fee_cents, bool) or not isinstance(fee_cents, int) or fee_cents < 0:
        raise LedgerError(f"a fee is a non-negative number of cents, not {fee_cents!r}")
    gross = sum(item.price_cents for item in items)
    clearing = AccountRef(STRIPE_CLEARING)
    lines = [
        debit(clearing, gross),
        debit(AccountRef(PAYMENT_FEES), fee_cents),
        credit(clearing, fee_cents),
        *_royalty_lines(items, reverse=False),
        credit(AccountRef(LICENCE_REVENUE), sum(item.revenue_cents for item in items)),
    ]
    return EntryDraft(
        idempotency_key=idempotency_key,
        description=description or f"Order {order_id} paid",
        currency=currency,
        lines=collapse(lines),
        kind=kinds.SALE,
        order_id=order_id,
    ).validate()


def _reversal_of_items(
    kind: str,
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    extra_fee_cents: int,
    description: str,
) -> EntryDraft:
    items = _order_items(order_id, items)
    if isinstance(extra_fee_cents, bool) or not isinstance(extra_fee_cents, int):
        raise LedgerError("a dispute fee is whole cents")
    if extra_fee_cents < 0:
        raise LedgerError("a dispute fee cannot be negative")
    clearing = AccountRef(STRIPE_CLEARING)
    lines = [
        *_royalty_lines(items, reverse=True),
        debit(AccountRef(REFUNDS_AND_CHARGEBACKS), sum(item.revenue_cents for item in items)),
        credit(clearing, sum(item.price_cents for item in items)),
        debit(AccountRef(PAYMENT_FEES), extra_fee_cents),
        credit(clearing, extra_fee_cents),
    ]
    return EntryDraft(
        idempotency_key=idempotency_key,
        description=description,
        currency=currency,
        lines=collapse(lines),
        kind=kind,
        order_id=order_id,
    ).validate()


def refund_entry(
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    description: str | None = None,
) -> EntryDraft:
    """Refunded items: each royalty taken back from its member (even if already paid out: the
    balance goes negative and later royalties make it up), the co-op's part to refunds and
    chargebacks, the money out of Stripe clearing. Stripe keeps its fee: no fee line."""
    return _reversal_of_items(
        kinds.REFUND,
        idempotency_key,
        order_id,
        currency,
        items,
        0,
        description or f"Order {order_id} refunded",
    )


def chargeback_entry(
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    items: Sequence[SaleItem],
    dispute_fee_cents: int = 0,
    description: str | None = None,
) -> EntryDraft:
    """A lost dispute: the same reversal as a refund, plus Stripe's dispute fee as an expense."""
    return _reversal_of_items(
        kinds.CHARGEBACK,
        idempotency_key,
        order_id,
        currency,
        items,
        dispute_fee_cents,
        description or f"Order {order_id} lost a dispute",
    )


KIND_DISPUTE_FEE = kinds.DISPUTE_FEE
# Stripe's fee for a dispute of a US card payment; the dispute's balance transaction says
# what was actually charged (``dispute_fee_from_stripe``).
DISPUTE_FEE_CENTS = 1_500


def dispute_fee_from_stripe(dispute: Mapping[str, Any]) -> int | None:
    """The fee Stripe charged for a dispute object: the sum of its balance transactions'
    ``fee``; None when the object carries none (an event's dispute without them)."""
    transactions = dispute.get("balance_transactions")
    if not isinstance(transactions, list) or not transactions:
        return None
    fees: list[int] = []
    for transaction in transactions:
        fee = transaction.get("fee") if isinstance(transaction, Mapping) else None
        if isinstance(fee, bool) or not isinstance(fee, int):
            raise LedgerError("a dispute's balance transactions carry their fee in whole cents")
        fees.append(fee)
    return max(sum(fees), 0)


def dispute_fee_entry(
    idempotency_key: str,
    order_id: int | None,
    currency: str,
    fee_cents: int,
    description: str | None = None,
) -> EntryDraft:
    """Stripe's fee for a lost dispute, as its own entry: Dr processing fees (5100), Cr Stripe
    clearing (1100), where Stripe took it from. The items' reversal is the chargeback entry."""
    if isinstance(fee_cents, bool) or not isinstance(fee_cents, int) or fee_cents <= 0:
        raise LedgerError(f"a dispute fee is a positive number of cents, not {fee_cents!r}")
    return transfer_entry(
        idempotency_key,
        description or f"Stripe dispute fee, order {order_id}",
        currency,
        AccountRef(PAYMENT_FEES),
        AccountRef(STRIPE_CLEARING),
        fee_cents,
        KIND_DISPUTE_FEE,
        order_id,
    )


def transfer_entry(
    idempotency_key: str,
    description: str,
    currency: str,
    debit_account: AccountRef,
    credit_account: AccountRef,
    amount_cents: int,
    kind: str,
    order_id: int | None = None,
) -> EntryDraft:
    """A two-line entry, e.g. a royalty payout (Dr royalties payable[member], Cr Stripe
    clearing) or a transfer to reserves (Dr retained surplus, Cr reserves)."""
    return EntryDraft(
        idempotency_key=idempotency_key,
        description=description,
        currency=currency,
        lines=(debit(debit_account, amount_cents), credit(credit_account, amount_cents)),
        kind=kind,
        order_id=order_id,
    ).validate()


@dataclass(frozen=True)
class AccountTotals:
    """What one account has seen in one currency: the sums of its debit and credit lines."""

    account_id: int
    code: str
    name: str
    type: str
    member_id: int | None
    label: str
    debits_cents: int
    credits_cents: int

    @property
    def balance_cents(self) -> int:
        return signed_balance(self.type, self.debits_cents, self.credits_cents)


@dataclass(frozen=True)
class TrialBalanceRow:
    """One chart code; per-member accounts roll up into their code (a control account)."""

    code: str
    name: str
    type: str
    debit_cents: int
    credit_cents: int
    balance_cents: int
    accounts: tuple[AccountTotals, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "type": self.type,
            "balance_cents": self.balance_cents,
            "debit_cents": self.debit_cents,
            "credit_cents": self.credit_cents,
        }


@dataclass(frozen=True)
class TrialBalance:
    currency: str
    rows: tuple[TrialBalanceRow, ...]
    total_debits_cents: int
    total_credits_cents: int

    @property
    def balanced(self) -> bool:
        return self.total_debits_cents == self.total_credits_cents

    def as_json(self) -> dict[str, Any]:
        return {
            "currency": self.currency,
            "accounts": [row.as_json() for row in self.rows],
            "total_debits_cents": self.total_debits_cents,
            "total_credits_cents": self.total_credits_cents,
        }


def build_trial_balance(currency: str, totals: Iterable[AccountTotals]) -> TrialBalance:
    """Each code's net balance in the debit or the credit column. The columns agree whenever
    every entry balanced, which the ledger guarantees."""
    by_code: dict[str, list[AccountTotals]] = {}
    for account in totals:
        by_code.setdefault(account.code, []).append(account)
    rows = []
    for code in sorted(by_code):
        accounts = sorted(by_code[code], key=lambda a: (a.member_id or 0, a.account_id))
        first = accounts[0]
        spec = CHART.get(code)
        debits = sum(a.debits_cents for a in accounts)
        credits = sum(a.credits_cents for a in accounts)
        net = debits - credits
        rows.append(
            TrialBalanceRow(
                code=code,
                name=spec.name if spec else first.name,
                type=first.type,
                debit_cents=max(net, 0),
                credit_cents=max(-net, 0),
                balance_cents=signed_balance(first.type, debits, credits),
                accounts=tuple(accounts),
            )
        )
    return TrialBalance(
        currency=currency,
        rows=tuple(rows),
        total_debits_cents=sum(row.debit_cents for row in rows),
        total_credits_cents=sum(row.credit_cents for row in rows),
    )
