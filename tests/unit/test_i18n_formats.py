"""Numbers, money, dates and sizes in the reader's language; English keeps the house style."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_login import LoginManager

from marketplace.i18n import formats, init_i18n

NNBSP = "\u202f"  # CLDR's French thousands separator
NBSP = "\xa0"


@pytest.mark.parametrize(
    ("cents", "currency", "english", "french"),
    [
        (4500, "USD", "$45.00", f"45,00{NBSP}$US"),
        (5, "eur", "€0.05", f"0,05{NBSP}€"),
        (123_456, "EUR", "€1,234.56", f"1{NNBSP}234,56{NBSP}€"),
        (123_456_789, "USD", "$1,234,567.89", f"1{NNBSP}234{NNBSP}567,89{NBSP}$US"),
        (-150, "GBP", "-£1.50", f"-1,50{NBSP}£GB"),
        (4500, "CAD", "CA$45.00", f"45,00{NBSP}$CA"),
        (4500, "CHF", "45.00 CHF", f"45,00{NBSP}CHF"),
        (-4500, "CHF", "-45.00 CHF", f"-45,00{NBSP}CHF"),
        (4500, "JPY", "¥4,500", f"4{NNBSP}500{NBSP}JPY"),
        (Decimal(4500), "USD", "$45.00", f"45,00{NBSP}$US"),
    ],
)
def test_money_is_written_from_whole_minor_units(
    cents: int, currency: str, english: str, french: str
) -> None:
    assert formats.money(cents, currency, "en") == english
    assert formats.money(cents, currency, "fr") == french


def test_money_refuses_floats_and_fractions_of_a_cent() -> None:
    with pytest.raises(TypeError):
        formats.money(45.0, "USD")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whole minor units"):
        formats.money(Decimal("45.5"), "USD")


def test_minor_units_come_from_the_currency() -> None:
    assert formats.amount_of(4500, "USD") == Decimal("45.00")
    assert formats.amount_of(4500, "JPY") == Decimal(4500)
    assert formats.amount_of(4500, "BHD") == Decimal("4.500")


def test_dates_and_times() -> None:
    moment = datetime(2026, 12, 6, 14, 5)
    assert formats.long_date(moment, "en") == "6 December 2026"
    assert formats.long_date(date(2026, 12, 6), "fr") == "6 décembre 2026"
    assert formats.long_date(None) == ""
    assert formats.date_time(moment, "en") == "6 Dec 2026, 14:05 UTC"
    assert formats.date_time(moment.replace(tzinfo=UTC), "fr") == "6 déc. 2026, 14:05 UTC"
    assert formats.date_time(None) == ""


@pytest.mark.parametrize(
    ("size", "english", "french"),
    [
        (0, "0 bytes", f"0{NBSP}octet"),
        (512, "512 bytes", f"512{NBSP}octets"),
        (1536, "1.5 KB", f"1,5{NNBSP}ko"),
        (10 * 1024 * 1024, "10.0 MB", f"10,0{NNBSP}Mo"),
        (3 * 1024**3, "3.0 GB", f"3,0{NNBSP}Go"),
        (5 * 1024**4, "5120.0 GB", f"5{NNBSP}120,0{NNBSP}Go"),
    ],
)
def test_file_sizes(size: int, english: str, french: str) -> None:
    assert formats.filesize(size, "en") == english
    assert formats.filesize(size, "fr") == french


def test_numbers_and_percentages() -> None:
    assert formats.number(1204, "en") == "1,204"
    assert formats.number(1204, "fr") == f"1{NNBSP}204"
    assert formats.percent_bps(7000, "en") == "70%"
    assert formats.percent_bps(1250, "en") == "12.5%"
    assert formats.percent_bps(1250, "fr") == f"12,5{NBSP}%"
    assert formats.percent(Decimal("0.3333"), "en") == "33.33%"
    assert formats.one_decimal(6.7, "en") == "6.7"
    assert formats.one_decimal(10.0, "en") == "10.0"
    assert formats.one_decimal(123.4, "fr") == "123,4"


def test_without_a_locale_they_follow_the_request_or_the_forced_one() -> None:
    app = Flask(__name__)
    LoginManager(app).user_loader(lambda _id: None)
    init_i18n(app)
    assert formats.money(123_456, "EUR") == "€1,234.56"  # no app at all: the default
    with app.app_context():
        assert formats.long_date(date(2026, 12, 6)) == "6 December 2026"
        assert formats.one_decimal(6.7) == "6.7"
        with force_locale("fr"):
            assert formats.long_date(date(2026, 12, 6)) == "6 décembre 2026"
            assert formats.one_decimal(6.7) == "6,7"  # the same figure, kept per locale
    with app.test_request_context(headers={"Accept-Language": "fr-FR,fr;q=0.9"}):
        assert formats.money(123_456, "EUR") == f"1{NNBSP}234,56{NBSP}€"
        assert formats.pluralise(1204, "member") == f"1{NNBSP}204 members"
