"""Sales tax on an order: the buyer's billing place, Stripe Tax's calculation stored as the
order's tax lines, and the tax as the order's JSON and pages give it.

A place is ISO 3166: a country ("FR") and, for the United States and Canada, the state or
province ("WA", "ON") whose tax applies. A tax id is an EU VAT number, checked here (format and
check digits) before Stripe sees it, so a wrong one is a 422 naming the field and nothing of the
order is kept. Without a billing place no tax is calculated: the co-op charges the prices as
they are, and does not collect where it does not know the buyer is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from babel import numbers as babel_numbers
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session

from marketplace.currencies.models import SaleCurrency
from marketplace.errors import InvalidInput, ServiceUnavailable
from marketplace.i18n import formats
from marketplace.orders import places
from marketplace.orders.models import Order, OrderTaxLine
from marketplace.payments import stripe_tax
from marketplace.payments.gateway import GatewayError
from marketplace.taxes.rules import (
    REVERSE_CHARGE,
    percentage_decimal,
    valid_eu_vat_number,
    vat_number_country,
)

# The taxes' names as buyers read them, per Stripe Tax's tax type.
TAX_NAMES = {
    "vat": lazy_gettext("VAT"),
    "gst": lazy_gettext("GST"),
    "hst": lazy_gettext("HST"),
    "qst": lazy_gettext("QST"),
    "sales_tax": lazy_gettext("Sales tax"),
}
# Places whose tax depends on the state or province.
REGION_NEEDED = frozenset({"US", "CA"})
BILLING_FIELDS = ("country", "region", "postal_code", "tax_id")


@dataclass(frozen=True)
class Billing:
    """Where the buyer is, as they said at checkout; ``tax_id`` a valid, compact VAT number."""

    country: str
    region: str | None = None
    postal_code: str | None = None
    tax_id: str | None = None


def _text(raw: Mapping[str, Any], name: str, longest: int) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value.strip()) > longest:
        raise InvalidInput(
            gettext(
                "billing.%(field)s must be text of at most %(count)s characters.",
                field=name,
                count=longest,
            ),
            fields={f"billing.{name}": gettext("Invalid.")},
        )
    return value.strip() or None


def billing_from(raw: object) -> Billing | None:
    """The billing place of a request (``{country, region, postal_code, tax_id}``), checked;
    None when none was given. Raises ``InvalidInput`` naming the field at fault."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        raise InvalidInput(
            gettext("billing must be an object {country, region, postal_code, tax_id}."),
            fields={"billing": gettext("Invalid.")},
        )
    unknown = sorted(set(raw) - set(BILLING_FIELDS))
    if unknown:
        raise InvalidInput(
            gettext("billing has no field %(field)s.", field=unknown[0]),
            fields={f"billing.{unknown[0]}": gettext("Unknown field.")},
        )
    country = (_text(raw, "country", 2) or "").upper()
    if not places.is_country(country):
        raise InvalidInput(
            gettext("billing.country must be a country's two-letter code, such as FR or US."),
            fields={"billing.country": gettext("Not a country code.")},
        )
    region = (_text(raw, "region", 3) or "").upper() or None
    if country in REGION_NEEDED and (region is None or not region.isalnum()):
        raise InvalidInput(
            gettext(
                "billing.region is needed in %(country)s: a state or province code (WA, ON).",
                country=country,
            ),
            fields={"billing.region": gettext("Needed for this country.")},
        )
    if country in REGION_NEEDED and not places.is_region(country, str(region)):
        raise InvalidInput(
            gettext(
                "billing.region must be a state or province of %(country)s, such as WA or ON.",
                country=country,
            ),
            fields={"billing.region": gettext("Not a state or province.")},
        )
    postal_code = _text(raw, "postal_code", 16)
    tax_id = _text(raw, "tax_id", 32)
    if tax_id is not None:
        tax_id = _checked_vat_number(tax_id, country)
    return Billing(country, region if country in REGION_NEEDED else None, postal_code, tax_id)


def _checked_vat_number(tax_id: str, country: str) -> str:
    compact = valid_eu_vat_number(tax_id)
    if compact is None:
        raise InvalidInput(
            gettext("billing.tax_id is not a valid EU VAT number (wrong format or check digits)."),
            code="tax_id_invalid",
            fields={"billing.tax_id": gettext("Not a valid VAT number.")},
        )
    if vat_number_country(compact) != country:
        raise InvalidInput(
            gettext("billing.tax_id is a VAT number of another country than billing.country."),
            code="tax_id_invalid",
            fields={"billing.tax_id": gettext("Another country's VAT number.")},
        )
    return compact


def tax_behavior(session: Session, currency: str) -> str:
    """Whether ``currency``'s prices include the tax ("inclusive") or not ("exclusive")."""
    found = session.execute(
        sa.select(SaleCurrency.tax_behavior).where(SaleCurrency.code == currency)
    ).scalar_one_or_none()
    return found or "exclusive"


def rate_pcm(percentage: str) -> int:
    """Stripe's ``percentage_decimal`` ("9.975") in thousandths of a percent (9975): exact for
    every rate of the co-op's table, and a finer one (local taxes folded together, "10.1025")
    rounded to the nearest thousandth. The rate is shown only: the amounts are Stripe's."""
    thousandths = (Decimal(percentage) * 1000).to_integral_value(rounding=ROUND_HALF_UP)
    return max(int(thousandths), 0)


