"""Idempotency-Keys of orders: a key repeated must ask for the order it made."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext

from marketplace.errors import InvalidInput
from marketplace.orders.models import Order
from marketplace.orders.taxing import Billing


def check_same_terms(earlier: Order, currency: str | None, billing: Billing | None) -> None:
    """A repeated Idempotency-Key must ask for the order it made: the same currency and the
    same billing place (which its price and tax depend on), else the same answer as for
    other items (422 idempotency_key_reused), never the earlier order as if it were that."""
    asked_currency = (currency or current_app.config["CURRENCY"]).upper()
    asked_place = (
        None
        if billing is None
        else (billing.country, billing.region, billing.postal_code, billing.tax_id)
    )
    made_place = (
        None
        if earlier.billing_country is None
        else (
            earlier.billing_country,
            earlier.billing_region,
            earlier.billing_postal_code,
            earlier.billing_tax_id,
        )
    )
    if asked_currency != earlier.currency.upper() or asked_place != made_place:
        raise InvalidInput(
            gettext(
                "This Idempotency-Key was used for order %(number)s, in another currency or"
                " for another billing place.",
                number=earlier.id,
            ),
            code="idempotency_key_reused",
            fields={"Idempotency-Key": gettext("Used for another order.")},
        )
