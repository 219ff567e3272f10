"""The posting rules of money a member owes (marketplace.ledger.debts)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.ledger import debts
from marketplace.ledger.entries import (
    DIVIDENDS_PAYABLE,
    MEMBER_CAPITAL,
    MEMBER_DEBTS_WRITTEN_OFF,
    MEMBER_RECEIVABLES,
    ROYALTIES_PAYABLE,
    AccountRef,
    EntryDraft,
    LedgerError,
)


def sides(draft: EntryDraft) -> list[tuple[str, str, int | None, int]]:
    return [
        (
            "debit" if line.debit_cents else "credit",
            line.account.code,
            line.account.member_id,
            line.debit_cents or line.credit_cents,
        )
        for line in draft.lines
    ]


@pytest.mark.parametrize(
    ("balance", "owed"), [(0, 0), (1, 0), (5_000, 0), (-1, 1), (-5_000, 5_000)]
)
def test_a_member_owes_how_far_their_royalties_payable_went_below_zero(
    balance: int, owed: int
) -> None:
    assert debts.shortfall_cents(balance) == owed


def test_a_shortfall_is_whole_cents() -> None:
    with pytest.raises(LedgerError, match="whole cents"):
        debts.shortfall_cents(1.5)  # type: ignore[arg-type]
    with pytest.raises(LedgerError, match="whole cents"):
        debts.shortfall_cents(True)


@pytest.mark.parametrize(
    ("owed", "payment", "share", "kept"),
    [
        (5_000, 16_000, 10_000, 5_000),  # all of the debt out of a larger payment
        (5_000, 3_000, 10_000, 3_000),  # all of a smaller payment, the rest still owed
        (5_000, 3_001, 5_000, 1_500),  # half of each payment, rounded down for the member
        (1, 1, 5_000, 0),  # half a cent is never charged
        (0, 3_000, 10_000, 0),  # nothing owed
        (-10, 3_000, 10_000, 0),
        (5_000, 0, 10_000, 0),  # nothing paid
        (5_000, 3_000, 0, 0),  # an agreement that allows no offset
    ],
)
def test_an_offset_keeps_the_agreements_share_never_more_than_owed(
    owed: int, payment: int, share: int, kept: int
) -> None:
    assert debts.offset_cents(owed, payment, debts.ROYALTIES, {debts.ROYALTIES: share}) == kept


def test_the_default_agreement_offsets_royalties_dividends_and_redemptions_in_full() -> None:
    for source in (debts.ROYALTIES, debts.DIVIDENDS, debts.REDEMPTIONS):
        assert debts.offset_cents(700, 1_000, source) == 700


def test_an_offset_the_agreement_does_not_name_or_a_share_out_of_range_is_refused() -> None:
    with pytest.raises(LedgerError, match="says nothing of offsetting 'tips'"):
        debts.offset_cents(1, 1, "tips")
    with pytest.raises(LedgerError, match="0 to 10000"):
        debts.offset_cents(1, 1, debts.ROYALTIES, {debts.ROYALTIES: 10_001})
    with pytest.raises(LedgerError, match="whole cents"):
        debts.offset_cents(1, 0.5, debts.ROYALTIES)  # type: ignore[arg-type]


@given(
    owed=st.integers(-(10**6), 10**9),
    payment=st.integers(-(10**6), 10**9),
    share=st.integers(0, 10_000),
)
def test_an_offset_is_never_more_than_owed_nor_than_the_share_of_the_payment(
    owed: int, payment: int, share: int
) -> None:
    kept = debts.offset_cents(owed, payment, debts.DIVIDENDS, {debts.DIVIDENDS: share})
    assert 0 <= kept <= max(owed, 0)
    assert kept * 10_000 <= max(payment, 0) * share


def test_a_clawback_moves_the_shortfall_from_royalties_payable_to_the_receivable() -> None:
    draft = debts.clawback_entry("member_receivable:refund:1:7", "USD", 7, 5_000, "Clawed back")
    assert draft.kind == "member_receivable"
    assert sides(draft) == [
        ("debit", MEMBER_RECEIVABLES, 7, 5_000),
        ("credit", ROYALTIES_PAYABLE, 7, 5_000),
    ]


@pytest.mark.parametrize(
    ("source", "payable"),
    [
        (debts.ROYALTIES, ROYALTIES_PAYABLE),
        (debts.DIVIDENDS, DIVIDENDS_PAYABLE),
        (debts.REDEMPTIONS, MEMBER_CAPITAL),
    ],
)
def test_an_offset_takes_the_kept_part_from_where_the_payment_sat(
    source: str, payable: str
) -> None:
    draft = debts.offset_entry("receivable_offset:x", "USD", 7, source, 300, "Kept")
    assert draft.kind == "receivable_offset"
    assert sides(draft) == [("debit", payable, 7, 300), ("credit", MEMBER_RECEIVABLES, 7, 300)]
    with pytest.raises(LedgerError, match="nothing is paid to members as 'gifts'"):
        debts.offset_entry("k", "USD", 7, "gifts", 300, "Kept")


def test_a_write_off_is_an_expense_of_the_coop() -> None:
    draft = debts.write_off_entry("receivable_write_off:7:1", "USD", 7, 2_000, "Gone")
    assert draft.kind == "receivable_write_off"
    assert sides(draft) == [
        ("debit", MEMBER_DEBTS_WRITTEN_OFF, None, 2_000),
        ("credit", MEMBER_RECEIVABLES, 7, 2_000),
    ]


@pytest.mark.parametrize("cents", [0, -1, True, 2.5])
def test_a_debt_moves_a_positive_number_of_cents(cents: int) -> None:
    with pytest.raises(LedgerError):
        debts.clawback_entry("k", "USD", 7, cents, "x")


def test_the_receivable_is_kept_per_member() -> None:
    with pytest.raises(LedgerError, match="kept per member"):
        AccountRef(MEMBER_RECEIVABLES)
