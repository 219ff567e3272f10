"""Sales tax and VAT on a licence sold: the rates as data, and the arithmetic, in integer cents.

Pure: no Flask, SQLAlchemy or Stripe. The project's Stripe emulator answers its Stripe Tax
calculations from this same table (``RATES``), so the product's own figures and the "Stripe"
ones cannot drift apart.

Rates are integers in thousandths of a percent (``RATE_SCALE`` = 100,000 is 100 %): 20 % is
20,000 and Quebec's QST of 9.975 % is 9,975. Basis points (hundredths of a percent) cannot hold
QST exactly (997.5 bps), and a float would not hold it exactly either; one more decimal digit is
the smallest integer unit in which every rate below is exact. ``TaxRate.rate_bps`` gives the
rate in basis points as an exact ``Decimal`` for people and contracts that speak in bps.

Each tax of a line is rounded on its own, half up, to the currency's minor unit, as Stripe Tax
does: exclusive prices add ``round(amount × rate)``; inclusive prices hold
``round(amount × rate / (1 + total rate))`` and the taxable amount is what is left, so taxable
amount plus tax is always the price paid, to the cent.

Where the co-op collects (the table's sources are in comments beside each block):

- the 27 EU member states at their standard VAT rate, for consumers; an EU business with a valid
  VAT number (format and check digits, python-stdnum) in another member state than the seller's
  is charged nothing: the buyer accounts for the VAT (reverse charge);
- the United Kingdom, 20 % VAT;
- Canada: GST 5 % everywhere; HST instead in Ontario, Nova Scotia, New Brunswick, Newfoundland
  and Labrador and Prince Edward Island; QST on top of GST in Quebec (provincial sales taxes of
  British Columbia, Manitoba and Saskatchewan need their own registrations and are not charged);
- the US states below that tax digital goods, at their state rate (local rates are not modelled).

Everywhere else the co-op does not collect: a zero line with reason ``not_collecting``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from stdnum.eu import vat as eu_vat

RATE_SCALE = 100_000
Behavior = Literal["exclusive", "inclusive"]
# Stripe Tax's words for why a line is taxed as it is (a line item tax breakdown's reason).
STANDARD_RATED = "standard_rated"
REVERSE_CHARGE = "reverse_charge"
NOT_COLLECTING = "not_collecting"


@dataclass(frozen=True)
class TaxRate:
    """One tax of one place: ``jurisdiction`` is ISO 3166 ("FR") or 3166-2 ("CA-QC", "US-WA")."""

    jurisdiction: str
    country: str
    region: str | None
    tax_type: Literal["vat", "gst", "hst", "qst", "sales_tax"]
    rate_pcm: int
    display_name: str

    @property
    def level(self) -> Literal["country", "state"]:
        return "country" if self.region is None else "state"

    @property
    def rate_bps(self) -> Decimal:
        return Decimal(self.rate_pcm) / 10

    @property
    def percentage_decimal(self) -> str:
        """The rate as Stripe writes it: "20.0", "9.975"."""
        return percentage_decimal(self.rate_pcm)


def percentage_decimal(rate_pcm: int) -> str:
    whole, thousandths = divmod(rate_pcm, 1000)
    return f"{whole}.{str(thousandths).zfill(3).rstrip('0') or '0'}"


def _vat(country: str, rate_pcm: int) -> TaxRate:
    return TaxRate(country, country, None, "vat", rate_pcm, "VAT")


# EU standard VAT rates, from the European Commission's "VAT rates applied in the Member States"
# (taxation-customs.ec.europa.eu, 2025 edition): Estonia 24 % since 1 July 2025, Finland 25.5 %
# since 1 September 2024, Romania 21 % since 1 August 2025, Slovakia 23 % since 1 January 2025.
# Keys are ISO 3166 codes (Greece is GR here; its VAT numbers begin EL).
EU_VAT_PCM: dict[str, int] = {
    "AT": 20_000,
    "BE": 21_000,
    "BG": 20_000,
    "CY": 19_000,
    "CZ": 21_000,
    "DE": 19_000,
    "DK": 25_000,
    "EE": 24_000,
    "ES": 21_000,
    "FI": 25_500,
    "FR": 20_000,
    "GR": 24_000,
    "HR": 25_000,
    "HU": 27_000,
    "IE": 23_000,
    "IT": 22_000,
    "LT": 21_000,
    "LU": 17_000,
    "LV": 21_000,
    "MT": 18_000,
    "NL": 21_000,
    "PL": 23_000,
    "PT": 23_000,
    "RO": 21_000,
    "SE": 25_000,
    "SI": 22_000,
    "SK": 23_000,
}
EU_COUNTRIES = frozenset(EU_VAT_PCM)

# Canada Revenue Agency, "GST/HST rates" (canada.ca): GST 5 %; HST 13 % in Ontario, 14 % in
# Nova Scotia (since 1 April 2025), 15 % in New Brunswick, Newfoundland and Labrador and Prince
# Edward Island. Revenu Québec: QST 9.975 %, charged on the price without GST.
CANADA_GST = TaxRate("CA", "CA", None, "gst", 5_000, "GST")
CANADA_HST_PCM: dict[str, int] = {
    "ON": 13_000,
    "NS": 14_000,
    "NB": 15_000,
    "NL": 15_000,
    "PE": 15_000,
}
QUEBEC_QST = TaxRate("CA-QC", "CA", "QC", "qst", 9_975, "QST")

# State rates (no local add-ons) of states that tax digital products such as downloaded images,
# from each state's department of revenue, as summarised by the Tax Foundation's "State and
# Local Sales Tax Rates, 2025": Washington 6.5 %, Texas 6.25 %, Pennsylvania 6 %, Utah 6.1 %
# (4.85 % state plus the 1.25 % levied statewide), Connecticut 1 % (its reduced rate for digital
# goods), New Jersey 6.625 %, Ohio 5.75 %, Tennessee 7 %, Indiana 7 %, South Dakota 4.2 %.
US_DIGITAL_GOODS_PCM: dict[str, int] = {
    "WA": 6_500,
    "TX": 6_250,
    "PA": 6_000,
    "UT": 6_100,
    "CT": 1_000,
    "NJ": 6_625,
    "OH": 5_750,
    "TN": 7_000,
    "IN": 7_000,
    "SD": 4_200,
}


def _build_rates() -> dict[tuple[str, str | None], tuple[TaxRate, ...]]:
    rates: dict[tuple[str, str | None], tuple[TaxRate, ...]] = {
        (country, None): (_vat(country, pcm),) for country, pcm in EU_VAT_PCM.items()
    }
    rates["GB", None] = (_vat("GB", 20_000),)
    rates["CA", None] = (CANADA_GST,)
    for province, pcm in CANADA_HST_PCM.items():
        rates["CA", province] = (TaxRate(f"CA-{province}", "CA", province, "hst", pcm, "HST"),)
    rates["CA", "QC"] = (CANADA_GST, QUEBEC_QST)
    for state, pcm in US_DIGITAL_GOODS_PCM.items():
        rates["US", state] = (TaxRate(f"US-{state}", "US", state, "sales_tax", pcm, "Sales Tax"),)
    return rates


# (country, region) -> the taxes of that place; (country, None) holds a country-wide rate.
RATES = _build_rates()


def rates_for(country: str, region: str | None = None) -> tuple[TaxRate, ...]:
    """The taxes a consumer at ``country``/``region`` pays; empty where the co-op does not
    collect. A region without taxes of its own pays its country's (a Canadian province's GST)."""
    country = country.upper()
    region = region.upper() if region else None
    if region is not None and (country, region) in RATES:
        return RATES[country, region]
    return RATES.get((country, None), ())


def valid_eu_vat_number(number: str) -> str | None:
    """The number, compact ("DE136695976"), if its format and check digits are valid; else None.

    This checks what can be checked offline; whether the number is registered is VIES's to say.
    """
    if not eu_vat.is_valid(number):
        return None
    return str(eu_vat.compact(number))


def vat_number_country(number: str) -> str:
    """The ISO country of a valid EU VAT number (its "EL" prefix is Greece, GR)."""
    prefix = str(eu_vat.compact(number))[:2]
    return "GR" if prefix == "EL" else prefix


@dataclass(frozen=True)
class TaxLine:
    """One tax on one amount: what Stripe Tax calls a line item's tax breakdown."""

    jurisdiction: str
    country: str
    region: str | None
    rate: TaxRate | None
    rate_pcm: int
    taxable_amount_cents: int
    amount_cents: int
    reverse_charge: bool
    taxability_reason: str


