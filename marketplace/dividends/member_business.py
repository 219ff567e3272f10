"""Member and non-member business: only sales made while the seller was a member are patronage.

IRC §1388(a): a patronage dividend is paid to a *patron* on the basis of business done with or
for the co-op, and §1388(a)(2)/(3) limit it to the net earnings of business done with or for
patrons. A sale of the work of someone who was not a member when it was made (before they
joined, after they resigned or were expelled) is non-member business: its royalty is paid as
any royalty, but it earns no patronage, and the surplus it brought is reported apart.

A sale is member business when it was paid on a day from the seller's ``joined_on`` to their
``left_on`` (both included; no ``left_on`` while they are a member). A refund or a lost dispute
takes back from the kind of business its sale was: a sale made while a member and refunded
after they left still lowers their patronage.

Only members whose membership does not cover the whole period are looked at item by item;
everybody else's sales are member business as a whole. An item of an order paid in another
currency counts its settled share, as patronage does (``foreign_sales``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.dividends.foreign_sales import ForeignItem, foreign_items
from marketplace.membership.models import Member
from marketplace.orders.models import Order, OrderItem


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _member_window(joined_on: date, left_on: date | None) -> tuple[datetime, datetime | None]:
    """[from, until) of the moments a member's sales are member business."""
    until = _start_of(left_on + timedelta(days=1)) if left_on is not None else None
    return _start_of(joined_on), until


def non_member_sales(
    session: Session,
    currency: str,
    starts_at: datetime,
    closes_at: datetime,
    foreign: Sequence[ForeignItem] | None = None,
) -> dict[int, int]:
    """Net sales (cents, by the seller's member id) of work sold while its seller was not a
    member, in the moments [``starts_at``, ``closes_at``): items paid in them outside the
    seller's membership, less those of such items refunded or lost to a dispute in them; in
    ``currency``, items of orders paid in another currency at their settled shares
    (``foreign``: those of these moments when the caller has read them already)."""
    partial = (
        sa.or_(
            Member.joined_on > starts_at.date(),
            sa.and_(Member.left_on.is_not(None), Member.left_on < closes_at.date()),
        ),
    )
    windows = {
        member_id: _member_window(joined_on, left_on)
        for member_id, joined_on, left_on in session.execute(
            sa.select(Member.id, Member.joined_on, Member.left_on).where(*partial)
        )
    }
    # Most such members sold nothing outside their membership: the earliest and latest sale
    # date of each one's items sold or taken back in the period (two grouped queries) says
    # who did, so only those are summed item by item, not every member who joined this year.
    suspects: set[int] = set()
    for moment in (Order.paid_at, OrderItem.refunded_at):
        ranges = session.execute(
            sa.select(OrderItem.member_id, sa.func.min(Order.paid_at), sa.func.max(Order.paid_at))
            .join(Order, Order.id == OrderItem.order_id)
            .join(Member, Member.id == OrderItem.member_id)
            .where(Order.currency == currency, moment >= starts_at, moment < closes_at, *partial)
            .group_by(OrderItem.member_id)
        ).all()
        for member_id, first, last in ranges:
            since, until = windows[member_id]
            if first is None or last is None:
                suspects.add(member_id)  # unpaid orders never reach here; sum them to be sure
            elif _utc(first) < since or (until is not None and _utc(last) >= until):
                suspects.add(member_id)
    outside: dict[int, int] = {}
    for member_id in sorted(suspects):
        since, until = windows[member_id]
        not_a_member = sa.or_(
            Order.paid_at < since, *(() if until is None else (Order.paid_at >= until,))
        )
        base = (
            sa.select(sa.func.coalesce(sa.func.sum(OrderItem.price_cents), 0))
            .join(Order, Order.id == OrderItem.order_id)
            .where(OrderItem.member_id == member_id, Order.currency == currency, not_a_member)
        )
        sold = session.execute(
            base.where(Order.paid_at >= starts_at, Order.paid_at < closes_at)
        ).scalar_one()
        taken_back = session.execute(
            base.where(OrderItem.refunded_at >= starts_at, OrderItem.refunded_at < closes_at)
        ).scalar_one()
        net = int(sold) - int(taken_back)
        if net:
            outside[member_id] = net
    if foreign is None:
        foreign = foreign_items(session, currency, starts_at, closes_at)
    for item in foreign:
        if item.member_id not in windows:
            continue
        since, until = windows[item.member_id]
        if item.paid_at < since or (until is not None and item.paid_at >= until):
            net = outside.get(item.member_id, 0) + item.net_cents
            if net:
                outside[item.member_id] = net
            else:
                outside.pop(item.member_id, None)
    return outside


class Moments(Protocol):
    """The moments a run covers (``periods.PeriodBounds``): from ``starts_at``, included, to
    ``closes_at``, excluded."""

    @property
    def starts_at(self) -> datetime: ...
    @property
    def closes_at(self) -> datetime: ...


def non_member_sales_in(
    session: Session,
    currency: str,
    start: date,
    end: date,
    bounds: Moments | None = None,
    foreign: Sequence[ForeignItem] | None = None,
) -> dict[int, int]:
    """``non_member_sales`` of a run's period: the moments of ``bounds``, else whole UTC days
    from ``start`` to ``end``, both included."""
    if bounds is not None:
        return non_member_sales(session, currency, bounds.starts_at, bounds.closes_at, foreign)
    closes_at = _start_of(end + timedelta(days=1))
    return non_member_sales(session, currency, _start_of(start), closes_at, foreign)


def member_patronage(patronage: Mapping[int, int], outside: Mapping[int, int]) -> dict[int, int]:
    """Each member's patronage: their net sales in the period less those made as a non-member."""
    return {
        member_id: cents - outside.get(member_id, 0)
        for member_id, cents in patronage.items()
        if cents - outside.get(member_id, 0) != 0
    }
