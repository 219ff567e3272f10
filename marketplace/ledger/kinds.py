"""The kinds of journal entry the books know: one registry, named here and nowhere else.

Pure (no Flask, SQLAlchemy, Celery or stripe). ``ENTRY_KINDS`` is what the CHECK constraint
``ck_journal_entries_kind_known`` (migration 0025) allows in ``journal_entries.kind``, so a kind
added to the books is added here and in a migration that widens the constraint.
"""

from __future__ import annotations

# Licence sales and their reversals (ledger.core).
SALE = "sale"
REFUND = "refund"
CHARGEBACK = "chargeback"
DISPUTE_FEE = "dispute_fee"
# Royalties paid to members by Stripe transfer, and a failed transfer given back (payouts.core).
ROYALTY_PAYOUT = "royalty_payout"
ROYALTY_PAYOUT_REVERSAL = "royalty_payout_reversal"
# Patronage dividends (dividends.postings): a run's approval, its payments, redemptions.
OPERATING_COSTS = "operating_costs"
DIVIDEND_CLOSING = "dividend_closing"
DIVIDEND_RESERVE = "dividend_reserve"
DIVIDEND_ALLOCATION = "dividend_allocation"
DIVIDEND_PAYMENT = "dividend_payment"
DIVIDEND_REDEMPTION = "dividend_redemption"
# An admin's correction, and the reversal that undoes a posted entry line for line.
MANUAL = "manual"
REVERSAL = "reversal"
# Operating costs recorded as they happen (costs.core), their reversal, and paying an accrued
# one; Stripe's payouts of the platform balance to the bank and a failed one coming back
# (payments.bank_payouts_core). Migration 0029 adds them to the CHECK constraint.
EXPENSE = "expense"
EXPENSE_REVERSAL = "expense_reversal"
EXPENSE_PAYMENT = "expense_payment"
BANK_PAYOUT = "bank_payout"
BANK_PAYOUT_RETURN = "bank_payout_return"
# Money a member owes (ledger.debts): a clawed-back royalty moved to member receivables, a
# later payment to the member set against it, and an admin writing it off (migration 0030).
MEMBER_RECEIVABLE = "member_receivable"
RECEIVABLE_OFFSET = "receivable_offset"
RECEIVABLE_WRITE_OFF = "receivable_write_off"

ENTRY_KINDS: tuple[str, ...] = (
    SALE,
    REFUND,
    CHARGEBACK,
    DISPUTE_FEE,
    ROYALTY_PAYOUT,
    ROYALTY_PAYOUT_REVERSAL,
    OPERATING_COSTS,
    DIVIDEND_CLOSING,
    DIVIDEND_RESERVE,
    DIVIDEND_ALLOCATION,
    DIVIDEND_PAYMENT,
    DIVIDEND_REDEMPTION,
    MANUAL,
    REVERSAL,
    MEMBER_RECEIVABLE,
    RECEIVABLE_OFFSET,
    RECEIVABLE_WRITE_OFF,
    EXPENSE,
    EXPENSE_REVERSAL,
    EXPENSE_PAYMENT,
    BANK_PAYOUT,
    BANK_PAYOUT_RETURN,
)

# Entries that take a sale's items back (both shares of each item).
SALE_REVERSAL_KINDS = frozenset({REFUND, CHARGEBACK})
# Entries a dividend run and its payments post; reports of a period's trading leave them out.
DIVIDEND_KINDS: tuple[str, ...] = (
    OPERATING_COSTS,
    DIVIDEND_CLOSING,
    DIVIDEND_RESERVE,
    DIVIDEND_ALLOCATION,
    DIVIDEND_PAYMENT,
    DIVIDEND_REDEMPTION,
)
# Not a kind: the key prefix of a redemption's payment, a ``dividend_payment`` entry.
REDEMPTION_PAYMENT_KEY = "dividend_redemption_payment"


def kind_check_sql(column: str = "kind") -> str:
    """The SQL condition of the CHECK constraint: ``column`` is one of ``ENTRY_KINDS``."""
    return f"{column} IN ({', '.join(repr(kind) for kind in ENTRY_KINDS)})"
