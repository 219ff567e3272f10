"""Patronage dividends, the pure core: percentages as basis points, the period's surplus, its
reserve and pool, and the dividend policy's classes."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.dividends import core
from marketplace.dividends.core import DEFAULT_POLICY, ClassPolicy, DividendError, SurplusInputs

# Percentages


@pytest.mark.parametrize(
    ("value", "bps"),
    [(0, 0), (20, 2000), ("12.5", 1250), (12.5, 1250), (Decimal("0.01"), 1), ("100", 10_000)],
)
def test_percentages_are_exact_basis_points(value: core.Percent, bps: int) -> None:
    assert core.percent_bps(value) == bps


@pytest.mark.parametrize("value", [-1, 100.01, "12.345", "abc", "NaN", True, None, "Infinity"])
def test_bad_percentages_are_refused(value: object) -> None:
    with pytest.raises(DividendError):
        core.percent_bps(value)  # type: ignore[arg-type]


# Surplus


def test_surplus_is_revenue_less_refunds_fees_royalties_and_costs() -> None:
    inputs = SurplusInputs(100_000, 5_000, 3_000, 0, 2_000)
    surplus = core.compute_surplus(inputs, 10)
    assert (surplus.surplus_cents, surplus.reserve_cents, surplus.pool_cents) == (
        90_000,
        9_000,
        81_000,
    )
    assert surplus.reason_if_none is None


def test_reserve_is_rounded_down_so_the_odd_cent_goes_to_the_pool() -> None:
    surplus = core.compute_surplus(SurplusInputs(999, 0, 0, 0, 0), "12.5")
    assert surplus.reserve_cents == 124  # 124.875
    assert surplus.pool_cents == 875


def test_a_loss_makes_no_pool_and_says_why() -> None:
    surplus = core.compute_surplus(SurplusInputs(1_000, 500, 100, 0, 1_634), 10)
    assert (surplus.surplus_cents, surplus.reserve_cents, surplus.pool_cents) == (-1_234, 0, 0)
    assert surplus.reason_if_none == (
        "The period made a loss of $12.34: $12.34 is carried forward against later surpluses; "
        "no dividend pool."
    )
    assert surplus.loss_carried_forward_cents == 1_234


def test_a_loss_brought_forward_is_netted_before_the_reserve_and_the_pool() -> None:
    # 10,000 surplus less 4,000 brought forward: 6,000; reserve 10 % 600, pool 5,400.
    surplus = core.compute_surplus(SurplusInputs(10_000, 0, 0, 0, 0), 10, "USD", 4_000)
    assert (surplus.reserve_cents, surplus.pool_cents) == (600, 5_400)
    assert (surplus.loss_brought_forward_cents, surplus.loss_carried_forward_cents) == (4_000, 0)
    assert surplus.reason_if_none is None


def test_a_surplus_smaller_than_the_loss_brought_forward_carries_the_rest() -> None:
    surplus = core.compute_surplus(SurplusInputs(3_000, 0, 0, 0, 0), 10, "USD", 4_000)
    assert (surplus.pool_cents, surplus.loss_carried_forward_cents) == (0, 1_000)
    assert surplus.reason_if_none == (
        "The surplus of $30.00 only reduces the loss of $40.00 brought forward: $10.00 is "
        "carried forward against later surpluses; no dividend pool."
    )
    # Two losses in a row add up.
    again = core.compute_surplus(SurplusInputs(0, 0, 0, 0, 500), 10, "USD", 1_000)
    assert again.loss_carried_forward_cents == 1_500


def test_the_board_may_charge_a_loss_to_reserves_instead() -> None:
    surplus = core.compute_surplus(
        SurplusInputs(1_000, 0, 0, 0, 3_000), 10, "USD", 0, "charge_reserves"
    )
    assert (surplus.loss_carried_forward_cents, surplus.loss_charged_to_reserves_cents) == (
        0,
        2_000,
    )
    assert "charged to reserves" in (surplus.reason_if_none or "")
    with pytest.raises(DividendError, match="loss policy"):
        core.compute_surplus(SurplusInputs(1, 0, 0, 0, 0), 10, "USD", 0, "forget_it")


def test_break_even_and_full_reserve_make_no_pool_with_a_reason() -> None:
    assert "broke even" in (
        core.compute_surplus(SurplusInputs(0, 0, 0, 0, 0), 0).reason_if_none or ""
    )
    full = core.compute_surplus(SurplusInputs(5_000, 0, 0, 0, 0), 100)
    assert (full.reserve_cents, full.pool_cents) == (5_000, 0)
    assert "goes to reserves" in (full.reason_if_none or "")


def test_surplus_inputs_are_non_negative_cents() -> None:
    with pytest.raises(DividendError):
        SurplusInputs(-1, 0, 0, 0, 0)
    with pytest.raises(DividendError):
        SurplusInputs(1.5, 0, 0, 0, 0)  # type: ignore[arg-type]


@given(
    st.integers(0, 10**12),
    st.integers(0, 10**12),
    st.integers(0, 10**9),
    st.integers(0, 10**9),
    st.integers(0, 10_000),
)
def test_reserve_and_pool_make_the_surplus(
    revenue: int, refunds: int, fees: int, costs: int, reserve_bps: int
) -> None:
    surplus = core.compute_surplus(
        SurplusInputs(revenue, refunds, fees, 0, costs), Decimal(reserve_bps) / 100
    )
    if surplus.surplus_cents > 0:
        assert surplus.reserve_cents + surplus.pool_cents == surplus.surplus_cents
        assert surplus.reserve_cents * 10_000 <= surplus.surplus_cents * reserve_bps
        assert (surplus.pool_cents == 0) == (surplus.reason_if_none is not None)
    else:
        assert surplus.pool_cents == surplus.reserve_cents == 0
        assert surplus.reason_if_none


# Policy


def test_default_policy_is_stocksy_uniteds() -> None:
    assert [(c.code, c.share_pct, c.basis) for c in DEFAULT_POLICY] == [
        ("founders", Decimal(5), "equal"),
        ("staff", Decimal(5), "service_years"),
        ("artists", Decimal(90), "patronage"),
    ]


def test_policy_from_data() -> None:
    policy = core.policy_from_data(
        [
            {"code": "artists", "share_pct": "97.5", "basis": "patronage"},
            {"code": "staff", "share_pct": 2.5, "basis": "equal"},
        ]
    )
    assert [c.share_bps for c in policy] == [9_750, 250]


@pytest.mark.parametrize(
    "classes",
    [
        [],
        [ClassPolicy("a", 5_000, "equal"), ClassPolicy("b", 4_000, "equal")],
        [ClassPolicy("a", 5_000, "equal"), ClassPolicy("a", 5_000, "patronage")],
    ],
)
def test_invalid_policies_are_refused(classes: list[ClassPolicy]) -> None:
    with pytest.raises(DividendError):
        core.validate_policy(classes)


@pytest.mark.parametrize(
    ("code", "bps", "basis"), [("", 100, "equal"), ("a", 0, "equal"), ("a", 100, "seniority")]
)
def test_invalid_classes_are_refused(code: str, bps: int, basis: str) -> None:
    with pytest.raises(DividendError):
        ClassPolicy(code, bps, basis)  # type: ignore[arg-type]
