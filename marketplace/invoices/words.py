"""An invoice's words and figures as its reader reads them: shared by its page and its PDF."""

from __future__ import annotations

from babel import numbers as babel_numbers
from flask_babel import get_locale, gettext

from marketplace.i18n.formats import reader_locale
from marketplace.invoices import core

_TAX_NAMES = {"vat": "VAT", "gst": "GST", "hst": "HST", "qst": "QST", "sales_tax": "Sales tax"}


def rate_text(rate_pcm: int) -> str:
    """A rate with up to three decimals (QST's 9.975 %): "20%" (en), "20 %" (fr)."""
    where = reader_locale()
    pattern = where.percent_formats[None].pattern.replace("#,##0", "#,##0.###", 1)
    return babel_numbers.format_percent(core.rate_ratio(rate_pcm), format=pattern, locale=where)


def country_name(code: str | None) -> str:
    """The country's name in the reader's language ("Allemagne"); its code when unknown."""
    if not code:
        return ""
    locale = get_locale()
    names = locale.territories if locale is not None else {}
    return str(names.get(code.upper(), code.upper()))


def tax_name(tax_type: str, jurisdiction: str) -> str:
    """ "VAT (FR)", "QST (CA-QC)": the tax's usual abbreviation and where it is owed."""
    name = _TAX_NAMES.get(tax_type, tax_type.upper())
    translated = {
        "VAT": gettext("VAT"),
        "Sales tax": gettext("Sales tax"),
    }.get(name, name)
    return f"{translated} ({jurisdiction})"


def title_of(invoice_kind: str) -> str:
    return gettext("Credit note") if invoice_kind == core.CREDIT_NOTE else gettext("Invoice")


def reverse_charge_mention() -> str:
    return gettext(
        "Reverse charge: VAT to be accounted for by the recipient "
        "(Article 196, Directive 2006/112/EC)"
    )
