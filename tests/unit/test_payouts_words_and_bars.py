"""What a member reads on the payouts page, from ``payouts.core``: Stripe's requirements in
plain words, and the bars of royalties per month (mutation testing found these untested)."""

from __future__ import annotations

from datetime import date

from marketplace.payouts.core import MonthBar, describe_requirements, month_start, monthly_bars


def test_requirements_are_described_once_each_in_stripes_order() -> None:
    codes = [
        "individual.first_name",
        "external_account",
        "individual.last_name",
        "individual.verification.document",
        "settings.payments_statement_descriptor",
    ]
    assert describe_requirements(codes) == [
        "your legal name",
        "a bank account to receive your payouts",
        "an identity document",
        "settings: payments statement descriptor",
    ]
    assert describe_requirements([]) == []


def test_the_first_matching_prefix_wins() -> None:
    assert describe_requirements(["individual.dob.day", "company.tax_id"]) == [
        "your date of birth",
        "your company's details",
    ]


def test_month_start_goes_back_across_years() -> None:
    assert month_start(date(2026, 3, 17)) == date(2026, 3, 1)
    assert month_start(date(2026, 3, 17), back=3) == date(2025, 12, 1)
    assert month_start(date(2026, 1, 31), back=13) == date(2024, 12, 1)
    assert month_start(date(2026, 12, 5), back=11) == date(2026, 1, 1)


def test_monthly_bars_sum_each_month_and_scale_to_the_highest() -> None:
    amounts = [
        (date(2026, 3, 2), 3000),
        (date(2026, 3, 30), 1000),
        (date(2026, 2, 14), 1000),
        (date(2026, 1, 1), -500),
        (date(2025, 12, 31), 9999),  # before the window
        (date(2026, 4, 1), 9999),  # after it
    ]
    bars = monthly_bars(date(2026, 3, 20), amounts, months=3)
    assert bars == [
        MonthBar(date(2026, 1, 1), -500, 0),
        MonthBar(date(2026, 2, 1), 1000, 25),
        MonthBar(date(2026, 3, 1), 4000, 100),
    ]
    assert [bar.label for bar in bars] == ["Jan 2026", "Feb 2026", "Mar 2026"]


def test_a_year_of_nothing_is_twelve_empty_bars() -> None:
    bars = monthly_bars(date(2026, 3, 20), [])
    assert len(bars) == 12
    assert bars[0].month == date(2025, 4, 1)
    assert bars[-1].month == date(2026, 3, 1)
    assert {(bar.cents, bar.percent) for bar in bars} == {(0, 0)}
    assert monthly_bars(date(2026, 3, 20), [(date(2026, 3, 1), 1)], months=1) == [
        MonthBar(date(2026, 3, 1), 1, 100)
    ]


def test_a_bars_width_is_a_whole_percent_rounded_down() -> None:
    amounts = [(date(2026, 2, 1), 1000), (date(2026, 3, 1), 3000)]
    bars = monthly_bars(date(2026, 3, 20), amounts, months=2)
    assert [bar.percent for bar in bars] == [33, 100]
    assert all(type(bar.percent) is int for bar in bars)
