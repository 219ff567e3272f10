"""Money a member owes the co-op: the posting rules (pure).

A refund or a lost dispute takes each item's royalty back from its member's royalties payable
(2100). When that royalty was already paid out, the account would go below zero: a negative
liability hides what is really an asset, a debt of the member's. ``clawback_entry`` moves the
shortfall to the member's receivable (1300) so that 2100 never shows less than 0.

Later money the co-op owes the member (royalties, dividend cash, a redemption) is set against
that debt as the member agreement allows (``OFFSET_SHARE_BPS``, data): ``offset_cents`` says how
much, ``offset_entry`` books it (Dr the payable the money sat in, Cr 1300). An admin may give
up what cannot be recovered with a reason (``write_off_entry``: Dr 5300, Cr 1300).

No Flask, SQLAlchemy, Celery or stripe here.
"""

from __future__ import annotations

from marketplace.ledger import kinds
from marketplace.ledger.entries import (
    DIVIDENDS_PAYABLE,
    MEMBER_CAPITAL,
    MEMBER_DEBTS_WRITTEN_OFF,
    MEMBER_RECEIVABLES,
    ROYALTIES_PAYABLE,
    AccountRef,
    EntryDraft,
    LedgerError,
    credit,
    debit,
)

WHOLE_BPS = 10_000
ROYALTIES = "royalties"
DIVIDENDS = "dividends"
REDEMPTIONS = "redemptions"
# The member agreement (section "Money you owe the co-op"): what share of each later payment
# the co-op may keep against a debt, per kind of payment. A co-op whose agreement allows less
# (e.g. half of each royalty payout) changes the figures here and in its agreement together.
OFFSET_SHARE_BPS: dict[str, int] = {
    ROYALTIES: WHOLE_BPS,
    DIVIDENDS: WHOLE_BPS,
    REDEMPTIONS: WHOLE_BPS,
}
# Where each kind of payment sits before it is paid: the offset is taken from there.
PAYABLE_OF: dict[str, str] = {
    ROYALTIES: ROYALTIES_PAYABLE,
    DIVIDENDS: DIVIDENDS_PAYABLE,
    REDEMPTIONS: MEMBER_CAPITAL,
}


def _cents(value: int, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LedgerError(f"{what} is whole cents, not {value!r}")
    return value


def shortfall_cents(royalties_payable_cents: int) -> int:
    """What a member owes after a clawback: how far their royalties payable went below 0."""
    return max(-_cents(royalties_payable_cents, "a royalties payable balance"), 0)


def offset_cents(
    owed_cents: int, payment_cents: int, source: str, shares: dict[str, int] | None = None
) -> int:
    """How much of a payment of ``payment_cents`` (of kind ``source``) is kept against a debt
    of ``owed_cents``: the agreement's share of the payment, rounded down (the member is never
    charged a part-cent), never more than is owed; 0 when nothing is owed or nothing is paid."""
    shares = OFFSET_SHARE_BPS if shares is None else shares
    if source not in shares:
        raise LedgerError(f"the member agreement says nothing of offsetting {source!r}")
    share = shares[source]
    if isinstance(share, bool) or not isinstance(share, int) or not 0 <= share <= WHOLE_BPS:
        raise LedgerError(f"an offset share is 0 to 10000 basis points, not {share!r}")
    owed = _cents(owed_cents, "a debt")
    payment = _cents(payment_cents, "a payment")
    if owed <= 0 or payment <= 0:
        return 0
    return min(owed, payment * share // WHOLE_BPS)


def _draft(
    key: str, description: str, currency: str, lines: tuple[AccountRef, AccountRef], cents: int,
    kind: str,
) -> EntryDraft:  # fmt: skip
    if _cents(cents, "an amount") <= 0:
        raise LedgerError(f"a member's debt moves a positive number of cents, not {cents!r}")
    return EntryDraft(
        idempotency_key=key,
        description=description,
        currency=currency,
        lines=(debit(lines[0], cents), credit(lines[1], cents)),
        kind=kind,
    ).validate()


def clawback_entry(
    key: str, currency: str, member_id: int, amount_cents: int, description: str
) -> EntryDraft:
    """Dr member receivables[member] (1300), Cr royalties payable[member] (2100): a royalty
    clawed back after it was paid out becomes a debt of the member (kind
    ``member_receivable``), and 2100 comes back to 0."""
    return _draft(
        key,
        description,
        currency,
        (AccountRef(MEMBER_RECEIVABLES, member_id), AccountRef(ROYALTIES_PAYABLE, member_id)),
        amount_cents,
        kinds.MEMBER_RECEIVABLE,
    )


def offset_entry(
    key: str, currency: str, member_id: int, source: str, amount_cents: int, description: str
) -> EntryDraft:
    """Dr the payable of ``source`` [member] (2100 royalties, 2200 dividends, 3100 capital for
    a redemption), Cr member receivables[member] (1300): part of a payment kept against the
    member's debt instead of paid (kind ``receivable_offset``)."""
    if source not in PAYABLE_OF:
        raise LedgerError(f"nothing is paid to members as {source!r}")
    return _draft(
        key,
        description,
        currency,
        (AccountRef(PAYABLE_OF[source], member_id), AccountRef(MEMBER_RECEIVABLES, member_id)),
        amount_cents,
        kinds.RECEIVABLE_OFFSET,
    )


def write_off_entry(
    key: str, currency: str, member_id: int, amount_cents: int, description: str
) -> EntryDraft:
    """Dr member debts written off (5300), Cr member receivables[member] (1300): the co-op
    gives up a debt it cannot recover (kind ``receivable_write_off``)."""
    return _draft(
        key,
        description,
        currency,
        (AccountRef(MEMBER_DEBTS_WRITTEN_OFF), AccountRef(MEMBER_RECEIVABLES, member_id)),
        amount_cents,
        kinds.RECEIVABLE_WRITE_OFF,
    )
