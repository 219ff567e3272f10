"""Prices per currency and the buyer's default currency (``marketplace.currencies.core``)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from marketplace.currencies import core

ON_SALE = ("USD", "EUR", "GBP", "CAD")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("fr", "EUR"),
        ("fr-FR", "EUR"),
        ("fr_CA", "CAD"),
        ("fr-ca", "CAD"),
        ("en-GB", "GBP"),
        ("en_CA", "CAD"),
        ("en", "USD"),
        ("en-US", "USD"),
        ("ja", "USD"),
        (None, "USD"),
        ("", "USD"),
    ],
)
def test_a_language_picks_its_regions_currency_else_the_settlement_one(
    locale: str | None, expected: str
) -> None:
    assert core.currency_for_locale(locale, ON_SALE, "USD") == expected


def test_a_regions_currency_not_on_sale_falls_back_to_the_settlement_one() -> None:
    assert core.currency_for_locale("en-GB", ("USD", "EUR"), "USD") == "USD"
    assert core.currency_for_locale("fr", ("USD",), "USD") == "USD"


def test_a_choice_counts_only_when_on_sale() -> None:
    assert core.chosen_currency("eur", ON_SALE) == "EUR"
    assert core.chosen_currency("CHF", ON_SALE) is None
    assert core.chosen_currency(None, ON_SALE) is None


def _table(**overrides: int) -> core.PriceTable:
    sizes, surcharges = core.DEFAULT_TABLES["EUR"]
    return core.checked_table(
        "eur",
        {**sizes, **{k: v for k, v in overrides.items() if k in sizes}},
        {**surcharges, **{k: v for k, v in overrides.items() if k in surcharges}},
    )


def test_every_seeded_table_is_complete_and_valid() -> None:
    for code, (sizes, surcharges) in core.DEFAULT_TABLES.items():
        table = core.checked_table(code, sizes, surcharges)
        assert table.complete()
        assert table.currency == code


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"S": 0}, "S"),
        ({"M": -1}, "M"),
        ({"XL": core.MAX_PRICE_CENTS + 1}, "XL"),
        ({"extended": -5}, "extended"),
    ],
)
def test_a_table_refuses_prices_out_of_range(overrides: dict[str, int], field: str) -> None:
    with pytest.raises(core.PriceTableError) as raised:
        _table(**overrides)
    assert raised.value.field == field


def test_a_table_refuses_a_missing_or_fractional_price() -> None:
    sizes, surcharges = core.DEFAULT_TABLES["GBP"]
    with pytest.raises(core.PriceTableError, match="^4K: a price in whole minor units.$"):
        core.checked_table("GBP", {k: v for k, v in sizes.items() if k != "4K"}, surcharges)
    with pytest.raises(core.PriceTableError, match="^S: a price in whole minor units.$"):
        core.checked_table("GBP", {**sizes, "S": 12.5}, surcharges)
    with pytest.raises(core.PriceTableError, match="not a currency code"):
        core.checked_table("EURO", sizes, surcharges)


def test_a_standard_licence_may_cost_nothing_extra_but_a_size_never_nothing() -> None:
    assert _table(standard=0).surcharges["standard"] == 0


def test_changes_list_only_what_differs() -> None:
    before = _table()
    after = _table(S=1500, extended=9900)
    assert core.changes(before, after) == {"S": (1400, 1500), "extended": (9500, 9900)}
    assert core.changes(before, before) == {}
    assert core.changes(None, before)["S"] == (None, 1400)


@pytest.mark.parametrize(
    ("text", "digits", "cents"),
    [
        ("14", 2, 1400),
        ("14.5", 2, 1450),
        ("14.50", 2, 1450),
        ("1400.05", 2, 140005),
        ("14,50", 2, 1450),
        ("1 400,5", 2, 140050),
        (" 19 ", 2, 1900),
        ("1500", 0, 1500),
        ("12.500", 3, 12500),
        ("0", 2, 0),
    ],
)
def test_an_amount_typed_in_the_major_unit(text: str, digits: int, cents: int) -> None:
    assert core.minor_units_from_text(text, digits, "S") == cents


@pytest.mark.parametrize(
    "text", ["", "abc", "-1", "14.505", "1e3", "14,5.0.1", "1.5", "1,400.50", "1,400,000"]
)
def test_an_amount_that_is_not_one(text: str) -> None:
    digits = 0 if text == "1.5" else 2
    with pytest.raises(core.PriceTableError):
        core.minor_units_from_text(text, digits, "S")


@given(st.integers(min_value=0, max_value=10**9), st.sampled_from([0, 2, 3]))
def test_typing_an_amount_back_gives_the_same_minor_units(cents: int, digits: int) -> None:
    whole, part = divmod(cents, 10**digits)
    text = f"{whole}.{part:0{digits}d}" if digits else str(whole)
    if whole >= 10**9:
        return
    assert core.minor_units_from_text(text, digits, "S") == cents
