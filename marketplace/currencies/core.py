"""Prices per currency and the buyer's currency, the pure rules: no Flask or database.

The settlement currency (``CURRENCY``, USD by default) keeps the table it always had: the sizes
of ``marketplace.pricing`` and the surcharges of the licence terms. Every other currency on sale
has a table of its own, set by admins as rounded prices (14 €, 12 £, 19 CA$), never converted
from the settlement table: a price a buyer sees is data someone chose.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marketplace.i18n.markers import N_
from marketplace.pricing import LICENCES, PHOTO_SIZES, VIDEO_SIZES, Size

# A price above this (a million in the major unit) is a typing slip, not a price.
MAX_PRICE_CENTS = 100_000_000
SIZE_CODES: tuple[str, ...] = tuple(s.code for s in (*PHOTO_SIZES, *VIDEO_SIZES))
_CODE = re.compile(r"[A-Z]{3}")

# The tables migration 0032 seeds: rounded prices of each market, not conversions.
DEFAULT_TABLES: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    "EUR": (
        {"S": 1400, "M": 4200, "L": 8900, "XL": 11900, "HD": 7400, "4K": 18900},
        {"standard": 0, "extended": 9500},
    ),
    "GBP": (
        {"S": 1200, "M": 3600, "L": 7500, "XL": 9900, "HD": 6500, "4K": 15900},
        {"standard": 0, "extended": 7900},
    ),
    "CAD": (
        {"S": 1900, "M": 5900, "L": 12900, "XL": 16900, "HD": 10900, "4K": 26900},
        {"standard": 0, "extended": 13500},
    ),
}
DEFAULT_ON_SALE = ("USD", "EUR", "GBP", "CAD")

# The currency a language's readers pay in when they chose none (regional variants first).
LOCALE_CURRENCIES = {
    "en_GB": "GBP",
    "en_CA": "CAD",
    "fr_CA": "CAD",
    "fr": "EUR",
    "de": "EUR",
    "es_ES": "EUR",
    "it": "EUR",
    "nl": "EUR",
}


class PriceTableError(ValueError):
    """A price table an admin cannot save, with the field at fault.

    ``message`` is the English text with ``%(name)s`` placeholders (marked for the catalogue),
    ``values`` fill them: the page says it in the admin's language with both."""

    def __init__(self, message: str, field: str, **values: object) -> None:
        self.message, self.field, self.values = message, field, values
        super().__init__(message % values if values else message)


def check_code(currency: str) -> str:
    """``currency`` as an ISO 4217 code in capitals, or PriceTableError."""
    code = currency.strip().upper() if isinstance(currency, str) else ""
    if not _CODE.fullmatch(code):
        raise PriceTableError(
            N_("%(code)s is not a currency code such as EUR."), "currency", code=repr(currency)
        )
    return code


@dataclass(frozen=True)
class PriceTable:
    """One currency's prices: each size's price and each licence kind's surcharge, in its
    minor units."""

    currency: str
    sizes: Mapping[str, int]
    surcharges: Mapping[str, int]

    def size(self, size: Size) -> Size:
        """The size as sold in this currency (its edges, this table's price)."""
        return Size(size.code, size.min_long_edge, size.min_short_edge, self.sizes[size.code])

    def complete(self) -> bool:
        """Every size and every licence kind has a price here."""
        return set(SIZE_CODES) <= set(self.sizes) and set(LICENCES) <= set(self.surcharges)


def checked_table(
    currency: str, sizes: Mapping[str, object], surcharges: Mapping[str, object]
) -> PriceTable:
    """The table an admin typed, once every price is a whole number of minor units from 1
    (0 for a surcharge) up to ``MAX_PRICE_CENTS``, for every size and licence kind."""
    code = check_code(currency)
    checked: list[dict[str, int]] = []
    for names, given, lowest in ((SIZE_CODES, sizes, 1), (LICENCES, surcharges, 0)):
        values: dict[str, int] = {}
        for name in names:
            value = given.get(name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise PriceTableError(
                    N_("%(name)s: a price in whole minor units."), name, name=name
                )
            if not lowest <= value <= MAX_PRICE_CENTS:
                raise PriceTableError(
                    N_("%(name)s: from %(lowest)s to %(highest)s minor units."),
                    name,
                    name=name,
                    lowest=lowest,
                    highest=MAX_PRICE_CENTS,
                )
            values[name] = value
        checked.append(values)
    return PriceTable(code, checked[0], checked[1])


def changes(before: PriceTable | None, after: PriceTable) -> dict[str, tuple[int | None, int]]:
    """What saving ``after`` changes: name -> (old price or None, new price)."""
    old = {**(before.sizes if before else {}), **(before.surcharges if before else {})}
    new = {**after.sizes, **after.surcharges}
    return {name: (old.get(name), cents) for name, cents in new.items() if old.get(name) != cents}


def currency_for_locale(locale: str | None, on_sale: Iterable[str], settlement: str) -> str:
    """The currency a reader of ``locale`` (``fr``, ``en_GB``, ``fr-CA``) pays in by default:
    their region's or language's when it is on sale, else the settlement currency."""
    offered = set(on_sale)
    if locale:
        tag = locale.replace("-", "_")
        parts = tag.split("_")
        candidates = [tag, f"{parts[0].lower()}_{parts[1].upper()}" if len(parts) > 1 else ""]
        candidates.append(parts[0].lower())
        for candidate in candidates:
            found = LOCALE_CURRENCIES.get(candidate)
            if found in offered:
                return found
    return settlement


def chosen_currency(choice: str | None, on_sale: Iterable[str]) -> str | None:
    """A buyer's stored or cookie choice, when it is a currency on sale (else None)."""
    if not choice:
        return None
    code = choice.strip().upper()
    return code if code in set(on_sale) else None


def minor_units_from_text(text: str, digits: int, field: str) -> int:
    """An amount an admin typed in the major unit ("14", "14.50", or "14,50" as French writes
    it; spaces may group thousands) as whole minor units with ``digits`` decimals;
    PriceTableError for anything else (a third decimal of a two-decimal currency, a sign, a
    word, a comma that could be a thousands separator as well as a decimal one: "1,400.50")."""
    cleaned = "".join((text or "").split()).replace("\u202f", "")
    if "," in cleaned and "." not in cleaned and cleaned.count(",") == 1:
        cleaned = cleaned.replace(",", ".")
    if not re.fullmatch(r"\d{1,9}(\.\d+)?", cleaned):
        raise PriceTableError(N_("%(name)s: an amount such as 14 or 14.50."), field, name=field)
    whole, _, part = cleaned.partition(".")
    if len(part.rstrip("0")) > digits:
        raise PriceTableError(
            N_("%(name)s: at most %(digits)s decimals."), field, name=field, digits=digits
        )
    part = part.rstrip("0").ljust(digits, "0")
    return int(whole) * 10**digits + (int(part) if part else 0)
