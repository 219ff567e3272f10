"""Form 1099-PATR as the law counts it: only patronage dividends in box 1, cash when paid,
retained parts only as qualified notices (consent, on time), nonqualified redemptions in box 5."""

from __future__ import annotations

from marketplace.dividends import core
from marketplace.dividends.core import MemberDividend


def _dividend(
    basis: core.Basis,
    allocation: int,
    cash: int,
    *,
    cash_paid: bool = True,
    qualified: bool = True,
) -> MemberDividend:
    return MemberDividend(
        7, 1, "x", 0, allocation, cash, allocation - cash, basis, cash_paid, qualified
    )


def test_box_1_counts_patronage_dividends_only() -> None:
    figures = core.form_1099_patr(
        7,
        2026,
        [
            _dividend("patronage", 10_000, 2_000),
            _dividend("equal", 5_000, 1_000),
            _dividend("service_years", 3_000, 600),
        ],
    )
    assert figures.box1_patronage_dividends_cents == 10_000
    assert (figures.cash_cents, figures.qualified_notice_cents) == (2_000, 8_000)
    assert figures.non_patronage_cents == 8_000


def test_without_consent_the_retained_part_is_a_nonqualified_notice_outside_box_1() -> None:
    figures = core.form_1099_patr(7, 2026, [_dividend("patronage", 10_000, 2_000, qualified=False)])
    assert figures.box1_patronage_dividends_cents == 2_000
    assert figures.nonqualified_notice_cents == 8_000


def test_held_cash_is_not_paid_and_its_notice_waits_with_it() -> None:
    figures = core.form_1099_patr(7, 2026, [_dividend("patronage", 10_000, 2_000, cash_paid=False)])
    assert figures.box1_patronage_dividends_cents == 0
    assert (figures.held_cash_cents, figures.held_notice_cents) == (2_000, 8_000)
    assert not figures.required


def test_redeeming_a_nonqualified_notice_goes_in_box_5_and_can_make_the_form_due() -> None:
    figures = core.form_1099_patr(7, 2026, [], nonqualified_redemptions_cents=1_500)
    assert figures.box1_patronage_dividends_cents == 0
    assert figures.box5_nonqualified_redemptions_cents == 1_500
    assert figures.required
