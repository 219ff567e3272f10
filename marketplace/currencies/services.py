"""Currencies on sale, their price tables, and what a buyer pays in.

The settlement currency (``CURRENCY``) is always on sale, at the prices it always had: the
size table and the licence terms. Another currency is on sale when it is listed in
``sale_currencies`` with a complete table; its prices are that table's, never a conversion.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Mapping

import sqlalchemy as sa
from flask import current_app, g
from flask_babel import gettext
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.currencies import core
from marketplace.currencies.models import CurrencyPrice, SaleCurrency
from marketplace.database import lock_row, unit_of_work
from marketplace.errors import InvalidInput
from marketplace.licensing import services as licensing
from marketplace.pricing import Price, offered_size, offered_sizes, sizes_for

_TABLES_KEY = "currency_price_tables"
# Tables as pages show them, per database, for this long: the page cache asks for the buyer's
# currency on every hit, which must not cost a query. Orders always read the tables afresh.
SHOWN_FOR_SECONDS = 30.0
_shown: dict[str, tuple[float, dict[str, core.PriceTable]]] = {}


def settlement_currency() -> str:
    """The currency the co-op's books and Stripe balance are kept in."""
    return str(current_app.config["CURRENCY"])


def foreign_tables(session: Session) -> dict[str, core.PriceTable]:
    """Every listed currency's table but the settlement currency's, in the switcher's order
    (read once per request or task: a page of search results prices many assets)."""
    cached: dict[str, core.PriceTable] | None = g.get(_TABLES_KEY)
    if cached is None:
        where = str(session.get_bind().engine.url)
        kept = _shown.get(where)
        if kept is not None and time.monotonic() - kept[0] <= SHOWN_FOR_SECONDS:
            cached = kept[1]
        else:
            cached = _read_foreign_tables(session)
            _shown[where] = (time.monotonic(), cached)
        setattr(g, _TABLES_KEY, cached)
    return dict(cached)


def _read_foreign_tables(session: Session) -> dict[str, core.PriceTable]:
    listed = session.execute(
        sa.select(SaleCurrency.code).order_by(SaleCurrency.position, SaleCurrency.code)
    ).scalars()
    tables: dict[str, tuple[dict[str, int], dict[str, int]]] = {
        code: ({}, {}) for code in listed if code != settlement_currency()
    }
    rows = session.execute(
        sa.select(
            CurrencyPrice.currency,
            CurrencyPrice.item,
            CurrencyPrice.code,
            CurrencyPrice.amount_cents,
        )
    )
    for currency, item, code, cents in rows:
        if currency in tables:
            tables[currency][0 if item == "size" else 1][code] = int(cents)
    return {code: core.PriceTable(code, s, c) for code, (s, c) in tables.items()}


def settlement_table(session: Session) -> core.PriceTable:
    """The settlement currency's table: the size prices and the current licence surcharges."""
    sizes = {
        size.code: size.amount_cents for kind in ("photo", "video") for size in sizes_for(kind)
    }
    return core.PriceTable(settlement_currency(), sizes, licensing.surcharges(session))


def on_sale(session: Session) -> list[str]:
    """The currencies a buyer may pay in: the settlement currency first, then each listed one
    whose table is complete."""
    others = [code for code, table in foreign_tables(session).items() if table.complete()]
    return [settlement_currency(), *others]


def _foreign_table(session: Session, currency: str, *, fresh: bool = False) -> core.PriceTable:
    tables = _read_foreign_tables(session) if fresh else foreign_tables(session)
    table = tables.get(currency)
    if table is None or not table.complete():
        raise InvalidInput(
            gettext("Prices are not shown in %(currency)s.", currency=currency),
            code="currency_not_on_sale",
            fields={"currency": gettext("Not on sale in this currency.")},
        )
    return table


def asset_prices(
    session: Session,
    asset: Asset,
    currency: str,
    surcharges: dict[str, int] | None = None,
    tables: Mapping[str, core.PriceTable] | None = None,
) -> list[Price]:
    """Every licence × size of ``asset`` in ``currency``, in the order the licensing service
    lists them; ``surcharges`` and ``tables`` save queries when pricing many assets."""
    if currency == settlement_currency():
        return licensing.asset_prices(session, asset, currency, surcharges)
    table = (tables or {}).get(currency) or _foreign_table(session, currency)
    if not asset.for_sale:
        return []
    current = licensing.surcharges(session) if surcharges is None else surcharges
    return [
        Price(licence, size.code, table.sizes[size.code] + table.surcharges[licence], currency)
        for licence in current
        if licence in table.surcharges
        for size in offered_sizes(asset.kind, asset.width, asset.height)
    ]


