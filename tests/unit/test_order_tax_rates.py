"""The tax rates as the order's JSON gives them: Stripe's percentage_decimal read exactly into
thousandths of a percent, and back out as basis points (one decimal at most) and a percent."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.orders.taxing import TaxSummary, rate_pcm
from marketplace.taxes.rules import RATES, percentage_decimal


def _summary(pcm: int) -> TaxSummary:
    return TaxSummary("CA-QC", "qst", pcm, 10_000, 998, False)


@pytest.mark.parametrize(
    ("text", "pcm"), [("9.975", 9_975), ("20.0", 20_000), ("6.625", 6_625), ("0.0", 0)]
)
def test_stripe_s_percentages_read_exactly(text: str, pcm: int) -> None:
    assert rate_pcm(text) == pcm


def test_a_rate_finer_than_a_thousandth_of_a_percent_is_rounded_not_refused() -> None:
    # Local taxes folded together can be finer: shown rounded (the amounts are Stripe's).
    assert rate_pcm("9.9755") == 9_976
    assert rate_pcm("9.97549") == 9_975


def test_quebec_is_997_5_basis_points_and_9_975_percent() -> None:
    assert (_summary(9_975).rate_bps, _summary(9_975).rate_percent) == (997.5, "9.975")
    assert (_summary(13_000).rate_bps, _summary(13_000).rate_percent) == (1300, "13")
    assert isinstance(_summary(13_000).rate_bps, int)
    assert (_summary(0).rate_bps, _summary(0).rate_percent) == (0, "0")


def test_every_rate_of_the_table_goes_there_and_back() -> None:
    for taxes in RATES.values():
        for tax in taxes:
            assert rate_pcm(percentage_decimal(tax.rate_pcm)) == tax.rate_pcm
            assert _summary(tax.rate_pcm).rate_bps * 10 == tax.rate_pcm


@given(st.integers(0, 100_000))
def test_any_rate_in_thousandths_round_trips(pcm: int) -> None:
    assert rate_pcm(percentage_decimal(pcm)) == pcm
    assert rate_pcm(_summary(pcm).rate_percent) == pcm
