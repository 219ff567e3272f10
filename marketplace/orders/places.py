"""The places a billing address may name: ISO 3166-1 alpha-2 countries, and for the countries
whose sales tax depends on it (US, CA), their states and provinces.

Babel's territory list is CLDR's: besides the ISO countries it holds groupings and codes that
name no country Stripe Tax knows (EU, EZ, UN, ZZ, QO, XA, XB, XK) and ISO's "exceptionally
reserved" codes (AC, CP, CQ, DG, EA, IC, TA); those are left out.
"""

from __future__ import annotations

import babel

NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"}
)

COUNTRY_CODES = frozenset(
    code
    for code in babel.Locale("en").territories
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code not in NOT_COUNTRIES
)

# The 50 states, the District of Columbia and the inhabited territories (USPS codes).
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC AS GU MP PR VI".split()
)

# The 10 provinces and 3 territories (Canada Post codes).
CA_PROVINCES = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())

REGIONS: dict[str, frozenset[str]] = {"US": US_STATES, "CA": CA_PROVINCES}


def is_country(code: str) -> bool:
    return code in COUNTRY_CODES


def is_region(country: str, region: str) -> bool:
    """Whether ``region`` is one of ``country``'s states or provinces (False for a country
    whose regions are not listed)."""
    return region in REGIONS.get(country, frozenset())
