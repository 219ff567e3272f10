"""Numbers, money, dates and sizes written for the reader's language.

Every function takes an optional ``locale`` (a code such as ``"fr"`` or a ``babel.Locale``);
without one it uses the language Flask-Babel chose for the request (or the one forced with
``flask_babel.force_locale``, as emails are), and English outside any request, so services,
PDFs and tasks can call them too.

English keeps the co-op's house style, which predates the translations (tests and people rely on
it): "$45.00", "45.00 CHF", "6 December 2026", "6 Dec 2026, 14:05 UTC", "1.5 MB". Other
languages follow their CLDR conventions: "45,00 €", "6 décembre 2026", "1,5 Mo".
"""

from __future__ import annotations

import functools
from datetime import UTC, date, datetime
from decimal import Decimal

from babel import Locale
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel import units as babel_units
from flask_babel import get_locale

from marketplace.i18n.languages import DEFAULT_LANGUAGE

LocaleArg = Locale | str | None

# The English house style for a long date; other languages take CLDR's "long" form.
_LONG_DATE = {"en": "d MMMM y"}
# Day, short month, year and time in UTC, whatever the language (the co-op's times are UTC).
_DATETIME = "d MMM y, HH:mm 'UTC'"
_ENGLISH_SIZE_UNITS = ("bytes", "KB", "MB", "GB")
_CLDR_SIZE_UNITS = ("digital-byte", "digital-kilobyte", "digital-megabyte", "digital-gigabyte")


def reader_locale(locale: LocaleArg = None) -> Locale:
    """The locale to write in: the one given, else the request's (or the forced one), else
    the co-op's default language."""
    if isinstance(locale, Locale):
        return locale
    if locale:
        return Locale.parse(locale)
    return get_locale() or Locale.parse(DEFAULT_LANGUAGE)


def minor_units(currency: str) -> int:
    """How many decimals the currency's amounts have (USD 2, JPY 0, BHD 3), from CLDR."""
    return int(babel_numbers.get_currency_precision(currency.upper()))


def amount_of(cents: int | Decimal, currency: str) -> Decimal:
    """An amount in minor units as an exact decimal of the major unit (4500 USD -> 45.00)."""
    if isinstance(cents, bool) or not isinstance(cents, int | Decimal):
        raise TypeError(f"money is integer minor units, not {type(cents).__name__}")
    whole = Decimal(cents)
    if whole != whole.to_integral_value():
        raise ValueError(f"money is whole minor units, not {cents}")
    return whole.scaleb(-minor_units(currency))


def money(cents: int | Decimal, currency: str = "USD", locale: LocaleArg = None) -> str:
    """Integer minor units as an amount in the reader's conventions.

    English: 4500 USD -> "$45.00", -150 GBP -> "-£1.50", 4500 CHF -> "45.00 CHF" (the code
    after the amount when English has no symbol of its own for the currency). French:
    123456 EUR -> "1 234,56 €". Exact: the amount never passes through a float.
    """
    code = currency.upper()
    where = reader_locale(locale)
    amount = amount_of(cents, code)
    return _money_text(amount, code, str(where))


# A page writes the same few prices many times (a tile per work, each size and licence), and
# Babel parses its pattern on every call: the texts are kept per amount, currency and locale.
@functools.lru_cache(maxsize=8192)
def _money_text(amount: Decimal, code: str, locale_name: str) -> str:
    where = Locale.parse(locale_name)
    if where.language == "en" and babel_numbers.get_currency_symbol(code, where) == code:
        return babel_numbers.format_currency(amount, code, format="#,##0.00 ¤¤", locale=where)
    return babel_numbers.format_currency(amount, code, locale=where)


def one_decimal(value: float | Decimal, locale: LocaleArg = None) -> str:
    """A measure with one decimal always, in the reader's conventions: "6.7", "10.0" (en),
    "6,7" (fr)."""
    return _decimal_text(value, "0.0", str(reader_locale(locale)))


# An asset page writes each size's print measures (fourteen figures): kept like money's texts.
@functools.lru_cache(maxsize=4096)
def _decimal_text(value: float | Decimal, pattern: str, locale_name: str) -> str:
    return babel_numbers.format_decimal(value, format=pattern, locale=Locale.parse(locale_name))


def number(value: int | Decimal | None, locale: LocaleArg = None) -> str:
    """A count or quantity with the reader's separators: "1,204" (en), "1 204" (fr)."""
    return babel_numbers.format_decimal(value or 0, locale=reader_locale(locale))


def percent(ratio: int | Decimal | None, locale: LocaleArg = None) -> str:
    """A ratio as a percentage with up to two decimals: 0.125 -> "12.5%" (en), "12,5 %" (fr)."""
    where = reader_locale(locale)
    pattern = where.percent_formats[None].pattern.replace("#,##0", "#,##0.##", 1)
    return babel_numbers.format_percent(ratio or 0, format=pattern, locale=where)


def percent_bps(bps: int | None, locale: LocaleArg = None) -> str:
    """Basis points as a percentage: 7000 -> "70%", 1250 -> "12.5%" (en), "12,5 %" (fr)."""
    return percent(Decimal(bps or 0).scaleb(-4), locale)


def long_date(value: date | datetime | None, locale: LocaleArg = None) -> str:
    """A day in words: "6 December 2026" (en), "6 décembre 2026" (fr); "" for none."""
    if value is None:
        return ""
    where = reader_locale(locale)
    day = value.date() if isinstance(value, datetime) else value
    return babel_dates.format_date(day, _LONG_DATE.get(where.language, "long"), locale=where)


def date_time(value: datetime | None, locale: LocaleArg = None) -> str:
    """A moment in UTC: "6 Dec 2026, 14:05 UTC" (en), "6 déc. 2026, 14:05 UTC" (fr)."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    return babel_dates.format_datetime(moment, _DATETIME, tzinfo=UTC, locale=reader_locale(locale))


def filesize(size: int | None, locale: LocaleArg = None) -> str:
    """Bytes in the largest unit under 1024 of the next: "512 bytes", "1.5 MB" (en),
    "512 octets", "1,5 Mo" (fr); "" for none."""
    if size is None:
        return ""
    where = reader_locale(locale)
    amount = Decimal(size)
    step = 0
    while amount >= 1024 and step < len(_ENGLISH_SIZE_UNITS) - 1:
        amount /= 1024
        step += 1
    if where.language == "en":
        shown = f"{amount:.0f}" if step == 0 else f"{amount:.1f}"
        return f"{shown} {_ENGLISH_SIZE_UNITS[step]}"
    if step == 0:
        return babel_units.format_unit(size, _CLDR_SIZE_UNITS[0], "long", locale=where)
    return babel_units.format_unit(
        amount, _CLDR_SIZE_UNITS[step], "short", format="#,##0.0", locale=where
    )


def pluralise(count: int | None, singular: str, plural: str | None = None) -> str:
    """``"1 member"``, ``"2 members"``, ``"1,204 members"``: the count in the reader's
    separators with the noun that fits it (English nouns: for translated text use
    ``ngettext("%(count)s member", "%(count)s members", n, count=number(n))``)."""
    total = count or 0
    noun = singular if total == 1 else (plural or f"{singular}s")
    return f"{number(total)} {noun}"