def tax_order(session: Session, order: Order, billing: Billing | None) -> None:
    """Calculate the tax of ``order`` (items flushed, at the currency's prices) with Stripe Tax
    for ``billing``, store its lines and set the items' net prices and the order's totals."""
    order.tax_behavior = tax_behavior(session, order.currency)
    if billing is not None:
        order.billing_country, order.billing_region = billing.country, billing.region
        order.billing_postal_code, order.billing_tax_id = billing.postal_code, billing.tax_id
        order.billing_is_business = billing.tax_id is not None
        _calculate(session, order, billing)
    order.subtotal_cents = sum(item.price_cents for item in order.items)
    order.tax_cents = sum(item.tax_cents for item in order.items)
    order.total_cents = order.subtotal_cents + order.tax_cents


def _calculate(session: Session, order: Order, billing: Billing) -> None:
    items = {f"item-{item.id}": item for item in order.items}
    try:
        calculation = stripe_tax.calculate(
            order.currency,
            [stripe_tax.CalculationLine(ref, item.price_cents) for ref, item in items.items()],
            behavior=order.tax_behavior,
            country=billing.country,
            region=billing.region,
            postal_code=billing.postal_code,
            vat_number=billing.tax_id,
        )
    except stripe_tax.TaxIdRefused:
        raise InvalidInput(
            gettext("billing.tax_id is not a valid EU VAT number."),
            code="tax_id_invalid",
            fields={"billing.tax_id": gettext("Not a valid VAT number.")},
        ) from None
    except GatewayError:
        raise ServiceUnavailable(
            gettext("The tax service did not answer. Please try again: nothing was charged.")
        ) from None
    order.tax_calculation_id = calculation.id
    taxes: dict[str, int] = dict.fromkeys(items, 0)
    for part in calculation.breakdowns:
        item = items[part.reference]
        jurisdiction = f"{part.country}-{part.region}" if part.region else part.country
        order.tax_lines.append(
            OrderTaxLine(
                order_item_id=item.id,
                line_ref=part.reference,
                jurisdiction=jurisdiction,
                country=part.country,
                region=part.region,
                tax_type=part.tax_type,
                rate_pcm=rate_pcm(part.percentage_decimal),
                taxable_cents=part.taxable_cents,
                tax_cents=part.tax_cents,
                reverse_charge=part.taxability_reason == REVERSE_CHARGE,
                taxability_reason=part.taxability_reason,
                currency=order.currency,
            )
        )
        taxes[part.reference] += part.tax_cents
    for ref, item in items.items():
        item.tax_cents = taxes[ref]
        if order.tax_behavior == "inclusive":
            item.price_cents -= taxes[ref]
    session.flush()


@dataclass(frozen=True)
class TaxSummary:
    """One tax of an order, its lines added up: what the buyer sees on the order."""

    jurisdiction: str
    tax_type: str
    rate_pcm: int
    taxable_cents: int
    amount_cents: int
    reverse_charge: bool

    @property
    def rate_bps(self) -> int | float:
        """Basis points as a JSON number: whole, or with the one decimal QST needs (997.5)."""
        whole, tenth = divmod(self.rate_pcm, 10)
        return whole if tenth == 0 else float(Decimal(self.rate_pcm) / 10)

    def percent_text(self) -> str:
        """The rate as the reader writes a percentage, every decimal kept: "9.975%" (en),
        "9,975 %" (fr)."""
        where = formats.reader_locale()
        pattern = where.percent_formats[None].pattern.replace("#,##0", "#,##0.###", 1)
        ratio = Decimal(self.rate_pcm).scaleb(-5)
        return str(babel_numbers.format_percent(ratio, format=pattern, locale=where))

    @property
    def rate_percent(self) -> str:
        """The exact rate as a decimal string: "20", "9.975"."""
        text = percentage_decimal(self.rate_pcm)
        return text[:-2] if text.endswith(".0") else text


def tax_summary(order: Order) -> list[TaxSummary]:
    """The order's taxes per jurisdiction, type, rate and reverse charge, in line order."""
    totals: dict[tuple[str, str, int, bool], list[int]] = {}
    for line in order.tax_lines:
        key = (line.jurisdiction, line.tax_type, line.rate_pcm, line.reverse_charge)
        found = totals.setdefault(key, [0, 0])
        found[0] += line.taxable_cents
        found[1] += line.tax_cents
    return [
        TaxSummary(jurisdiction, tax_type, pcm, taxable, amount, reverse)
        for (jurisdiction, tax_type, pcm, reverse), (taxable, amount) in totals.items()
    ]


def billing_from_form(form: Mapping[str, str]) -> Billing:
    """The billing place of the cart's form, which the site's checkout requires (the tax
    depends on it; the API's checkout may leave it out, and then charges no tax)."""
    given = (form.get("country") or "").strip()
    billing = (
        billing_from({name: form.get(name) or None for name in BILLING_FIELDS}) if given else None
    )
    if billing is None:
        raise InvalidInput(
            gettext("Choose the country you are in: the tax depends on it."),
            fields={"billing.country": gettext("Needed.")},
        )
    return billing


def country_choices() -> list[tuple[str, str]]:
    """Every country as (code, name in the reader's language), sorted by name."""
    where = formats.reader_locale()
    return sorted(
        ((code, name) for code, name in where.territories.items() if places.is_country(code)),
        key=lambda choice: choice[1],
    )


def tax_json(order: Order) -> list[dict[str, Any]]:
    return [
        {
            "jurisdiction": tax.jurisdiction,
            "tax_type": tax.tax_type,
            "rate_bps": tax.rate_bps,
            "rate_percent": tax.rate_percent,
            "taxable_cents": tax.taxable_cents,
            "amount_cents": tax.amount_cents,
            "reverse_charge": tax.reverse_charge,
        }
        for tax in tax_summary(order)
    ]
