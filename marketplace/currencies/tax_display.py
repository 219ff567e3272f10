"""Whether each currency's prices include the tax, as admins chose (``sale_currencies``,
migration 0035): the pages say "incl. VAT" or "+ tax" beside a price, and an order made in the
currency is taxed accordingly (``orders.taxing``).

Read as the price tables are: kept per process for ``SHOWN_FOR_SECONDS`` and per request, so
a cached asset page costs no query; an order reads the setting afresh.
"""

from __future__ import annotations

import time

import sqlalchemy as sa
from flask import g
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.currencies.models import SaleCurrency
from marketplace.database import unit_of_work
from marketplace.errors import InvalidInput, NotFound
from marketplace.orders.models import TAX_BEHAVIORS

SHOWN_FOR_SECONDS = 30.0
_KEY = "currency_tax_behaviors"
_shown: dict[str, tuple[float, dict[str, str]]] = {}


def tax_behaviors(session: Session) -> dict[str, str]:
    """Each listed currency's behaviour ("inclusive" or "exclusive")."""
    cached: dict[str, str] | None = g.get(_KEY)
    if cached is None:
        where = str(session.get_bind().engine.url)
        kept = _shown.get(where)
        if kept is not None and time.monotonic() - kept[0] <= SHOWN_FOR_SECONDS:
            cached = kept[1]
        else:
            rows = session.execute(sa.select(SaleCurrency.code, SaleCurrency.tax_behavior))
            cached = {str(code): str(behavior) for code, behavior in rows}
            _shown[where] = (time.monotonic(), cached)
        setattr(g, _KEY, cached)
    return dict(cached)


def prices_include_tax(session: Session, currency: str) -> bool:
    return tax_behaviors(session).get(currency) == "inclusive"


def set_tax_behavior(admin: User, currency: str, behavior: str) -> None:
    """Make ``currency``'s prices include the tax or not (audited). Orders already made keep
    the behaviour they were made with."""
    from marketplace.audit.services import record

    if behavior not in TAX_BEHAVIORS:
        raise InvalidInput(
            gettext("Choose whether the prices include the tax."),
            fields={"tax_behavior": gettext("Invalid.")},
        )
    with unit_of_work() as session:
        listed = session.get(SaleCurrency, currency, with_for_update=True)
        if listed is None:
            raise NotFound(gettext("Prices are not shown in %(currency)s.", currency=currency))
        before = listed.tax_behavior
        listed.tax_behavior = behavior
        record(
            session,
            admin,
            "currency.tax_behavior_set",
            "currency",
            currency,
            f"{currency} prices {behavior} of tax",
            before={"tax_behavior": before},
            after={"tax_behavior": behavior},
        )
    g.pop(_KEY, None)
    _shown.clear()
