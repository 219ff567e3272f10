"""The entries a royalty payout posts (``payouts.core``): the transfer out of the member's
royalties payable, and what Stripe reverses of it owed to the member again."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.ledger import kinds
from marketplace.ledger.core import (
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
)
from marketplace.payouts import core


def net_by_account(*drafts: EntryDraft) -> Counter[AccountRef]:
    totals: Counter[AccountRef] = Counter()
    for draft in drafts:
        for line in draft.lines:
            totals[line.account] += line.debit_cents - line.credit_cents
    return +totals


def test_a_royalty_payout_moves_the_members_royalties_out_of_stripe_clearing() -> None:
    payout = core.royalty_payout_entry("royalty_payout:5", "USD", 7, 999, "Royalties")
    assert net_by_account(payout) == Counter({AccountRef(ROYALTIES_PAYABLE, 7): 999})
    assert [(line.account, line.credit_cents) for line in payout.lines if line.credit_cents] == [
        (AccountRef(STRIPE_CLEARING), 999)
    ]
    assert payout.kind == kinds.ROYALTY_PAYOUT == "royalty_payout"
    assert payout.validate() is payout


def test_a_reversal_at_stripe_gives_the_member_back_what_was_reversed_since_last_time() -> None:
    first = core.royalty_payout_reversal_entry(12, "USD", 7, 300, 300, "tr_1")
    second = core.royalty_payout_reversal_entry(12, "USD", 7, 200, 500, "tr_1")
    assert first.idempotency_key == "payout-line:12:reversed:300"
    assert second.idempotency_key == "payout-line:12:reversed:500"
    assert first.kind == second.kind == "royalty_payout_reversal"
    assert first.description == "Royalty payout tr_1 reversed at Stripe"
    assert net_by_account(first, second) == Counter({AccountRef(STRIPE_CLEARING): 500})
    payout = core.royalty_payout_entry(core.payout_key(12), "USD", 7, 500, "")
    assert net_by_account(payout, first, second) == Counter()
    assert payout.idempotency_key == "payout-line:12"


@pytest.mark.parametrize("amount", [0, -5, True, 1.5])
def test_payouts_of_nothing_or_of_no_whole_cents_are_refused(amount: int) -> None:
    with pytest.raises(LedgerError):
        core.royalty_payout_entry("k", "USD", 7, amount, "Royalties")
    with pytest.raises(LedgerError):
        core.royalty_payout_reversal_entry(1, "USD", 7, amount, 10, "tr_1")


@given(st.integers(1, 10**12), st.integers(1, 10**6))
def test_a_payout_always_balances(amount: int, member: int) -> None:
    payout = core.royalty_payout_entry("k", "USD", member, amount, "")
    assert sum(line.debit_cents for line in payout.lines) == amount
    assert sum(line.credit_cents for line in payout.lines) == amount
