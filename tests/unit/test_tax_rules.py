"""The tax rules as data (marketplace/taxes/rules.py): exact cents per place, reverse charge,
rounding half up per tax, and the invariants that hold for any amount."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.de import vat as de_vat

from marketplace.taxes.rules import (
    EU_VAT_PCM,
    RATE_SCALE,
    RATES,
    percentage_decimal,
    rates_for,
    round_half_up,
    tax_for,
    valid_eu_vat_number,
    vat_number_country,
)


def german_vat_number(serial: str) -> str:
    """A German VAT number from eight digits and the check digit ISO 7064 MOD 11,10 gives."""
    product = 10
    for digit in serial:
        total = (int(digit) + product) % 10 or 10
        product = (2 * total) % 11
    check = (11 - product) % 10
    number = f"DE{serial}{check}"
    assert de_vat.is_valid(number[2:])
    return number


GERMAN_BUSINESS = german_vat_number("13669597")


def test_french_consumer_pays_20_percent_on_top() -> None:
    tax = tax_for("FR", None, 1_499)
    assert (tax.net_cents, tax.tax_cents, tax.total_cents) == (1_499, 300, 1_799)
    (line,) = tax.lines
    assert (line.jurisdiction, line.rate_pcm, line.amount_cents) == ("FR", 20_000, 300)
    assert (line.taxability_reason, line.reverse_charge) == ("standard_rated", False)


def test_french_consumer_price_including_20_percent() -> None:
    tax = tax_for("fr", None, 1_799, behavior="inclusive")
    # 1799 / 1.2 = 1499.1666…: the tax is 299.8333… -> 300, the rest is the net.
    assert (tax.net_cents, tax.tax_cents, tax.total_cents) == (1_499, 300, 1_799)
    assert tax.lines[0].taxable_amount_cents == 1_499


def test_german_business_with_a_valid_vat_number_is_reverse_charged() -> None:
    assert GERMAN_BUSINESS == "DE136695976"
    tax = tax_for("DE", None, 5_000, business_vat="de 136 695 976")
    assert (tax.net_cents, tax.tax_cents, tax.total_cents) == (5_000, 0, 5_000)
    assert tax.reverse_charge
    (line,) = tax.lines
    assert (line.jurisdiction, line.rate_pcm, line.taxability_reason) == ("DE", 0, "reverse_charge")


def test_a_wrong_check_digit_is_taxed_as_a_consumer() -> None:
    wrong = GERMAN_BUSINESS[:-1] + str((int(GERMAN_BUSINESS[-1]) + 1) % 10)
    assert valid_eu_vat_number(wrong) is None
    tax = tax_for("DE", None, 5_000, business_vat=wrong)
    assert (tax.tax_cents, tax.reverse_charge) == (950, False)


def test_a_business_in_the_sellers_own_member_state_pays_vat() -> None:
    tax = tax_for("DE", None, 5_000, business_vat=GERMAN_BUSINESS, seller_country="DE")
    assert (tax.tax_cents, tax.reverse_charge) == (950, False)


def test_a_business_outside_the_eu_is_not_reverse_charged_by_an_eu_number() -> None:
    assert tax_for("GB", None, 1_000, business_vat=GERMAN_BUSINESS).tax_cents == 200


def test_ontario_hst_13_percent() -> None:
    tax = tax_for("CA", "ON", 2_500)
    (line,) = tax.lines
    assert (line.jurisdiction, line.rate.tax_type if line.rate else None) == ("CA-ON", "hst")
    assert (tax.tax_cents, tax.total_cents) == (325, 2_825)


def test_quebec_gst_and_qst_each_rounded_half_up() -> None:
    tax = tax_for("CA", "QC", 10_000)
    gst, qst = tax.lines
    assert (gst.jurisdiction, gst.rate_pcm, gst.amount_cents) == ("CA", 5_000, 500)
    # 9.975 % of 100.00 is 9.975: the half cent rounds up.
    assert (qst.jurisdiction, qst.rate_pcm, qst.amount_cents) == ("CA-QC", 9_975, 998)
    assert (tax.tax_cents, tax.total_cents) == (1_498, 11_498)


def test_quebec_inclusive_splits_the_price_exactly() -> None:
    tax = tax_for("CA", "QC", 11_498, behavior="inclusive")
    # 114.98 / 1.14975 = 100.0043…: GST 5.0002… -> 5.00, QST 9.9754… -> 9.98.
    assert [line.amount_cents for line in tax.lines] == [500, 998]
    assert (tax.net_cents, tax.tax_cents) == (10_000, 1_498)


def test_other_provinces_pay_gst_only() -> None:
    tax = tax_for("CA", "BC", 1_000)
    assert [(line.jurisdiction, line.amount_cents) for line in tax.lines] == [("CA", 50)]


def test_washington_sales_tax() -> None:
    tax = tax_for("US", "WA", 1_999)
    # 6.5 % of 19.99 is 1.29935.
    assert (tax.lines[0].jurisdiction, tax.tax_cents, tax.total_cents) == ("US-WA", 130, 2_129)


def test_connecticut_digital_goods_rate() -> None:
    assert tax_for("US", "CT", 10_050).tax_cents == 101  # 100.50 at 1 % is 1.005


@pytest.mark.parametrize(
    ("country", "region"), [("US", "CA"), ("US", None), ("JP", None), ("CH", "ZH")]
)
def test_zero_elsewhere(country: str, region: str | None) -> None:
    tax = tax_for(country, region, 4_200, business_vat=GERMAN_BUSINESS)
    assert (tax.tax_cents, tax.total_cents, tax.reverse_charge) == (0, 4_200, False)
    assert tax.lines[0].taxability_reason == "not_collecting"
    assert tax.lines[0].rate is None


def test_every_member_state_has_a_real_standard_rate() -> None:
    assert len(EU_VAT_PCM) == 27
    assert all(15_000 <= pcm <= 27_000 for pcm in EU_VAT_PCM.values())
    assert (EU_VAT_PCM["DE"], EU_VAT_PCM["HU"], EU_VAT_PCM["LU"], EU_VAT_PCM["FI"]) == (
        19_000,
        27_000,
        17_000,
        25_500,
    )
    assert rates_for("GB")[0].rate_pcm == 20_000
    assert rates_for("GR")[0].percentage_decimal == "24.0"


def test_rates_read_in_basis_points_and_stripes_decimal() -> None:
    (gst, qst) = rates_for("CA", "QC")
    assert qst.rate_bps == Decimal("997.5")
    assert (gst.percentage_decimal, qst.percentage_decimal) == ("5.0", "9.975")
    assert percentage_decimal(6_625) == "6.625"
    assert percentage_decimal(25_500) == "25.5"


def test_vat_numbers_name_their_country() -> None:
    assert valid_eu_vat_number("FR 40 303 265 045") == "FR40303265045"
    assert vat_number_country("EL094259216") == "GR"
    assert valid_eu_vat_number("not a number") is None


def test_rounding_edges() -> None:
    assert round_half_up(0, 3) == 0
    assert round_half_up(1, 2) == 1
    assert round_half_up(49_999, 100_000) == 0
    assert round_half_up(50_000, 100_000) == 1
    # One cent at 20 %: 0.2 cent -> 0; 3 cents: 0.6 -> 1; 0.5 exactly (2.5 cents at 20 %).
    assert tax_for("FR", None, 1).tax_cents == 0
    assert tax_for("FR", None, 3).tax_cents == 1
    assert tax_for("US", "WA", 1_000).tax_cents == 65
    assert tax_for("FR", None, 0).total_cents == 0


def test_refused_inputs() -> None:
    with pytest.raises(ValueError, match="negative"):
        tax_for("FR", None, -1)
    with pytest.raises(ValueError, match="behavior"):
        tax_for("FR", None, 1, behavior="gross")  # type: ignore[arg-type]


PLACES = sorted(RATES, key=lambda place: (place[0], place[1] or "")) + [("JP", None), ("US", "OR")]


@given(
    place=st.sampled_from(PLACES),
    amount=st.integers(min_value=0, max_value=10**9),
    inclusive=st.booleans(),
)
def test_tax_is_each_rate_rounded_half_up_and_adds_up(
    place: tuple[str, str | None], amount: int, inclusive: bool
) -> None:
    country, region = place
    tax = tax_for(country, region, amount, behavior="inclusive" if inclusive else "exclusive")
    assert tax.net_cents + tax.tax_cents == tax.total_cents
    assert tax.total_cents == amount if inclusive else tax.net_cents == amount
    assert tax.tax_cents == sum(line.amount_cents for line in tax.lines)
    rates = rates_for(country, region)
    whole = RATE_SCALE + (sum(r.rate_pcm for r in rates) if inclusive else 0)
    for line in tax.lines:
        exact = Fraction(amount * line.rate_pcm, whole)
        assert abs(line.amount_cents - exact) <= Fraction(1, 2)
        assert line.amount_cents - exact != Fraction(-1, 2)  # halves go up
        assert line.taxable_amount_cents == tax.net_cents
