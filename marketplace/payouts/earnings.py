"""A member's earnings, read from the ledger and their sales: what the earnings page shows.

Royalties due is the member's royalties payable (2100) balance; paid is what payouts moved out
of it (less reversals); earned is the two together, so refunds are already netted out, plus
royalties kept against a debt of the member's, less royalties clawed back after they were paid
(those moved to the member's receivable, 1300: ``owed_to_coop_cents``).

Dividend cash and redemptions both leave through dividends payable (2200); a redemption's
payment is keyed ``dividend_redemption_payment:…``, so they are told apart by key.

A sale paid in another currency (EUR) was posted on what the co-op received (USD): each item's
share of the order's settled amount and the member's royalty on that share
(``ledger.exchange.settled_items``, fed every item of the order, as the ledger was). Sales, the
chart, the CSV and the studio show those figures, in the settlement currency, so that they add
up to the royalties earned; the price the buyer paid comes along, in its own currency.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from marketplace.assets.models import Asset
from marketplace.ledger import core as ledger_core
from marketplace.ledger import exchange, kinds, member_debts
from marketplace.ledger import services as ledger
from marketplace.ledger.core import SaleItem
from marketplace.ledger.entries import WITHHOLDING_PAYABLE
from marketplace.ledger.models import JournalEntry, JournalLine, LedgerAccount
from marketplace.ledger.sales_tax import items_settled_cents
from marketplace.orders.models import Order, OrderItem
from marketplace.payouts import core

SALES_SHOWN = 100
# Orders whose items are read in one query (well under any database's parameter limit).
ORDERS_PER_QUERY = 500


@dataclass(frozen=True)
class Sale:
    order_id: int
    item_id: int
    sold_at: datetime
    asset_id: int
    asset_title: str
    licence: str
    size: str
    # What the ledger posted: the item's share of what the co-op received and the royalty on
    # it, in ``currency`` (the settlement currency).
    price_cents: int
    royalty_cents: int
    status: str
    currency: str
    # The item's price as the buyer paid it, in their currency (the same for a sale in USD).
    paid_cents: int
    paid_currency: str

    @property
    def converted(self) -> bool:
        return self.paid_currency != self.currency

    def as_json(self) -> dict[str, object]:
        return {
            "order_id": self.order_id,
            "item_id": self.item_id,
            "sold_at": self.sold_at.isoformat(),
            "asset_id": self.asset_id,
            "asset_title": self.asset_title,
            "licence": self.licence,
            "size": self.size,
            "price_cents": self.price_cents,
            "royalty_cents": self.royalty_cents,
            "currency": self.currency,
            "paid_cents": self.paid_cents,
            "paid_currency": self.paid_currency,
            "status": self.status,
        }


@dataclass(frozen=True)
class Earnings:
    currency: str
    royalties_earned_cents: int
    royalties_paid_cents: int
    royalties_due_cents: int
    dividends_cash_paid_cents: int
    capital_account_cents: int
    sales: list[Sale]
    redemptions_paid_cents: int = 0
    owed_to_coop_cents: int = 0
    # Federal income tax withheld from royalties and cash dividends (account 2500): the paid
    # figures above are gross, what reached the member is the rest.
    tax_withheld_cents: int = 0

    def as_json(self) -> dict[str, object]:
        return {
            "currency": self.currency,
            "royalties_earned_cents": self.royalties_earned_cents,
            "royalties_paid_cents": self.royalties_paid_cents,
            "royalties_due_cents": self.royalties_due_cents,
            "dividends_cash_paid_cents": self.dividends_cash_paid_cents,
            "capital_account_cents": self.capital_account_cents,
            "redemptions_paid_cents": self.redemptions_paid_cents,
            "owed_to_coop_cents": self.owed_to_coop_cents,
            "tax_withheld_cents": self.tax_withheld_cents,
            "sales": [sale.as_json() for sale in self.sales],
        }


def _line_sum(
    session: Session,
    member_id: int,
    code: str,
    side: str,
    currency: str,
    kinds: tuple[str, ...] | None = None,
    key_prefix: str | None = None,
) -> int:
    query = (
        sa.select(sa.func.coalesce(sa.func.sum(JournalLine.amount_cents), 0))
        .join(LedgerAccount, JournalLine.account_id == LedgerAccount.id)
        .where(
            LedgerAccount.code == code,
            LedgerAccount.member_id == member_id,
            JournalLine.side == side,
            JournalLine.currency == currency,
        )
    )
    if kinds is not None or key_prefix is not None:
        query = query.join(JournalEntry, JournalLine.entry_id == JournalEntry.id)
    if kinds is not None:
        query = query.where(JournalEntry.kind.in_(kinds))
    if key_prefix is not None:
        query = query.where(JournalEntry.idempotency_key.startswith(key_prefix, autoescape=True))
    return int(session.execute(query).scalar_one())


def _sales_query(member_id: int) -> sa.Select[OrderItem, Order, Asset]:
    return (
        sa.select(OrderItem, Order, Asset)
        .join(Order, OrderItem.order_id == Order.id)
        .join(Asset, OrderItem.asset_id == Asset.id)
        .where(OrderItem.member_id == member_id, Order.paid_at.is_not(None))
        .order_by(Order.paid_at.desc(), OrderItem.id.desc())
    )


def settled_shares(session: Session, orders: Mapping[int, int]) -> dict[int, SaleItem]:
    """item id -> the item as the ledger posted it in the settlement currency (its share of
    what the co-op received, the royalty on it), for orders paid in another currency, given as
    order id -> settled cents (tax included, as Stripe paid it: the items' share leaves the
    tax's out, ``sales_tax.items_settled_cents``). Every item of each order is read (whoever's
    work it is, refunded or not, in the order the sale was posted), since the shares depend on
    all of them."""
    shares: dict[int, SaleItem] = {}
    order_ids = sorted(orders)
    for start in range(0, len(order_ids), ORDERS_PER_QUERY):
        chunk = order_ids[start : start + ORDERS_PER_QUERY]
        rows = session.execute(
            sa.select(
                OrderItem.order_id,
                OrderItem.id,
                OrderItem.member_id,
                OrderItem.price_cents,
                OrderItem.royalty_bps,
            )
            .where(OrderItem.order_id.in_(chunk))
            .order_by(OrderItem.order_id, OrderItem.id)
        )
        by_order: dict[int, list[SaleItem]] = {}
        for order_id, item_id, member_id, price_cents, royalty_bps in rows:
            by_order.setdefault(order_id, []).append(
                SaleItem(item_id, member_id, price_cents, royalty_bps)
            )
        taxes: dict[int, int] = {
            order_id: tax_cents
            for order_id, tax_cents in session.execute(
                sa.select(Order.id, Order.tax_cents).where(Order.id.in_(chunk))
            )
        }
        for order_id, items in by_order.items():
            # The items' share of what the order brought in, its tax's share left out, as the
            # ledger posted the sale (ledger.sales_tax): royalties are on prices net of tax.
            settled = items_settled_cents(
                orders[order_id],
                sum(item.price_cents for item in items),
                int(taxes.get(order_id) or 0),
            )
            for share in exchange.settled_items(items, settled):
                shares[int(share.item_id)] = share
    return shares


def posted_royalties(
    session: Session, rows: Iterable[tuple[int, int, int, int, int | None]]
) -> dict[int, int]:
    """(item id, order id, price, royalty rate, order's settled cents) rows -> item id -> the
    royalty the ledger posted for it: on its price when the order was paid in the settlement
    currency (no settled cents), else on its share of what the co-op received."""
    rows = list(rows)
    shares = settled_shares(
        session, {order_id: settled for _, order_id, _, _, settled in rows if settled is not None}
    )
    return {
        item_id: (
            shares[item_id].royalty_cents
            if item_id in shares
            else ledger_core.royalty_split(price_cents, royalty_bps)[0]
        )
        for item_id, _, price_cents, royalty_bps, _ in rows
    }


def _sale(item: OrderItem, order: Order, asset: Asset, posted: SaleItem | None) -> Sale:
    return Sale(
        order_id=order.id,
        item_id=item.id,
        # The query asks for paid orders only.
        sold_at=order.paid_at or order.created_at,
        asset_id=asset.id,
        asset_title=asset.title,
        licence=item.licence,
        size=item.size,
        price_cents=posted.price_cents if posted else item.price_cents,
        royalty_cents=(
            posted.royalty_cents
            if posted
            else ledger_core.royalty_split(item.price_cents, item.royalty_bps)[0]
        ),
        status=item.status,
        currency=(order.settled_currency or order.currency) if posted else order.currency,
        paid_cents=item.price_cents,
        paid_currency=order.currency,
    )


def sales(session: Session, member_id: int, limit: int | None = SALES_SHOWN) -> list[Sale]:
    query = _sales_query(member_id)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    shares = settled_shares(
        session,
        {order.id: order.settled_cents for _, order, _ in rows if order.settled_cents is not None},
    )
    return [_sale(item, order, asset, shares.get(item.id)) for item, order, asset in rows]


def earnings(session: Session, member_id: int, currency: str) -> Earnings:
    paid = _line_sum(
        session,
        member_id,
        ledger_core.ROYALTIES_PAYABLE,
        "debit",
        currency,
        (kinds.ROYALTY_PAYOUT,),
    ) - _line_sum(
        session,
        member_id,
        ledger_core.ROYALTIES_PAYABLE,
        "credit",
        currency,
        (kinds.ROYALTY_PAYOUT_REVERSAL,),
    )
    due = ledger.member_balance(session, member_id, currency)
    clawed_back, kept = member_debts.kept_from_royalties(session, member_id, currency)
    payable_paid = _line_sum(
        session,
        member_id,
        ledger_core.DIVIDENDS_PAYABLE,
        "debit",
        currency,
        (kinds.DIVIDEND_PAYMENT,),
    )
    redeemed = _line_sum(
        session,
        member_id,
        ledger_core.DIVIDENDS_PAYABLE,
        "debit",
        currency,
        (kinds.DIVIDEND_PAYMENT,),
        key_prefix=f"{kinds.REDEMPTION_PAYMENT_KEY}:",
    )
    return Earnings(
        currency=currency,
        royalties_earned_cents=due + paid + kept - clawed_back,
        royalties_paid_cents=paid,
        royalties_due_cents=due,
        dividends_cash_paid_cents=payable_paid - redeemed,
        redemptions_paid_cents=redeemed,
        owed_to_coop_cents=member_debts.owed_cents(session, member_id, currency),
        tax_withheld_cents=_line_sum(
            session,
            member_id,
            WITHHOLDING_PAYABLE,
            "credit",
            currency,
            (kinds.ROYALTY_PAYOUT, kinds.DIVIDEND_PAYMENT),
        )
        - _line_sum(
            session,
            member_id,
            WITHHOLDING_PAYABLE,
            "debit",
            currency,
            (kinds.ROYALTY_PAYOUT_REVERSAL,),
        ),
        capital_account_cents=ledger.member_balance(
            session, member_id, currency, ledger_core.MEMBER_CAPITAL
        ),
        sales=sales(session, member_id),
    )


def monthly_royalties(session: Session, member_id: int, today: date) -> list[core.MonthBar]:
    """Royalties of the sales that stand, by month of sale, over the last twelve months."""
    since = datetime.combine(core.month_start(today, 11), datetime.min.time(), tzinfo=UTC)
    rows = session.execute(
        sa.select(
            OrderItem.id,
            OrderItem.order_id,
            OrderItem.price_cents,
            OrderItem.royalty_bps,
            Order.settled_cents,
            Order.paid_at,
        )
        .join(Order, OrderItem.order_id == Order.id)
        .where(
            OrderItem.member_id == member_id,
            OrderItem.status == "active",
            Order.paid_at.is_not(None),
            Order.paid_at >= since,
        )
    ).all()
    royalties = posted_royalties(session, (row[:5] for row in rows))
    return core.monthly_bars(
        today,
        (
            (paid_at.date(), royalties[item_id])
            for item_id, *_, paid_at in rows
            if paid_at is not None
        ),
    )


def capital_history(session: Session, member_id: int, currency: str) -> ledger.Statement | None:
    """The member's capital account (3100) statement, or None before its first entry."""
    account = ledger.find_account(session, ledger_core.MEMBER_CAPITAL, member_id)
    if account is None:
        return None
    return ledger.account_statement(session, account, currency)


def sales_csv(session: Session, member_id: int) -> Iterator[str]:
    """Every sale of the member's work, as CSV rows (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(
        ["sold_at", "order_id", "item_id", "asset_id", "asset_title", "licence", "size",
         "price", "royalty", "status", "currency", "paid", "paid_currency"]
    )  # fmt: skip
    yield flush()
    for sale in sales(session, member_id, limit=None):
        writer.writerow(
            [
                sale.sold_at.isoformat(),
                sale.order_id,
                sale.item_id,
                sale.asset_id,
                # A title starting with = + - @ would be a formula in a spreadsheet.
                ("'" + sale.asset_title)
                if sale.asset_title[:1] in ("=", "+", "-", "@")
                else sale.asset_title,
                sale.licence,
                sale.size,
                ledger_core.decimal_string(sale.price_cents),
                ledger_core.decimal_string(sale.royalty_cents),
                sale.status,
                sale.currency,
                ledger_core.decimal_string(sale.paid_cents),
                sale.paid_currency,
            ]
        )
        yield flush()