@dataclass(frozen=True)
class LineTax:
    """The tax on one priced line. ``net_cents`` + ``tax_cents`` == ``total_cents``."""

    lines: tuple[TaxLine, ...]
    behavior: Behavior
    net_cents: int
    tax_cents: int
    total_cents: int

    @property
    def reverse_charge(self) -> bool:
        return any(line.reverse_charge for line in self.lines)


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` to the nearest integer, halves up (for numerator ≥ 0 and
    denominator > 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def tax_for(
    country: str,
    region: str | None,
    amount_cents: int,
    *,
    business_vat: str | None = None,
    behavior: Behavior = "exclusive",
    seller_country: str = "US",
) -> LineTax:
    """The tax on ``amount_cents`` sold to a buyer at ``country``/``region``.

    ``behavior``: whether ``amount_cents`` excludes the tax (added on top) or includes it.
    ``business_vat``: the buyer's VAT number, when a business; a valid one in another EU member
    state than ``seller_country`` makes the sale a reverse charge. An invalid one is not an error
    here: the buyer is taxed as a consumer (callers that must refuse it check
    ``valid_eu_vat_number`` first, as the emulator does).
    """
    if amount_cents < 0:
        raise ValueError("amount_cents must not be negative")
    if behavior not in ("exclusive", "inclusive"):
        raise ValueError(f"unknown tax behavior {behavior!r}")
    country = country.upper()
    region = region.upper() if region else None
    rates = rates_for(country, region)
    if not rates:
        line = TaxLine(country, country, region, None, 0, amount_cents, 0, False, NOT_COLLECTING)
        return LineTax((line,), behavior, amount_cents, 0, amount_cents)
    if _reverse_charged(country, business_vat, seller_country.upper()):
        rate = rates[0]
        line = TaxLine(
            rate.jurisdiction, country, None, rate, 0, amount_cents, 0, True, REVERSE_CHARGE
        )
        return LineTax((line,), behavior, amount_cents, 0, amount_cents)
    if behavior == "exclusive":
        taxes = [round_half_up(amount_cents * r.rate_pcm, RATE_SCALE) for r in rates]
        net = amount_cents
    else:
        whole = RATE_SCALE + sum(r.rate_pcm for r in rates)
        taxes = [round_half_up(amount_cents * r.rate_pcm, whole) for r in rates]
        net = amount_cents - sum(taxes)
    lines = tuple(
        TaxLine(r.jurisdiction, country, r.region, r, r.rate_pcm, net, tax, False, STANDARD_RATED)
        for r, tax in zip(rates, taxes, strict=True)
    )
    return LineTax(lines, behavior, net, sum(taxes), net + sum(taxes))


def _reverse_charged(country: str, business_vat: str | None, seller_country: str) -> bool:
    if country not in EU_COUNTRIES or country == seller_country or not business_vat:
        return False
    return valid_eu_vat_number(business_vat) is not None