def prices_in_every_currency(
    session: Session, asset: Asset, surcharges: dict[str, int] | None = None
) -> list[Price]:
    """``asset_prices`` in each currency on sale, the settlement currency first."""
    tables = {code: t for code, t in foreign_tables(session).items() if t.complete()}
    current = licensing.surcharges(session) if surcharges is None else surcharges
    return [
        price
        for currency in [settlement_currency(), *tables]
        for price in asset_prices(session, asset, currency, current, tables)
    ]


def quote(
    session: Session, asset: Asset, licence: str, size: str, currency: str
) -> licensing.Quote:
    """The price of one licence in ``currency``: the licensing service's quote (terms, royalty
    rate, whether the size is offered) at this currency's table."""
    quoted = licensing.quote(session, asset, licence, size, settlement_currency())
    if currency == settlement_currency():
        return quoted
    table = _foreign_table(session, currency, fresh=True)
    offered = offered_size(asset.kind, asset.width, asset.height, size)
    if offered is None or licence not in table.surcharges:
        raise InvalidInput(
            gettext("This licence is not sold in %(currency)s.", currency=currency),
            code="currency_not_on_sale",
            fields={"currency": gettext("Not on sale in this currency.")},
        )
    price = table.sizes[offered.code] + table.surcharges[licence]
    return dataclasses.replace(quoted, price_cents=price, currency=currency)


def checked_currency(session: Session, currency: object) -> str:
    """A currency a buyer asked for, when it is on sale; else InvalidInput (422)."""
    code = currency.strip().upper() if isinstance(currency, str) else ""
    offered = on_sale(session)
    if code not in offered:
        raise InvalidInput(
            gettext("currency must be one of %(codes)s.", codes=", ".join(offered)),
            code="currency_not_on_sale",
            fields={"currency": gettext("Not on sale in this currency.")},
        )
    return code


def buyer_currency(
    session: Session, user: User | None, cookie: str | None, language_tags: Iterable[str]
) -> str:
    """What a buyer pays in: their account's choice, else the switcher's cookie, else the
    currency of their language's region (the account's language first, then
    ``language_tags``: ``fr`` -> EUR, ``en-GB`` -> GBP), else the settlement currency; always
    one on sale."""
    offered = on_sale(session)
    for choice in (user.currency if user is not None else None, cookie):
        chosen = core.chosen_currency(choice, offered)
        if chosen is not None:
            return chosen
    account_language = getattr(user, "locale", None) if user is not None else None
    for tag in [account_language, *language_tags] if account_language else language_tags:
        found = core.currency_for_locale(tag, offered, "")
        if found:
            return found
    return settlement_currency()


def set_preference(user: User, currency: str) -> str:
    """Remember the account's currency (one on sale)."""
    with unit_of_work() as session:
        code = checked_currency(session, currency)
        account = lock_row(session, User, user.id)
        if account is not None:
            account.currency = code
        return code


def set_prices(
    admin: User, currency: str, sizes: Mapping[str, object], surcharges: Mapping[str, object]
) -> dict[str, tuple[int | None, int]]:
    """Save a currency's table (putting the currency on sale if it was not), audited with
    every price it changes; returns those changes. The settlement currency's prices are the
    size table and the licence terms, edited where they live."""
    from marketplace.audit.services import record

    try:
        table = core.checked_table(currency, sizes, surcharges)
    except core.PriceTableError as error:
        message = gettext(error.message, **error.values)
        raise InvalidInput(message, fields={error.field: message}) from None
    if table.currency == settlement_currency():
        raise InvalidInput(
            gettext("The settlement currency's prices are the size table and licence terms."),
            fields={"currency": gettext("The settlement currency.")},
        )
    g.pop(_TABLES_KEY, None)
    _shown.clear()
    with unit_of_work() as session:
        listed = session.get(SaleCurrency, table.currency, with_for_update=True)
        before = _read_foreign_tables(session).get(table.currency)
        if listed is None:
            last = session.execute(sa.select(sa.func.max(SaleCurrency.position))).scalar()
            session.add(SaleCurrency(code=table.currency, position=int(last or 0) + 1))
            session.flush()
        changed = core.changes(before, table)
        existing = {
            (row.item, row.code): row
            for row in session.execute(
                sa.select(CurrencyPrice).where(CurrencyPrice.currency == table.currency)
            ).scalars()
        }
        for item, values in (("size", table.sizes), ("licence", table.surcharges)):
            for code, cents in values.items():
                row = existing.get((item, code))
                if row is None:
                    session.add(
                        CurrencyPrice(
                            currency=table.currency, item=item, code=code, amount_cents=cents
                        )
                    )
                elif row.amount_cents != cents:
                    row.amount_cents = cents
        record(
            session,
            admin,
            "currency.prices_set",
            "currency",
            table.currency,
            f"{table.currency} prices: {len(changed)} changed",
            before={name: old for name, (old, _) in changed.items()},
            after={name: new for name, (_, new) in changed.items()},
        )
        g.pop(_TABLES_KEY, None)
        _shown.clear()
        return changed
