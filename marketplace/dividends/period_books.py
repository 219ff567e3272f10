"""What the books say of a dividend run's period: the surplus's inputs and each member's patronage.

Revenue, refunds, fees and operating costs come from the ledger's day totals (entries posted
within the moments the run covers, ``periods.PeriodBounds``, leaving out the dividend entries
themselves); patronage comes from the order tables and is reconciled with the ledger's net licence
sales of the same moments (``patronage_check``), so a draft knows whether the two agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.costs.core import SURPLUS_EXPENSE_CODES, costs_by_code
from marketplace.dividends import core, member_business
from marketplace.dividends.foreign_sales import ForeignItem, foreign_items
from marketplace.dividends.patronage import PatronageCheck, reconcile_patronage
from marketplace.dividends.periods import PeriodBounds, ledger_totals
from marketplace.ledger import kinds
from marketplace.ledger.core import (
    LICENCE_REVENUE,
    PAYMENT_FEES,
    REFUNDS_AND_CHARGEBACKS,
    STRIPE_CLEARING,
)
from marketplace.ledger.day_totals import CodeTotals
from marketplace.ledger.entries import EXCHANGE_DIFFERENCES
from marketplace.orders.models import Order, OrderItem

DIVIDEND_KINDS = kinds.DIVIDEND_KINDS


def _within(column: Any, bounds: PeriodBounds) -> Any:
    return sa.and_(column >= bounds.starts_at, column < bounds.closes_at)


def _bounds(start: date, end: date, bounds: PeriodBounds | None) -> PeriodBounds:
    return bounds or PeriodBounds.whole_days(start, end)


def period_figures(
    session: Session,
    start: date,
    end: date,
    currency: str,
    bounds: PeriodBounds | None = None,
) -> core.SurplusInputs:
    """Revenue, refunds, fees and operating costs of the period (whole days, or the moments of
    ``bounds``) from the ledger's day totals (the shared accounts' lines summed per day by a
    trigger): a few thousand rows, not the period's lines. Operating costs are those recorded
    during the year on the expense accounts (``costs``), net of their reversals."""
    sums = ledger_totals(
        session,
        (LICENCE_REVENUE, REFUNDS_AND_CHARGEBACKS, PAYMENT_FEES, *SURPLUS_EXPENSE_CODES),
        _bounds(start, end, bounds),
        currency,
        exclude_kinds=DIVIDEND_KINDS,
    )
    none = CodeTotals(0, 0)
    revenue = sums.get(LICENCE_REVENUE, none)
    refunds = sums.get(REFUNDS_AND_CHARGEBACKS, none)
    fees = sums.get(PAYMENT_FEES, none)
    return core.SurplusInputs(
        revenue_cents=max(revenue.credits_cents - revenue.debits_cents, 0),
        refunds_cents=max(refunds.debits_cents - refunds.credits_cents, 0),
        fees_cents=max(fees.debits_cents - fees.credits_cents, 0),
        royalties_cents=0,
        operating_costs_cents=sum(costs_by_code(sums).values()),
    )


def patronage_by_member(
    session: Session,
    start: date,
    end: date,
    currency: str,
    bounds: PeriodBounds | None = None,
    outside: Mapping[int, int] | None = None,
    foreign: Sequence[ForeignItem] | None = None,
) -> dict[int, int]:
    """Each artist's net licence sales of their own work in the period (whole days, or the
    moments of ``bounds``): items of orders paid in it, less items refunded or lost to a
    dispute in it, in ``currency``. Orders paid in it: two grouped queries, no ORM rows;
    orders paid in another currency and settled in it count each item's settled share, as the
    ledger posted it (``foreign_sales``; ``foreign``: those items of the period when the caller
    has read them already, as a draft does once for this and the non-member business)."""
    moments = _bounds(start, end, bounds)
    sold = session.execute(
        sa.select(OrderItem.member_id, sa.func.sum(OrderItem.price_cents))
        .join(Order, Order.id == OrderItem.order_id)
        .where(Order.currency == currency, _within(Order.paid_at, moments))
        .group_by(OrderItem.member_id)
    ).all()
    # The items taken back, straight from their covering index (ix_order_items_refunds), less
    # those of orders in another currency, which the currency index finds (they are few; a
    # btree serves "<" and ">", not "<>"): a join to find each item's order currency read
    # every order (70 ms at a million sales).
    in_another_currency = sa.exists().where(
        Order.id == OrderItem.order_id,
        sa.or_(Order.currency < currency, Order.currency > currency),
    )
    reversed_ = session.execute(
        sa.select(OrderItem.member_id, sa.func.sum(OrderItem.price_cents))
        .where(_within(OrderItem.refunded_at, moments), ~in_another_currency)
        .group_by(OrderItem.member_id)
    ).all()
    patronage: dict[int, int] = {}
    for member_id, cents in sold:
        patronage[member_id] = patronage.get(member_id, 0) + int(cents)
    for member_id, cents in reversed_:
        patronage[member_id] = patronage.get(member_id, 0) - int(cents)
    if foreign is None:
        foreign = foreign_items(session, currency, moments.starts_at, moments.closes_at)
    for item in foreign:
        patronage[item.member_id] = patronage.get(item.member_id, 0) + item.net_cents
    # Sales made while their seller was not a member are not patronage (member_business).
    if outside is None:
        outside = member_business.non_member_sales_in(
            session, currency, start, end, bounds, foreign
        )
    return member_business.member_patronage(patronage, outside)


def patronage_check(
    session: Session,
    start: date,
    end: date,
    currency: str,
    patronage: dict[int, int],
    bounds: PeriodBounds | None = None,
    outside: Mapping[int, int] | None = None,
) -> PatronageCheck:
    """``patronage`` (from ``patronage_by_member``) against the ledger's net licence sales of
    the same moments, read from the day totals of Stripe clearing: the gross its sale entries
    debited, less what its refund and chargeback entries credited net of their exchange
    differences (a refund of a sale paid in another currency takes back the items' settled
    shares, while Stripe clearing loses what the refund cost that day). ``outside``: the period's
    non-member sales when the caller has read them already (a draft reads them once)."""
    moments = _bounds(start, end, bounds)
    sold = ledger_totals(
        session, (STRIPE_CLEARING,), moments, currency, exclude_kinds=_kinds_but(kinds.SALE)
    )
    taken_back = ledger_totals(
        session,
        (STRIPE_CLEARING, EXCHANGE_DIFFERENCES),
        moments,
        currency,
        exclude_kinds=_kinds_but(*kinds.SALE_REVERSAL_KINDS),
    )
    none = CodeTotals(0, 0)
    # An exchange loss (debit) is cost beyond the shares taken back; a gain (credit) is short of it.
    exchange = taken_back.get(EXCHANGE_DIFFERENCES, none)
    return reconcile_patronage(
        patronage,
        sold.get(STRIPE_CLEARING, none).debits_cents,
        taken_back.get(STRIPE_CLEARING, none).credits_cents
        - exchange.debits_cents
        + exchange.credits_cents,
        member_business.non_member_sales_in(session, currency, start, end, bounds)
        if outside is None
        else outside,
    )


def _kinds_but(*wanted: str) -> tuple[str, ...]:
    return tuple(kind for kind in kinds.ENTRY_KINDS if kind not in wanted)
