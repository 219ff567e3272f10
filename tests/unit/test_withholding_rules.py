"""The withholding rules (taxes.withholding) and the entries that post what is withheld."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.config import ConfigError, load_config
from marketplace.dividends import postings
from marketplace.ledger import kinds
from marketplace.ledger.core import (
    DIVIDENDS_PAYABLE,
    ROYALTIES_PAYABLE,
    STRIPE_CLEARING,
    AccountRef,
    EntryDraft,
    LedgerError,
)
from marketplace.ledger.entries import WITHHOLDING_PAYABLE
from marketplace.payouts import core as payouts_core
from marketplace.taxes.withholding import (
    MAX_CONFIGURED_BPS,
    TREATY_RATES,
    FormOnFile,
    Rates,
    rate_for,
    w8ben_expires_on,
    withheld_cents,
    withheld_payment_entry,
    withholding_returned,
)

TODAY = date(2026, 12, 6)
SIGNED = date(2025, 3, 1)


def w8(country: str, treaty: str | None = None, bps: int | None = None, **kw: object) -> FormOnFile:
    fields: dict[str, object] = {"signed_on": SIGNED, "certified": True} | kw
    return FormOnFile("w8ben", country, treaty_country=treaty, treaty_rate_bps=bps, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("form", "rate", "reason"),
    [
        (None, 2_400, "no_form"),
        (FormOnFile("w9", "US", tin_valid=True), 0, "valid_tin"),
        (FormOnFile("w9", "US", tin_valid=False), 2_400, "no_valid_tin"),
        # An IRS B notice: backup withholding however valid the TIN's format.
        (FormOnFile("w9", "US", tin_valid=True, b_notice=True), 2_400, "b_notice"),
        (FormOnFile("w9", "US", tin_valid=False, b_notice=True), 2_400, "b_notice"),
        (w8("FR", "FR", 0), 0, "treaty"),
        (w8("IN", "IN", 1_500), 1_500, "treaty"),
        (w8("MX", "MX", 1_000), 1_000, "treaty"),
        (w8("AU", "AU", 2_000), 2_000, "treaty"),  # a claim above the treaty's rate stands
        (w8("IN", "IN", 1_000), 3_000, "w8ben_invalid"),  # below the treaty's rate
        (w8("FR", "DE", 0), 3_000, "w8ben_invalid"),  # not the country of residence
        (w8("BR", "BR", 1_500), 3_000, "w8ben_invalid"),  # no treaty the table knows
        (w8("BR"), 3_000, "no_treaty_claim"),
        (w8("FR", "FR", 0, certified=False), 3_000, "w8ben_invalid"),
        (w8("FR", "FR", 0, signed_on=None), 3_000, "w8ben_invalid"),
        (w8("FR", "FR", 0, signed_on=date(2022, 12, 31)), 3_000, "w8ben_invalid"),  # expired
        (w8("FR", "FR", 0, signed_on=date(2023, 1, 1)), 0, "treaty"),  # valid to 2026-12-31
    ],
)
def test_the_rate_follows_the_form_on_file(form: FormOnFile | None, rate: int, reason: str) -> None:
    decided = rate_for(form, TODAY)
    assert (decided.rate_bps, decided.reason) == (rate, reason)
    assert decided.words


def test_the_configured_rates_replace_the_statutory_ones() -> None:
    rates = Rates(backup_bps=2_800, nonresident_bps=2_500)
    assert rate_for(None, TODAY, rates).rate_bps == 2_800
    assert rate_for(w8("BR"), TODAY, rates).rate_bps == 2_500
    # A treaty rate above the configured statutory one is capped by it.
    assert rate_for(w8("AU", "AU", 3_000), TODAY, rates).rate_bps == 2_500
    with pytest.raises(ValueError, match="basis points"):
        Rates(backup_bps=10_001)
    with pytest.raises(ValueError, match="whole basis points"):
        Rates(backup_bps=24.0)  # type: ignore[arg-type]


def test_treaty_table_holds_real_rates_in_basis_points() -> None:
    assert TREATY_RATES["IN"].rate_bps == 1_500
    assert TREATY_RATES["GB"].rate_bps == 0
    assert all(0 <= t.rate_bps < 3_000 and t.article for t in TREATY_RATES.values())


def test_a_w8ben_is_valid_to_the_end_of_the_third_year_after_signing() -> None:
    assert w8ben_expires_on(date(2025, 3, 1)) == date(2028, 12, 31)
    assert w8ben_expires_on(date(2024, 12, 31)) == date(2027, 12, 31)


@pytest.mark.parametrize(
    ("gross", "rate", "withheld"),
    [
        (10_000, 2_400, 2_400),
        (10_001, 2_400, 2_400),  # 2400.24 -> 2400
        (10_003, 2_400, 2_401),  # 2400.72 -> 2401
        (5, 3_000, 2),  # 1.5 rounds half up
        (15, 1_000, 2),  # 1.5 rounds half up
        (14, 1_000, 1),
        (0, 2_400, 0),
        (12_345, 0, 0),
    ],
)
def test_withheld_cents_round_half_up(gross: int, rate: int, withheld: int) -> None:
    assert withheld_cents(gross, rate) == withheld


def test_withheld_cents_refuses_what_is_not_cents() -> None:
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="cents"):
            withheld_cents(bad, 2_400)  # type: ignore[arg-type]


@given(st.integers(1, 10**12), st.integers(0, 9_999))
def test_withheld_never_exceeds_the_gross_and_the_entry_balances(gross: int, rate: int) -> None:
    withheld = withheld_cents(gross, rate)
    assert 0 <= withheld <= gross
    assert abs(withheld * 10_000 - gross * rate) <= 5_000
    if withheld < gross:
        entry = withheld_payment_entry(
            "k", "d", "USD", AccountRef(ROYALTIES_PAYABLE, 7), gross, withheld, kinds.ROYALTY_PAYOUT
        )
        debits = sum(line.amount_cents for line in entry.lines if line.side == "debit")
        credits = sum(line.amount_cents for line in entry.lines if line.side == "credit")
        assert debits == credits == gross


def lines_of(entry: EntryDraft) -> set[tuple[str, str, int | None, int]]:
    return {(ln.side, ln.account.code, ln.account.member_id, ln.amount_cents) for ln in entry.lines}


def test_a_royalty_payout_posts_gross_net_and_withheld() -> None:
    entry = payouts_core.royalty_payout_entry("payout-line:1", "USD", 7, 10_000, "p", 2_400)
    assert entry.kind == kinds.ROYALTY_PAYOUT
    assert lines_of(entry) == {
        ("debit", ROYALTIES_PAYABLE, 7, 10_000),
        ("credit", STRIPE_CLEARING, None, 7_600),
        ("credit", WITHHOLDING_PAYABLE, 7, 2_400),
    }
    # Without withholding: the two lines it always had.
    plain = payouts_core.royalty_payout_entry("payout-line:2", "USD", 7, 10_000, "p")
    assert lines_of(plain) == {
        ("debit", ROYALTIES_PAYABLE, 7, 10_000),
        ("credit", STRIPE_CLEARING, None, 10_000),
    }


def test_a_dividend_payment_posts_gross_net_and_withheld() -> None:
    entry = postings.dividend_payment_entry("dividend_payment:3", "USD", 9, 5_000, "d", 1_500)
    assert entry.kind == kinds.DIVIDEND_PAYMENT
    assert lines_of(entry) == {
        ("debit", DIVIDENDS_PAYABLE, 9, 5_000),
        ("credit", STRIPE_CLEARING, None, 3_500),
        ("credit", WITHHOLDING_PAYABLE, 9, 1_500),
    }


def test_the_withholding_entry_refuses_impossible_amounts() -> None:
    payable = AccountRef(ROYALTIES_PAYABLE, 7)
    with pytest.raises(LedgerError, match="less than the payment"):
        withheld_payment_entry("k", "d", "USD", payable, 100, 100, kinds.ROYALTY_PAYOUT)
    with pytest.raises(LedgerError, match="less than the payment"):
        withheld_payment_entry("k", "d", "USD", payable, 100, -1, kinds.ROYALTY_PAYOUT)
    with pytest.raises(LedgerError, match="positive"):
        withheld_payment_entry("k", "d", "USD", payable, 0, 0, kinds.ROYALTY_PAYOUT)
    with pytest.raises(LedgerError, match="not 'sale'"):
        withheld_payment_entry("k", "d", "USD", payable, 100, 10, kinds.SALE)


def test_a_reversed_payout_gives_the_withheld_share_back_once_in_all() -> None:
    # 10,000 gross, 2,400 withheld, 7,600 transferred; Stripe reverses 3,800 then the rest.
    first = payouts_core.royalty_payout_reversal_entry(
        1, "USD", 7, 3_800, 3_800, "tr_1", 2_400, 7_600
    )
    second = payouts_core.royalty_payout_reversal_entry(
        1, "USD", 7, 3_800, 7_600, "tr_1", 2_400, 7_600
    )
    assert lines_of(first) == {
        ("debit", STRIPE_CLEARING, None, 3_800),
        ("debit", WITHHOLDING_PAYABLE, 7, 1_200),
        ("credit", ROYALTIES_PAYABLE, 7, 5_000),
    }
    returned = [
        ln.amount_cents
        for e in (first, second)
        for ln in e.lines
        if ln.account.code == WITHHOLDING_PAYABLE
    ]
    assert sum(returned) == 2_400
    owed_again = [ln.amount_cents for e in (first, second) for ln in e.lines if ln.side == "credit"]
    assert sum(owed_again) == 10_000
    assert withholding_returned(2_400, 7_600, 7_600) == 2_400
    assert withholding_returned(2_400, 7_600, 1) == 0
    with pytest.raises(LedgerError):
        withholding_returned(2_400, 7_600, 7_601)


def test_a_configured_rate_is_under_half_so_the_member_is_always_paid_part() -> None:
    assert Rates(backup_bps=MAX_CONFIGURED_BPS, nonresident_bps=0).backup_bps == 4_999
    for too_high in (5_000, 9_999, 10_000):
        with pytest.raises(ValueError, match="0 to 4999 basis points"):
            Rates(backup_bps=too_high)
        with pytest.raises(ValueError, match="0 to 4999 basis points"):
            Rates(nonresident_bps=too_high)
    # At half, a 1-cent payment would be all tax, which the entry refuses.
    assert withheld_cents(1, 5_000) == 1
    with pytest.raises(LedgerError):
        withheld_payment_entry(
            "k", "d", "USD", AccountRef(ROYALTIES_PAYABLE, 7), 1, 1, kinds.ROYALTY_PAYOUT
        )


@given(st.integers(1, 10**12), st.integers(0, MAX_CONFIGURED_BPS))
def test_at_any_configurable_rate_a_payment_posts(gross: int, rate: int) -> None:
    withheld = withheld_cents(gross, rate)
    assert withheld < gross
    entry = withheld_payment_entry(
        "k", "d", "USD", AccountRef(ROYALTIES_PAYABLE, 7), gross, withheld, kinds.ROYALTY_PAYOUT
    )
    assert sum(line.amount_cents for line in entry.lines if line.side == "credit") == gross


@pytest.mark.parametrize(
    "name", ["MARKETPLACE_BACKUP_WITHHOLDING_BPS", "MARKETPLACE_NONRESIDENT_WITHHOLDING_BPS"]
)
def test_the_settings_refuse_a_rate_of_half_or_more_at_start_up(
    name: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MARKETPLACE_ENV", "test")
    for bad in ("10000", "5000", "-1"):
        monkeypatch.setenv(name, bad)
        with pytest.raises(
            ConfigError, match=f"{name}: a configured withholding rate is 0 to 4999"
        ):
            load_config(tmp_path)
    monkeypatch.setenv(name, "4999")
    setting = name.removeprefix("MARKETPLACE_")
    assert load_config(tmp_path)[setting] == 4_999
