"""Ledger amounts and shares written for the reader: the books' pages, statements and PDFs.

English keeps the ledger's own house style (``format_cents``: "−$12.34", "CHF 12.34"), which
the books' pages, statements and their tests have always shown; other languages follow their
CLDR conventions through the i18n formats ("−12,34 $US", "1 234,56 €").
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from babel import dates as babel_dates
from flask_babel import gettext

from marketplace.i18n import formats
from marketplace.i18n.markers import N_
from marketplace.ledger.core import format_cents


def money(cents: int, currency: str) -> str:
    """Integer cents of ``currency`` for the reader (English: exactly ``format_cents``)."""
    if formats.reader_locale().language == "en":
        return format_cents(cents, currency)
    return formats.money(cents, currency)


def decimal(value: Decimal | int) -> str:
    """A share or rate as the ledger shows it, "12.5" (en), "12,5" (fr): the reader's
    decimal separator, the value's own digits."""
    if formats.reader_locale().language == "en":
        return str(value)
    return formats.number(Decimal(value))


# The chart's account names and types (``ledger.entries.CHART``) as the catalogue knows them:
# accounts keep their English name in the database, and pages show it in the reader's language.
# A test checks that every name of the chart is here.
ACCOUNT_NAMES = {
    name: name
    for name in (
        N_("Bank"),
        N_("Stripe clearing"),
        N_("Currency exchange"),
        N_("Member receivables"),
        N_("Accounts payable"),
        N_("Royalties payable"),
        N_("Dividends payable"),
        N_("Withholding payable"),
        N_("Member capital"),
        N_("Reserves"),
        N_("Retained surplus"),
        N_("Licence revenue"),
        N_("Refunds and chargebacks"),
        N_("Payment processing fees"),
        N_("Operating costs"),
        N_("Member debts written off"),
        N_("Hosting and software"),
        N_("Accounting and legal fees"),
        N_("Insurance"),
        N_("Bank charges"),
        N_("Exchange differences"),
    )
}
ACCOUNT_TYPES = {
    "asset": N_("Asset"),
    "liability": N_("Liability"),
    "equity": N_("Equity"),
    "income": N_("Income"),
    "contra_income": N_("Contra income"),
    "expense": N_("Expense"),
}
_MEMBER_PART = ": member "


_SALES_TAX_PART = "Sales tax payable: "


def account_name(name: str) -> str:
    """A chart account's name in the reader's language (a name the chart lacks as it is);
    a sales tax account names its place ("Sales tax payable: FR", ``entries.account_spec``)."""
    if name.startswith(_SALES_TAX_PART):
        return gettext("Sales tax payable: %(place)s", place=name.removeprefix(_SALES_TAX_PART))
    return gettext(name) if name in ACCOUNT_NAMES else name


def account_label(label: str) -> str:
    """An account's label ("Royalties payable: member 12 (Ana)") in the reader's language."""
    name, member_part, member = label.partition(_MEMBER_PART)
    if not member_part:
        return account_name(label)
    return gettext("%(account)s: member %(member)s", account=account_name(name), member=member)


def account_type(type_: str) -> str:
    """ "Contra income" for ``contra_income``, in the reader's language."""
    words = ACCOUNT_TYPES.get(type_)
    return gettext(words) if words else type_.replace("_", " ").capitalize()


# Entry kinds (``ledger.kinds.ENTRY_KINDS``) in words; a kind added later shows as its code
# in words until it is added here (a test lists the missing ones).
ENTRY_KIND_WORDS = {
    "sale": N_("Sale"),
    "refund": N_("Refund"),
    "chargeback": N_("Chargeback"),
    "dispute_fee": N_("Dispute fee"),
    "royalty_payout": N_("Royalty payout"),
    "royalty_payout_reversal": N_("Royalty payout reversal"),
    "operating_costs": N_("Operating costs"),
    "dividend_closing": N_("Dividend closing"),
    "dividend_reserve": N_("Dividend reserve"),
    "dividend_allocation": N_("Dividend allocation"),
    "dividend_payment": N_("Dividend payment"),
    "dividend_redemption": N_("Dividend redemption"),
    "manual": N_("Manual"),
    "reversal": N_("Reversal"),
    "member_receivable": N_("Member receivable"),
    "receivable_offset": N_("Receivable offset"),
    "receivable_write_off": N_("Receivable write off"),
    "expense": N_("Expense"),
    "expense_reversal": N_("Expense reversal"),
    "expense_payment": N_("Expense payment"),
    "bank_payout": N_("Bank payout"),
    "bank_payout_return": N_("Bank payout return"),
}


def entry_kind(kind: str) -> str:
    """ "Dividend payment" for ``dividend_payment``, in the reader's language."""
    words = ENTRY_KIND_WORDS.get(kind)
    return gettext(words) if words else kind.replace("_", " ").capitalize()


def short_date(moment: datetime) -> str:
    """ "6 Dec 2026" (en), "6 déc. 2026" (fr)."""
    if formats.reader_locale().language == "en":
        return moment.strftime("%-d %b %Y")
    return babel_dates.format_date(moment.date(), "medium", locale=formats.reader_locale())


def month_abbreviations() -> tuple[str, ...]:
    """January to December, short: "Jan"... (en), "janv."... (fr)."""
    where = formats.reader_locale()
    names = babel_dates.get_month_names("abbreviated", "stand-alone", locale=where)
    return tuple(str(names[month]) for month in range(1, 13))


def month_year(day: date) -> str:
    """A month and its year, short: "Dec 2026" (en), "déc. 2026" (fr)."""
    where = formats.reader_locale()
    if where.language == "en":
        return day.strftime("%b %Y")
    return babel_dates.format_date(day, "MMM y", locale=where)


# Statuses of the books' runs, lines and costs that the shared status badge does not name
# (templates/macros/ui.html); pages pass these as the badge's label.
STATUS_WORDS = {
    "paying": N_("Paying"),
    "partially_paid": N_("Partially paid"),
    "held": N_("Held"),
    "done": N_("Done"),
    "owed": N_("Owed"),
    "booked": N_("Booked"),
    "reversed": N_("Reversed"),
}


def status_label(status: str) -> str | None:
    """A status in the reader's language when the badge does not know it, else None (the
    badge's own words)."""
    words = STATUS_WORDS.get(status)
    return gettext(words) if words else None


def day(value: date | str) -> str:
    """A day of the books: "2026-12-06" in English (the ISO form the pages have always shown),
    "6 décembre 2026" in other languages. Takes a date or its ISO text."""
    when = date.fromisoformat(value) if isinstance(value, str) else value
    if formats.reader_locale().language == "en":
        return when.isoformat()
    return formats.long_date(when)
