"""A co-op with a year and a half of books, for the open books and annual report tests.

This year's entries go through the real services (sales, a refund, a chargeback, a reversal,
a royalty payout, a redemption payment, a dividend run approved and paid). Last year's are the
same drafts the services build, written with a chosen ``posted_at`` (the services always post
"now"), so that months and year ends can be tested. ``ledger_sums`` is the independent check:
it walks every journal line in Python and applies the definitions of
``marketplace.transparency.core`` line by line.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from marketplace.accounts.models import User
from marketplace.assets.models import Asset
from marketplace.costs import services as costs
from marketplace.costs.core import Cost
from marketplace.database import unit_of_work, utcnow
from marketplace.dividends import core as dividends_core
from marketplace.dividends import paying
from marketplace.dividends import services as dividends
from marketplace.extensions import db
from marketplace.ledger import core, services
from marketplace.ledger.core import EntryDraft, SaleItem
from marketplace.ledger.models import JournalEntry, JournalLine
from marketplace.membership.models import Member
from marketplace.payouts import core as payouts_core
from tests.fixtures.factories import Factory

ROYALTY_BPS = 5_000
FIELDS = (
    "sales_cents",
    "royalties_cents",
    "coop_revenue_cents",
    "refunds_cents",
    "dividends_cash_cents",
    "dividends_retained_cents",
    "dividends_cents",
    "reserves_added_cents",
)


def member_id(user: User) -> int:
    assert user.member is not None
    return user.member.id


def key(kind: str) -> str:
    return f"{kind}:test-{uuid.uuid4().hex}"


def post_dated(draft: EntryDraft, when: datetime) -> None:
    """Write ``draft`` as ``services.post`` would, but posted at ``when``."""
    with unit_of_work() as session:
        entry = JournalEntry(
            idempotency_key=draft.idempotency_key,
            kind=draft.kind,
            description=draft.description,
            currency=draft.currency,
            order_id=draft.order_id,
            posted_at=when,
        )
        session.add(entry)
        session.flush()
        for line in draft.lines:
            account = services.get_or_create_account(session, line.account)
            session.add(
                JournalLine(
                    entry_id=entry.id,
                    account_id=account.id,
                    side=line.side,
                    amount_cents=line.amount_cents,
                    currency=draft.line_currency(line),
                )
            )


def sale_draft(member: int, price_cents: int, order_id: int = 1) -> EntryDraft:
    return core.sale_entry(
        key("sale"), order_id, "USD", [SaleItem(order_id, member, price_cents, ROYALTY_BPS)], 30
    )


def refund_draft(member: int, price_cents: int, order_id: int = 1) -> EntryDraft:
    items = [SaleItem(order_id, member, price_cents, ROYALTY_BPS)]
    return core.refund_entry(key("refund"), order_id, "USD", items)


def sell_now(member: int, price_cents: int) -> JournalEntry:
    with unit_of_work() as session:
        entry = services.post(session, sale_draft(member, price_cents))
        assert entry is not None
        return entry


def add_asset(member: int, published_at: datetime, withdrawn_at: datetime | None = None) -> None:
    with unit_of_work() as session:
        session.add(
            Asset(
                member_id=member,
                kind="photo",
                status="published",
                title="Harbour",
                description="",
                keywords=[],
                has_people=False,
                original_key=f"originals/test/{uuid.uuid4().hex}",
                original_mime="image/jpeg",
                original_size_bytes=1,
                original_sha256=uuid.uuid4().hex * 2,
                width=3000,
                height=2000,
                published_at=published_at,
                withdrawn_at=withdrawn_at,
                dominant_colours=[],
            )
        )


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@dataclass
class Books:
    """What the scenario made, to compare the open books with."""

    this_year: int
    last_year: int
    founder: User
    artist_a: User
    artist_b: User
    buyer: User
    admin: User
    run: dict[str, int] = field(default_factory=dict)


def last_year_entries(books: Books) -> None:
    """March: 5000 + 1000 (at 23:30 on the 31st); June: 700 to reserves; November: the 1000
    refunded; December: 2000 at the last second of the year."""
    year, a = books.last_year, member_id(books.artist_a)
    post_dated(sale_draft(a, 5_000), at(year, 3, 15))
    post_dated(sale_draft(a, 1_000, 2), at(year, 3, 31, 23, 30))
    reserve = core.transfer_entry(
        key("dividend_reserve"),
        "Transfer to reserves",
        "USD",
        core.AccountRef(core.RETAINED_SURPLUS),
        core.AccountRef(core.RESERVES),
        700,
        "dividend_reserve",
    )
    post_dated(reserve, at(year, 6, 1))
    post_dated(refund_draft(a, 1_000, 2), at(year, 11, 10))
    post_dated(sale_draft(a, 2_000, 3), datetime(year, 12, 31, 23, 59, 59, tzinfo=UTC))


def this_year_entries(
    books: Books, monkeypatch: pytest.MonkeyPatch, pay: bool, dividend_run: bool
) -> None:
    """Through the services: 22000 of sales that stand, a refund of 2000, a chargeback of
    1000, a sale of 4000 reversed, a royalty payout, a redemption paid, and a dividend run."""
    a, b = member_id(books.artist_a), member_id(books.artist_b)
    for member, price in ((a, 10_000), (a, 6_000), (b, 6_000), (b, 2_000), (a, 1_000)):
        sell_now(member, price)
    with unit_of_work() as session:
        services.post(session, refund_draft(b, 2_000))
        items = [SaleItem(1, a, 1_000, ROYALTY_BPS)]
        services.post_chargeback(
            session, idempotency_key=key("chargeback"), order_id=1, currency="USD", items=items,
            dispute_fee_cents=1_500,
        )  # fmt: skip
    reversed_sale = sell_now(b, 4_000)
    with unit_of_work() as session:
        services.post_reversal(session, reversed_sale.id, key("reversal"), "Posted twice")
        services.post(
            session, payouts_core.royalty_payout_entry(key("royalty_payout"), "USD", a, 3_000, "")
        )
        services.post(
            session,
            dividends_core.dividend_payment_entry(
                f"dividend_redemption_payment:test-{uuid.uuid4().hex}", "USD", a, 250, "Redeemed"
            ),
        )
    if not dividend_run:
        return
    today = utcnow().date()
    start = max(today - timedelta(days=30), date(today.year, 1, 1))
    # Hosting recorded when it was paid; the run reads it from the ledger, closing the books now.
    costs.record_cost(books.admin, Cost(today, "Hosting", 1_000, "5210", "bank"))
    run = dividends.draft_run(
        books.admin,
        dividends.RunRequest(start, today, 1_000, 10, 30, "Hosting", close_books_now=True),
    )
    paying.approve_run(Factory().admin(), run.id)
    if pay:
        monkeypatch.setattr(dividends, "ready_payout_account", lambda s, m: f"acct_{m}")
        monkeypatch.setattr(dividends, "stripe_transfer", lambda **kwargs: "tr_test")
        paying.pay_run(books.admin, run.id)
    books.run = {"id": run.id, "reserve_cents": run.reserve_cents}


def make_books(
    monkeypatch: pytest.MonkeyPatch, *, pay: bool = True, dividend_run: bool = True
) -> Books:
    """The scenario's two years of books. ``dividend_run=False`` leaves out this year's run, for
    a database shared with other tests whose runs may already cover the period."""
    factory = Factory()
    this_year = utcnow().year
    books = Books(
        this_year=this_year,
        last_year=this_year - 1,
        founder=factory.member(member_class="founders"),
        artist_a=factory.member(),
        artist_b=factory.member(),
        buyer=factory.buyer(),
        admin=factory.admin(),
    )
    resigned = factory.member()
    with unit_of_work() as session:
        for user, joined in ((books.founder, date(books.last_year, 2, 1)),
                             (books.artist_a, date(books.last_year, 4, 30))):  # fmt: skip
            session.get(Member, member_id(user)).joined_on = joined  # type: ignore[union-attr]
        session.get(Member, member_id(resigned)).status = "resigned"  # type: ignore[union-attr]
    a = member_id(books.artist_a)
    add_asset(a, at(books.last_year, 5, 2))
    add_asset(a, at(books.last_year, 5, 20), withdrawn_at=at(books.last_year, 9, 1))
    add_asset(a, utcnow())
    last_year_entries(books)
    this_year_entries(books, monkeypatch, pay, dividend_run)
    return books


def ledger_sums(year: int, month: int | None = None) -> dict[str, int]:
    """The open books' flows for a year (or one month), line by line in Python."""
    sums = dict.fromkeys(FIELDS, 0)
    session = db.session()
    for line in session.execute(sa.select(JournalLine)).scalars():
        entry = line.entry
        posted = entry.posted_at.astimezone(UTC)
        if posted.year != year or (month is not None and posted.month != month):
            continue
        source = entry
        if entry.reverses_entry_id is not None:
            source = session.get(JournalEntry, entry.reverses_entry_id) or entry
        kind = source.kind
        if source.idempotency_key.startswith("dividend_redemption_payment:"):
            kind = "dividend_redemption_payment"
        credit = line.amount_cents if line.side == "credit" else -line.amount_cents
        code = line.account.code
        _apply(sums, code, kind, credit)
    sums["sales_cents"] = sums["coop_revenue_cents"] + sums["royalties_cents"]
    sums["dividends_cents"] = sums["dividends_cash_cents"] + sums["dividends_retained_cents"]
    return sums


def _apply(sums: dict[str, Any], code: str, kind: str, credit: int) -> None:
    if code in (core.LICENCE_REVENUE, core.REFUNDS_AND_CHARGEBACKS) and kind != "dividend_closing":
        sums["coop_revenue_cents"] += credit
        if code == core.REFUNDS_AND_CHARGEBACKS:
            sums["refunds_cents"] -= credit
    elif code == core.ROYALTIES_PAYABLE and kind in ("sale", "refund", "chargeback"):
        sums["royalties_cents"] += credit
        if kind != "sale":
            sums["refunds_cents"] -= credit
    elif code == core.DIVIDENDS_PAYABLE and kind == "dividend_payment":
        sums["dividends_cash_cents"] -= credit
    elif code == core.MEMBER_CAPITAL and kind == "dividend_allocation":
        sums["dividends_retained_cents"] += credit
    elif code == core.RESERVES:
        sums["reserves_added_cents"] += credit
